"""evaluate.py: the no-reference scores and the do-no-harm preset."""

from __future__ import annotations

import json

import pytest
import torch
import torch.nn.functional as F
from conftest import write_image

from lightning_gan.commands import main as lightning_gan
from lightning_gan.commands.evaluate import main
from lightning_gan.evaluation.restoration import wandb_tag
from lightning_gan.evaluation.scores import no_reference_scores


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


def test_new_clipping_and_black_shares():
    photo = textured()  # nothing at white or black
    row = no_reference_scores((photo * 2).clamp(0, 1), photo)
    assert row["new_clipping_pp"] > 10 and row["black_percent"] == 0
    crushed = photo.clone()
    crushed[..., :16, :] = 1 / 255  # a quarter of the photo crushed to black
    assert abs(no_reference_scores(crushed, photo)["black_percent"] - 25) < 1e-3
    assert no_reference_scores(photo, photo)["new_clipping_pp"] == 0


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


def test_bad_images_are_skipped_and_listed_and_the_json_still_written(tmp_path, monkeypatch, capsys):
    from PIL import Image

    photos = tmp_path / "photos"
    for i in range(2):
        write_image(photos / f"good{i}.png", (120, 90, 60), size=32)
    write_image(photos / "tiny.png", size=5)
    write_image(photos / "bomb.png", size=60)
    (photos / "broken.jpg").write_bytes(b"not a jpeg")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # 60x60 is then over twice the limit: Pillow's bomb error
    out = tmp_path / "res.json"
    assert main(["--data", str(photos), "--degradation", "noise", "--baselines", "gaussian_filter", "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    assert all(row["images"] == 2 for row in result["rows"])
    skipped = "\n".join(result["skipped"])
    assert "tiny.png: too small" in skipped and "bomb.png" in skipped and "broken.jpg" in skipped
    assert "skipped 3 image(s)" in capsys.readouterr().err


def test_super_resolution_skips_photos_smaller_than_the_scale(tmp_path):
    photos = tmp_path / "photos"
    write_image(photos / "ok.png", size=32)
    write_image(photos / "small.png", size=6)
    out = tmp_path / "sr.json"
    assert main(["--data", str(photos), "--degradation", "downscale4", "--baselines", "bicubic", "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["rows"][0]["images"] == 1 and "small.png: too small" in result["skipped"][0]


def test_an_unwritable_out_is_refused_before_any_work(tmp_path, capsys):
    blocker = tmp_path / "file.txt"
    blocker.write_text("a file, not a folder")
    assert main(["--degradation", "noise", "--baselines", "gaussian_filter", "--out", str(blocker / "res.json")]) == 2
    err = capsys.readouterr().err
    assert "cannot write there" in err
    assert "%|" not in err  # refused before the progress bar started: no image was scored


def test_no_reference_on_darkened_photos(tmp_path):
    out = tmp_path / "dark.json"
    assert main(["--no-reference", "--degradation", "lowlight", "--baselines", "gamma_correction,gaussian_filter",
                 "--limit", "3", "--out", str(out)]) == 0
    rows = {row["method"]: row for row in json.loads(out.read_text())["rows"]}
    assert rows["gamma_correction"]["luma_change"] > 0.05  # brightens the darkened photos
    assert rows["gaussian_filter"]["detail_ratio"] < 1
    assert main(["--no-reference", "--degradation", "downscale4", "--baselines", "clahe", "--out", str(tmp_path / "x.json")]) == 2


def test_mask_presets_report_scores_inside_the_hole(tmp_path):
    out = tmp_path / "holes.json"
    assert main(["--degradation", "large_holes", "--baselines", "diffusion_fill", "--limit", "3", "--out", str(out)]) == 0
    rows = {row["method"]: row for row in json.loads(out.read_text())["rows"]}
    assert rows["diffusion_fill"]["psnr_hole"] > rows["input"]["psnr_hole"]
    assert rows["diffusion_fill"]["psnr_hole"] < rows["diffusion_fill"]["psnr"]  # the hole is the hard part
    assert rows["diffusion_fill"]["detail_hole"] < 0.2  # a smooth fill


def test_hole_scores_ignore_pixels_outside_the_mask():
    from lightning_gan.evaluation.scores import hole_scores

    clean = torch.rand(1, 3, 32, 32)
    mask = torch.zeros(1, 1, 32, 32)
    mask[..., 8:24, 8:24] = 1
    damaged_outside = clean.clone()
    damaged_outside[..., :4, :] = 0
    assert hole_scores(damaged_outside, clean, mask)["psnr_hole"] > 90
    off_inside = clean + 0.1 * mask
    assert abs(hole_scores(off_inside, clean, mask)["psnr_hole"] - 20.0) < 0.01


def test_hole_detail_tells_a_smooth_fill_from_a_textured_one():
    from lightning_gan.evaluation.scores import hole_scores
    from lightning_gan.inference.baselines import diffusion_fill

    torch.manual_seed(0)
    clean = torch.rand(1, 3, 48, 48)  # texture everywhere
    mask = torch.zeros(1, 1, 48, 48)
    mask[..., 12:36, 12:36] = 1
    assert abs(hole_scores(clean, clean, mask)["detail_hole"] - 1.0) < 1e-6
    smooth = diffusion_fill(clean * (1 - mask), mask)
    assert hole_scores(smooth, clean, mask)["detail_hole"] < 0.05
    other_texture = torch.where(mask > 0.5, torch.rand_like(clean), clean)  # wrong detail, but as much of it
    assert 0.7 < hole_scores(other_texture, clean, mask)["detail_hole"] < 1.3


def test_evaluate_writes_json_table_and_picture(tmp_path, capsys):
    out = tmp_path / "res.json"
    lightning_gan(["evaluate", "--degradation", "noise", "--model", "median_filter", "--baselines", "gaussian_filter",
          "--limit", "3", "--out", str(out), "--device", "cpu"])
    result = json.loads(out.read_text())
    methods = {row["method"]: row for row in result["rows"]}
    assert set(methods) == {"median_filter", "gaussian_filter", "input"}
    assert all(row["images"] == 3 for row in result["rows"])
    assert methods["gaussian_filter"]["psnr"] > methods["input"]["psnr"]
    photos = result["photos"]  # each photo's score by method: which photos a change moved
    assert len(photos) == 3 and all(set(scores) == {"median_filter", "gaussian_filter"} for scores in photos.values())
    assert sum(s["gaussian_filter"] for s in photos.values()) / 3 == pytest.approx(methods["gaussian_filter"]["psnr"], abs=1e-2)
    assert "| gaussian_filter |" in capsys.readouterr().out
    assert (tmp_path / "res_worst_best.png").is_file()
    with pytest.raises(SystemExit):  # the JSON exists: no silent overwrite
        lightning_gan(["evaluate", "--degradation", "noise", "--baselines", "all", "--limit", "1", "--out", str(out)])


def test_evaluate_super_resolution_reports_y_channel(tmp_path):
    out = tmp_path / "sr.json"
    lightning_gan(["evaluate", "--degradation", "downscale4", "--baselines", "all", "--limit", "2", "--out", str(out)])
    rows = {row["method"]: row for row in json.loads(out.read_text())["rows"]}
    assert set(rows) == {"bicubic", "bilinear", "nearest"}
    assert rows["bicubic"]["psnr_y"] > rows["nearest"]["psnr_y"]


def test_evaluate_rejects_unknown_names(tmp_path, capsys):
    with pytest.raises(SystemExit):
        lightning_gan(["evaluate", "--degradation", "sunburn", "--baselines", "all", "--out", str(tmp_path / "x.json")])
    assert "sunburn" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        lightning_gan(["evaluate", "--degradation", "noise", "--baselines", "magic", "--out", str(tmp_path / "y.json")])
    assert "unknown baseline 'magic'" in capsys.readouterr().err


def test_wandb_tags_of_long_checkpoint_paths_fit_the_64_character_limit():
    path = "runs/pretrained_sr4x_edsr/version_0/checkpoints/best-step5280.ckpt"  # 66 characters: W&B refused it
    assert wandb_tag(path) == "pretrained_sr4x_edsr/version_0/checkpoints/best-step5280.ckpt"
    assert wandb_tag("denoise") == "denoise"
    assert len(wandb_tag("x" * 100)) == 64


def test_evaluate_with_a_long_checkpoint_path_logs_offline(sr_checkpoint, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    deep = tmp_path / ("a_long_experiment_name_" * 3) / "version_12" / "checkpoints" / "best-step123456.ckpt"
    deep.parent.mkdir(parents=True)
    deep.write_bytes(sr_checkpoint.read_bytes())
    assert main(["--model", str(deep), "--degradation", "downscale2", "--limit", "1", "--out", "ev/r.json", "--wandb", "offline"]) == 0
    assert list((tmp_path / "ev" / "wandb").glob("offline-run-*/run-*.wandb"))


def test_evaluate_strength_scores_a_denoiser_at_another_level(tmp_path, capsys):
    out = tmp_path / "strength.json"
    args = ["evaluate", "--degradation", "noise", "--model", "denoise", "--limit", "2", "--device", "cpu", "--wandb", "disabled"]
    lightning_gan([*args, "--strength", "0", "--out", str(out)])
    lightning_gan([*args, "--out", str(tmp_path / "plain.json")])
    weak = {row["method"]: row for row in json.loads(out.read_text())["rows"]}
    plain = {row["method"]: row for row in json.loads((tmp_path / "plain.json").read_text())["rows"]}
    assert set(weak) == {"denoise@0", "input"} and "denoise" in plain
    assert plain["denoise"]["psnr"] > weak["denoise@0"]["psnr"] + 0.1  # told "no noise", it leaves more of sigma 25 in
    with pytest.raises(SystemExit):
        lightning_gan(["evaluate", "--degradation", "noise", "--model", "median_filter", "--strength", "2", "--limit", "1",
                       "--out", str(tmp_path / "x.json")])
    assert "--strength needs a noise-level-aware model" in capsys.readouterr().err


def test_evaluate_ensemble_scores_the_mean_of_flipped_copies_as_its_own_row(tmp_path):
    args = ["evaluate", "--degradation", "noise", "--model", "denoise", "--limit", "2", "--device", "cpu", "--wandb", "disabled"]
    lightning_gan([*args, "--ensemble", "4", "--out", str(tmp_path / "four.json")])
    lightning_gan([*args, "--out", str(tmp_path / "one.json")])
    four = {row["method"]: row for row in json.loads((tmp_path / "four.json").read_text())["rows"]}
    one = {row["method"]: row for row in json.loads((tmp_path / "one.json").read_text())["rows"]}
    assert set(four) == {"denoise x4", "input"}
    assert four["denoise x4"]["psnr"] != one["denoise"]["psnr"]  # another result, the same seeded noisy photos
    assert four["input"]["psnr"] == one["input"]["psnr"]
