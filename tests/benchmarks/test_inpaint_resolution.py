"""benchmarks/inpaint_resolution.py: the large-photo check of the inpainter runs and reports every score."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_resolution_benchmark_reports_hole_scores(tmp_path):
    out = tmp_path / "res.json"
    done = subprocess.run([sys.executable, "benchmarks/inpaint_resolution.py", "--model", "inpaint", "--data",
                           "lightning_gan/data/sample-photos/grocery", "--split", "val", "--every", "1000", "--upscale", "1.5",
                           "--sizes", "0,96", "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    rows = json.loads(out.read_text())["rows"]
    assert set(rows) == {"model@native", "model@96", "diffusion_fill"}
    assert rows["diffusion_fill"]["detail_hole"] < 0.01 < rows["model@native"]["detail_hole"]  # Laplace fill: ~0
    assert all(row["psnr_hole"] > 10 for row in rows.values())
