"""The BM3D baseline (baselines.bm3d): better than a Gaussian filter on noise, blind or told sigma, one line without it."""

from __future__ import annotations

import json
import sys

import pytest
import torch
from PIL import Image

from lightning_gan.inference.baselines import bm3d, bm3d_known, gaussian_filter


def noisy_photo(sigma: float = 25 / 255, size: int = 48) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    ramp = torch.linspace(0.2, 0.8, size)
    clean = torch.stack([ramp.view(1, -1).expand(size, -1), ramp.view(-1, 1).expand(-1, size), torch.full((size, size), 0.5)])
    clean = clean.clone()
    clean[:, 12:36, 12:36] = torch.tensor([0.8, 0.3, 0.2]).view(3, 1, 1)  # an edge to keep
    clean = clean[None]
    return clean, (clean + sigma * torch.randn(clean.shape, generator=g)).clamp(0, 1)


def psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    return (10 * torch.log10(1 / (a - b).square().mean())).item()


def test_bm3d_beats_the_gaussian_filter_blind_and_told_sigma():
    pytest.importorskip("bm3d", reason="the [baselines] extra (make installs it)")
    clean, noisy = noisy_photo()
    gaussian = psnr(gaussian_filter(noisy), clean)
    blind, known = psnr(bm3d(noisy), clean), psnr(bm3d_known(25 / 255)(noisy), clean)
    assert blind > gaussian + 1 and known > gaussian + 1, (gaussian, blind, known)


def test_without_the_package_it_is_one_line(tmp_path, monkeypatch, capsys):
    from lightning_gan.commands.evaluate import main

    monkeypatch.setitem(sys.modules, "bm3d", None)  # as if not installed
    with pytest.raises(ValueError, match=r"pip install 'lightning-gan\[baselines\]'"):
        bm3d(torch.rand(1, 3, 16, 16))
    Image.new("RGB", (24, 24), (120, 90, 60)).save(tmp_path / "a.png")
    import lightning_gan.evaluation.restoration as evaluate_module

    monkeypatch.setattr(evaluate_module, "bm3d_available", lambda: False)
    code = main(["--data", str(tmp_path), "--degradation", "noise", "--baselines", "bm3d", "--out", str(tmp_path / "r.json")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and "pip install 'lightning-gan[baselines]'" in err[-1]


def test_evaluate_names_the_bm3d_rows_and_reports_seconds_per_megapixel(tmp_path):
    pytest.importorskip("bm3d", reason="the [baselines] extra (make installs it)")
    from lightning_gan.commands.evaluate import main

    _, noisy = noisy_photo(0.0, 40)
    Image.fromarray((noisy[0].permute(1, 2, 0) * 255).byte().numpy()).save(tmp_path / "a.png")
    out = tmp_path / "r.json"
    assert main(["--data", str(tmp_path), "--degradation", "noise", "--baselines", "bm3d,gaussian_filter",
                 "--out", str(out)]) == 0
    rows = {r["method"]: r for r in json.loads(out.read_text())["rows"]}
    assert {"bm3d_blind_sigma", "bm3d_known_sigma25", "gaussian_filter", "input"} <= set(rows)
    assert all(rows[m]["seconds_per_megapixel"] > 0 for m in ("bm3d_blind_sigma", "bm3d_known_sigma25", "gaussian_filter"))


def test_on_camera_noise_bm3d_gets_a_level_and_an_oracle_row(tmp_path):
    """camera_noise has no single sigma and is JPEG-compressed (the PCA tail reads ~0 there): the blind row gets a
    real estimate and changes the photo, the oracle row is told each photo's true level and beats the input."""
    pytest.importorskip("bm3d", reason="the [baselines] extra (make installs it)")
    from lightning_gan.commands.evaluate import main

    clean, _ = noisy_photo(0.0, 64)
    Image.fromarray((clean[0].permute(1, 2, 0) * 255).round().byte().numpy()).save(tmp_path / "a.png")
    out = tmp_path / "r.json"
    assert main(["--data", str(tmp_path), "--degradation", "camera_noise", "--baselines", "bm3d", "--out", str(out)]) == 0
    rows = {r["method"]: r for r in json.loads(out.read_text())["rows"]}
    assert {"bm3d_blind_sigma", "bm3d_oracle_sigma", "input"} <= set(rows)
    assert rows["bm3d_oracle_sigma"]["psnr"] > rows["input"]["psnr"] + 1
    assert rows["bm3d_blind_sigma"]["psnr"] > rows["input"]["psnr"] + 0.3
