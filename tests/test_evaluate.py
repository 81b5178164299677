"""evaluate.py: the no-reference scores and the do-no-harm preset."""

from __future__ import annotations

import json

import torch
import torch.nn.functional as F
from conftest import write_image

from lightning_gan.evaluate import main, no_reference_scores


def textured(n: int = 2, size: int = 64) -> torch.Tensor:
    g = torch.Generator().manual_seed(0)
    base = F.interpolate(torch.rand(n, 3, size // 8, size // 8, generator=g), size=(size, size), mode="bilinear")
    return (0.15 + 0.5 * base + 0.2 * torch.rand(n, 3, size, size, generator=g)).clamp(0, 1)


def test_a_pure_gain_has_no_colour_cast_and_more_detail():
    photo = textured() * 0.5
    row = no_reference_scores(photo * 1.6, photo)
    assert abs(row["color_cast"]) < 1e-6
    assert row["luma_change"] > 0.05
    assert abs(row["detail_ratio"] - 1.6**2) < 0.05  # the Laplacian scales with the gain, its variance with its square


def test_a_blur_loses_detail_and_a_tint_is_a_cast():
    photo = textured()
    blurred = F.avg_pool2d(F.pad(photo, (1, 1, 1, 1), mode="replicate"), 3, stride=1)
    assert no_reference_scores(blurred, photo)["detail_ratio"] < 0.5
    tinted = photo * torch.tensor([1.2, 1.0, 0.8]).view(1, 3, 1, 1)
    assert no_reference_scores(tinted, photo)["color_cast"] > 0.02
    assert abs(no_reference_scores(photo, photo)["color_cast"]) < 1e-7


def test_no_reference_evaluate_on_a_plain_folder(tmp_path, capsys):
    for i in range(3):
        write_image(tmp_path / "photos" / f"p{i}.png", (120, 90, 60), size=32)
    out = tmp_path / "nr.json"
    assert main(["--no-reference", "--data", str(tmp_path / "photos"), "--baselines",
                 "gaussian_filter,gray_world", "--out", str(out), "--device", "cpu"]) == 0
    rows = {row["method"]: row for row in json.loads(out.read_text())["rows"]}
    assert rows["gaussian_filter"]["detail_ratio"] < 1
    assert rows["gray_world"]["color_cast"] > rows["gaussian_filter"]["color_cast"]
    assert "detail_ratio" in capsys.readouterr().out


def test_evaluate_without_a_preset_says_what_is_missing(tmp_path, capsys):
    assert main(["--baselines", "clahe", "--out", str(tmp_path / "x.json")]) == 2
    assert "--degradation is required" in capsys.readouterr().err


def test_do_no_harm_preset_scores_the_identity_as_perfect(tmp_path):
    out = tmp_path / "none.json"
    assert main(["--degradation", "none", "--baselines", "gaussian_filter", "--limit", "2", "--out", str(out)]) == 0
    rows = {row["method"]: row for row in json.loads(out.read_text())["rows"]}
    assert rows["input"]["psnr"] > 60 and rows["gaussian_filter"]["psnr"] < rows["input"]["psnr"]
