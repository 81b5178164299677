"""benchmarks/enhance_ood.py: the out-of-domain tables of an enhancement model, run on tiny folders."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from conftest import load_benchmark, save_checkpoint
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]


def benchmark():
    return load_benchmark("enhance_ood")


def photos(folder: Path, count: int, size: tuple[int, int]) -> Path:
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(count):
        smooth = np.kron(rng.uniform(40, 220, (size[1] // 8, size[0] // 8, 3)), np.ones((8, 8, 1)))
        Image.fromarray(smooth.astype(np.uint8)).save(folder / f"p{i}.png")
    return folder


def test_identity_moves_nothing_and_a_gamma_curve_moves_the_background(tmp_path):
    from lightning_gan.models.eagan import EAGAN

    identity = save_checkpoint(EAGAN(generator="guarded_tone", width=4, thumb=32, knots=9, d_width=8), tmp_path / "id.ckpt")
    kodak, natural = photos(tmp_path / "kodak", 2, (64, 48)), photos(tmp_path / "natural", 3, (96, 64))
    out = tmp_path / "ood.json"
    code = benchmark().main(["--model", str(identity), "--baselines", "gamma_correction", "--kodak", str(kodak),
                             "--natural", str(natural), "--studio", "3", "--out", str(out)])
    assert code == 0
    result = json.loads(out.read_text())
    name = next(k for k in result["studio"] if k != "gamma_correction")  # the checkpoint, named by the loader
    assert result["studio"][name]["bg_shift_max"] < 0.01 and result["studio"]["gamma_correction"]["bg_shift_max"] > 2
    assert result["kodak_clean"][name]["psnr_worst"] > 60
    assert result["darkened"][name]["new_clipping_pp"] == 0 and abs(result["darkened"][name]["detail_ratio"] - 1) < 1e-3
    assert result["darkened"]["gamma_correction"]["detail_ratio"] > 1.1  # brightening the darkened photos


def test_missing_folder_is_one_line_naming_the_option(tmp_path, capsys):
    assert benchmark().main(["--kodak", str(tmp_path / "nowhere"), "--baselines", ""]) == 2
    assert "--kodak" in capsys.readouterr().err
