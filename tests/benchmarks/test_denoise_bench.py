"""benchmarks/denoise_bench.py: Kodak-style colour denoising table, on a tiny folder with tiny denoisers."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import load_benchmark, save_checkpoint
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]


def benchmark():
    return load_benchmark("denoise_bench")


def photos(folder: Path, count: int = 2, size: int = 48) -> Path:
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(count):
        smooth = np.kron(rng.uniform(40, 220, (size // 8, size // 8, 3)), np.ones((8, 8, 1)))
        Image.fromarray(smooth.astype(np.uint8)).save(folder / f"kodim{i:02d}.png")
    return folder


def identity_denoiser(path: Path) -> Path:
    from lightning_gan.models.eagan import EAGAN

    return save_checkpoint(EAGAN(generator="nafnet", width=8, blocks=1, noise_map=True, d_width=8), path)


def test_an_identity_denoiser_scores_the_noisy_input_and_leaves_clean_photos_alone(tmp_path):
    model = identity_denoiser(tmp_path / "id.ckpt")
    out = tmp_path / "bench.json"
    code = benchmark().main(["--model", str(model), "--kodak", str(photos(tmp_path / "kodak")), "--sigma", "25",
                             "--sigma", "50", "--bm3d-photos", "0", "--natural", str(photos(tmp_path / "natural", 3, 64)),
                             "--studio", "2", "--out", str(out)])
    assert code == 0
    results = json.loads(out.read_text())
    rows = results["rows"]
    noisy = rows["noisy input"]["psnr"]
    assert noisy["25"] > noisy["50"] + 4  # the noise is there, stronger at 50
    for row in (f"{model} (sigma known)", f"{model} (blind)"):
        assert rows[row]["psnr"] == pytest.approx(noisy, abs=1e-6)  # the identity returns the noisy photo
        assert rows[row]["seconds_per_megapixel"] > 0
        assert rows[row]["texture_kept_sigma25"] == pytest.approx(1.0, abs=0.2)  # noise uncorrelated with texture
    clean = results["clean"][str(model)]
    assert clean["mean"] > 60 and clean["worst_photo"].startswith("kodim")
    studio = results["studio"][str(model)]
    assert studio["worst"] > 60 and studio["background_shift_max"] == 0  # the identity moves no background


def test_ensemble_rows_are_named_with_their_copies(tmp_path):
    model = identity_denoiser(tmp_path / "id.ckpt")
    out = tmp_path / "bench.json"
    assert benchmark().main(["--model", str(model), "--kodak", str(photos(tmp_path / "kodak", 1)), "--sigma", "25",
                             "--bm3d-photos", "0", "--studio", "0", "--ensemble", "4", "--out", str(out)]) == 0
    rows = json.loads(out.read_text())["rows"]
    assert {f"{model} x4 (sigma known)", f"{model} x4 (blind)"} <= set(rows)
    assert rows[f"{model} x4 (blind)"]["psnr"] == pytest.approx(rows["noisy input"]["psnr"], abs=1e-5)  # identity


def test_noise_is_seeded_per_photo_and_sigma():
    bench = benchmark()
    clean = torch.full((1, 3, 16, 16), 0.5)
    assert torch.equal(bench.noisy(clean, 25, seed=7), bench.noisy(clean, 25, seed=7))
    assert not torch.equal(bench.noisy(clean, 25, seed=7), bench.noisy(clean, 25, seed=8))
    assert torch.equal(bench.noisy(clean, 25, 7) * 255, (bench.noisy(clean, 25, 7) * 255).round())  # 8-bit values


def test_cbm3d_rows_only_on_the_first_photos_and_better_than_the_noisy_input(tmp_path):
    pytest.importorskip("bm3d", reason="the [baselines] extra (make installs it)")
    model = identity_denoiser(tmp_path / "id.ckpt")
    results = benchmark().run(
        [(f"p{i}", torch.from_numpy(np.array(Image.open(p))).permute(2, 0, 1)[None].float() / 255)
         for i, p in enumerate(sorted(photos(tmp_path / "kodak", count=3, size=32).glob("*.png")))],
        [str(model)], bm3d_photos=1, sigmas=(25,))
    assert results["bm3d_photos"] == 1
    cbm3d, noisy = results["rows"]["CBM3D (sigma known)"], results["rows"]["noisy input"]
    assert cbm3d["psnr_bm3d_photos"][25] > noisy["psnr_bm3d_photos"][25] + 3
    assert "CBM3D" in benchmark().report(results)
