"""autofix.py: the plan from the analysis, the stages in order, and the no-reference checks that undo a harmful stage."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from lightning_gan.data.datamodule import SAMPLE_ROOT
from lightning_gan.data.degradations import degrade
from lightning_gan.data.images import read_rgb, scan
from lightning_gan.inference import Restorer, load_restorer
from lightning_gan.inference.autofix import Fixer, make_plan, psnr, shrink
from lightning_gan.nets.jpeg import estimate_quality, jpeg_consistent


def tensor(image: Image.Image) -> torch.Tensor:
    return torch.from_numpy(np.asarray(image.convert("RGB")).copy()).permute(2, 0, 1).float() / 255


@pytest.fixture(scope="module")
def clean() -> torch.Tensor:
    """A clean 96 px shelf photo of the embedded sample."""
    return tensor(read_rgb(next(p for p in scan(SAMPLE_ROOT / "test") if p.stem == "Golden-Delicious_001")))


@pytest.fixture(scope="module")
def dark_noisy(clean) -> torch.Tensor:
    seeds = torch.tensor([3])
    return degrade(degrade(clean[None], "lowlight", seeds=seeds).image, "camera_noise", seeds=seeds).image[0]


def fake(name: str, fn) -> Restorer:
    return Restorer(name, lambda x, m: fn(x), 1, False)


def test_the_plan_of_a_clean_photo_is_empty_and_the_photo_comes_back_unchanged(clean):
    assert make_plan(clean).stages == []
    fixed, report = Fixer().fix(clean)
    assert torch.equal(fixed, clean)
    assert report.summary() == "nothing needed" and report.steps == []


def test_a_dark_noisy_photo_gets_tone_then_denoise_and_beats_each_model_alone(clean, dark_noisy):
    assert [stage for stage, _ in make_plan(dark_noisy).stages] == ["tone", "denoise"]
    fixed, report = Fixer().fix(dark_noisy)
    assert report.done == ["tone", "denoise"]
    alone = max(psnr(load_restorer(name)(dark_noisy[None])[0], clean) for name in ("enhance", "denoise"))
    assert psnr(fixed, clean) > alone + 0.5


def test_an_ensemble_asked_for_also_averages_the_denoisers_flipped_copies(dark_noisy):
    _, single = Fixer(ensemble=1).fix(dark_noisy)
    fixed, report = Fixer(ensemble=4).fix(dark_noisy)
    assert report.done == single.done == ["tone", "denoise"]
    denoise = next(step for step in report.steps if step.stage == "denoise")
    assert "mean of 4 flipped copies" in denoise.why
    assert not any("flipped" in step.why for step in report.steps if step.stage == "tone")  # global: one pass


def test_a_small_jpeg_gets_repair_then_upscale_to_the_size_asked_for(clean):
    buffer = io.BytesIO()
    Image.fromarray((clean.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)).resize((48, 48)).save(
        buffer, "JPEG", quality=30)
    small = tensor(Image.open(buffer))
    assert [stage for stage, _ in make_plan(small, quality=30, min_size=96).stages] == ["dejpeg", "upscale"]
    smooth = fake("smooth", lambda x: F.avg_pool2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), 3, 1))  # a stand-in repair
    fixed, report = Fixer(min_size=96, models={"dejpeg": smooth}).fix(small, quality=30)
    assert report.done == ["dejpeg", "upscale"]
    assert fixed.shape == (3, 96, 96)


def test_an_upscaler_trained_behind_jpeg_repair_is_not_given_the_repair_twice(clean):
    """An upscaler with an earlier stage (`Restorer.before`, a model trained with `input_model`) runs it itself
    when fix did not repair the photo, and runs alone after fix's own `dejpeg`."""
    calls = []
    counted = fake("dejpeg", lambda x: calls.append(1) or x)
    up = Restorer("up", lambda x, m: F.interpolate(x, scale_factor=2, mode="bicubic", align_corners=False), 2, False,
                  before=counted)
    buffer = io.BytesIO()
    Image.fromarray((clean.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)).resize((48, 48)).save(
        buffer, "JPEG", quality=30)
    small = tensor(Image.open(buffer))
    smooth = fake("dejpeg", lambda x: F.avg_pool2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), 3, 1))
    _, report = Fixer(min_size=96, models={"dejpeg": smooth, "upscale": up}).fix(small, quality=30)
    assert report.done == ["dejpeg", "upscale"] and calls == []
    png = F.interpolate(clean[None], size=(48, 48), mode="bilinear", antialias=True, align_corners=False)[0]
    assert not make_plan(png).compressed
    _, report = Fixer(min_size=96, models={"dejpeg": smooth, "upscale": up}).fix(png)
    assert report.done == ["upscale"] and calls == [1]


def test_a_repair_trained_with_the_upscaler_repairs_the_photos_it_enlarges(clean):
    """An upscaler whose earlier stage was trained with it (`Cascade`: its `before` is named `up/dejpeg`) has that
    stage run as fix's `dejpeg` step, once, instead of the shipped repair; photos that are not enlarged keep it."""
    calls, shipped = [], []
    own = fake("up/dejpeg", lambda x: calls.append(1) or x)
    up = Restorer("up", lambda x, m: F.interpolate(x, scale_factor=2, mode="bicubic", align_corners=False), 2, False,
                  before=own)
    repair = fake("dejpeg", lambda x: shipped.append(1) or x)
    buffer = io.BytesIO()
    Image.fromarray((clean.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)).resize((48, 48)).save(
        buffer, "JPEG", quality=30)
    small = tensor(Image.open(buffer))
    fixer = Fixer(min_size=96, models={"dejpeg": repair, "upscale": up}, ensemble=1)  # one copy: one call a stage
    fixed, report = fixer.fix(small, quality=30)
    assert report.done == ["dejpeg", "upscale"] and calls == [1] and shipped == []
    assert "up/dejpeg" in report.steps[0].why and fixed.shape == (3, 96, 96)
    _, report = Fixer(min_size=48, models={"dejpeg": repair, "upscale": up}).fix(small, quality=30)
    assert report.done == ["dejpeg"] and shipped == [1] and calls == [1]


def test_a_high_quality_jpeg_and_a_large_photo_are_left_alone(clean):
    assert make_plan(clean, quality=95, min_size=96).stages == []


def test_a_jpeg_without_its_file_is_recognised_from_its_pixels(clean):
    """The sample photo's pixels sit on the grid of the quality its file was saved at: when it is to be enlarged,
    JPEG repair comes first."""
    from lightning_gan.inference.autofix import file_quality

    path = next(p for p in scan(SAMPLE_ROOT / "test") if p.stem == "Golden-Delicious_001")
    plan = make_plan(clean, min_size=192)
    assert plan.findings.jpeg_quality == file_quality(path) == 88
    assert [stage for stage, _ in plan.stages] == ["dejpeg", "upscale"]


def test_plan_only_runs_nothing(dark_noisy):
    fixed, report = Fixer().fix(dark_noisy, plan_only=True)
    assert torch.equal(fixed, dark_noisy)
    assert [s.stage for s in report.steps] == ["tone", "denoise"] and report.done == []


def test_a_denoiser_that_wipes_detail_is_undone(clean):
    noisy = (clean + 8 / 255 * torch.randn(clean.shape, generator=torch.Generator().manual_seed(0))).clamp(0, 1)
    assert [stage for stage, _ in make_plan(noisy).stages] == ["denoise"]
    wipe = fake("wipe", lambda x: F.avg_pool2d(F.pad(x, (5, 5, 5, 5), mode="replicate"), 11, 1))
    fixed, report = Fixer(models={"denoise": wipe}).fix(noisy)
    assert torch.equal(fixed, noisy)
    assert "removed detail" in report.steps[0].why and report.done == []


def test_a_tone_result_that_clips_is_undone(dark_noisy):
    burn = fake("burn", lambda x: (x * 4).clamp(0, 1))
    fixed, report = Fixer(models={"tone": burn, "denoise": fake("keep", lambda x: x)}).fix(dark_noisy)
    tone = report.steps[0]
    assert tone.stage == "tone" and not tone.done and "newly clipped" in tone.why


def test_an_upscale_that_does_not_shrink_back_to_the_photo_falls_back_to_bicubic(clean):
    tinted = Restorer("tint", lambda x, m: F.interpolate(x * 0.7, scale_factor=4, mode="nearest"), 4, False)
    fixed, report = Fixer(min_size=192, models={"upscale": tinted, "dejpeg": fake("keep", lambda x: x)}).fix(clean)
    upscale = next(s for s in report.steps if s.stage == "upscale")
    assert fixed.shape == (3, 192, 192) and "bicubic" in upscale.why
    torch.testing.assert_close(fixed, F.interpolate(clean[None], size=(192, 192), mode="bicubic", align_corners=False)[0].clamp(0, 1))


def test_an_upscale_is_back_projected_so_that_it_shrinks_back_to_the_photo(clean):
    """An upscaler slightly off in tone (within the agreement check) is pulled back: the result, shrunk to the
    photo's size, is closer to the photo than the upscaler's own output."""
    from lightning_gan.nets.io import gaussian_blur

    photo = gaussian_blur(clean[None], 0.7)[0]  # the sample is a JPEG (its pixels read quality 88); this is not
    assert not make_plan(photo).compressed
    dull = dull_upscaler()
    fixed, report = Fixer(min_size=192, models={"upscale": dull, "dejpeg": fake("keep", lambda x: x)}).fix(photo)
    assert fixed.shape == (3, 192, 192) and "back-projection" in report.steps[-1].why
    raw = dull_x4(photo, 192)
    assert psnr(shrink(fixed, photo.shape[1:]), photo) > psnr(shrink(raw, photo.shape[1:]), photo) + 3


def dull(x: torch.Tensor) -> torch.Tensor:
    """x4 nearest enlargement slightly off in tone (within fix's agreement check)."""
    return F.interpolate(0.96 * x + 0.02, scale_factor=4, mode="nearest")


def dull_upscaler() -> Restorer:
    return Restorer("dull", lambda x, m: dull(x), 4, False)


def dull_x4(photo: torch.Tensor, size: int) -> torch.Tensor:
    """What the `dull` upscaler gives, resized to `size` as fix resizes it."""
    return F.interpolate(dull(photo[None]), size=(size, size), mode="bicubic", antialias=True,
                         align_corners=False)[0].clamp(0, 1)


def cells_missed(image: torch.Tensor, jpeg: torch.Tensor, quality: int) -> float:
    """How far (mean 8-bit levels) `image` lies outside the luma quantisation cells of the JPEG `jpeg`."""
    return float((jpeg_consistent(image[None], jpeg[None], quality)[0] - image).abs().mean() * 255)


def test_a_jpeg_is_back_projected_onto_its_files_cells_not_onto_its_pixels(clean):
    """A JPEG's pixels carry its errors, so its upscale is pulled only into what the file allows: shrunk back, the
    result lies far nearer the file's quantisation cells than the upscaler's own output (the sample's pixels sit on
    the grid of quality 88), and it is not the result of pulling onto the pixels."""
    quality, score = estimate_quality(clean[None])
    assert score < 0.75 and quality == 88
    dull = dull_upscaler()
    keep = fake("keep", lambda x: x)
    fixed, report = Fixer(min_size=192, models={"upscale": dull, "dejpeg": keep}).fix(clean, quality=80)
    raw = dull_x4(clean, 192)
    assert cells_missed(shrink(fixed, clean.shape[1:]), clean, 88) < 0.5 * cells_missed(shrink(raw, clean.shape[1:]), clean, 88)
    onto_pixels = (raw + F.interpolate((clean - shrink(raw, clean.shape[1:]))[None], size=(192, 192), mode="bicubic",
                                       align_corners=False)[0]).clamp(0, 1)
    assert (fixed - onto_pixels).abs().max() > 1 / 255
    assert "quantisation cells of its JPEG (quality 88)" in report.steps[-1].why


def test_a_jpeg_resized_since_or_toned_first_is_not_back_projected(clean, dark_noisy):
    """Off the file's grid (resized after saving) there are no cells to project onto, and after tone the values
    are no longer the file's: the upscaler's own output, resized, is kept."""
    dull = dull_upscaler()
    keep = fake("keep", lambda x: x)
    resized = F.interpolate(clean[None], size=(90, 90), mode="bilinear", antialias=True, align_corners=False)[0].clamp(0, 1)
    fixed, report = Fixer(min_size=180, models={"upscale": dull, "dejpeg": keep}).fix(resized, quality=80)
    torch.testing.assert_close(fixed, dull_x4(resized, 180))
    assert "not back-projected" in report.steps[-1].why
    brighter = fake("brighter", lambda x: (x * 1.6).clamp(0, 1))
    models = {"upscale": dull, "dejpeg": keep, "tone": brighter, "denoise": keep}
    fixed, report = Fixer(min_size=192, models=models).fix(dark_noisy, quality=80)
    assert "tone" in report.done and "not back-projected" in report.steps[-1].why


def test_an_enlargement_by_two_or_less_uses_the_x2_model_when_it_is_shipped(clean, monkeypatch):
    """x2 (96 -> 192) and x1.5 go to `sr2x`; x3 to `sr4x`; an upscaler the user named is used for every factor."""
    import lightning_gan.inference.autofix as autofix

    asked = []

    def loader(spec, device, half=None):
        asked.append(spec)
        factor = 2 if spec == "sr2x" else 4
        return Restorer(spec, lambda x, m: F.interpolate(x, scale_factor=factor, mode="bicubic", align_corners=False), factor, False)

    monkeypatch.setattr(autofix, "pretrained_names", lambda: [*autofix.MODELS.values(), autofix.UPSCALE_X2])
    monkeypatch.setattr(autofix, "load_restorer", loader)
    keep = fake("keep", lambda x: x)
    for min_size, expected in ((192, "sr2x"), (144, "sr2x"), (288, "sr4x")):
        fixed, report = Fixer(min_size=min_size, models={"dejpeg": keep}).fix(clean)
        assert fixed.shape == (3, min_size, min_size) and asked[-1] == expected and expected in report.steps[-1].why
    Fixer(min_size=192, models={"dejpeg": keep, "upscale": "sr4x-clean"}).fix(clean)
    assert asked[-1] == "sr4x-clean"
    monkeypatch.setattr(autofix, "pretrained_names", lambda: list(autofix.MODELS.values()))  # no x2 model shipped
    Fixer(min_size=192, models={"dejpeg": keep}).fix(clean)
    assert asked[-1] == "sr4x"


def test_a_jpeg_of_quality_90_or_less_is_enlarged_by_the_x2_model_trained_on_jpegs(clean, monkeypatch):
    """`sr2x-jpeg`, when shipped, takes the JPEGs that fix repairs before enlarging (quality <= 90); a PNG, a JPEG
    saved at 95 and any enlargement over x2 keep their models; without it shipped, JPEGs go to `sr2x`."""
    import lightning_gan.inference.autofix as autofix

    asked = []

    def loader(spec, device, half=None):
        asked.append(spec)
        factor = 2 if spec.startswith("sr2x") else 4
        return Restorer(spec, lambda x, m: F.interpolate(x, scale_factor=factor, mode="bicubic", align_corners=False), factor, False)

    shipped = [*autofix.MODELS.values(), autofix.UPSCALE_X2, autofix.UPSCALE_X2_JPEG]
    monkeypatch.setattr(autofix, "pretrained_names", lambda: shipped)
    monkeypatch.setattr(autofix, "load_restorer", loader)
    keep = fake("keep", lambda x: x)
    # the sample photo is a JPEG file (read from its pixels when no quality is given); resized, it is on no grid
    off_grid = F.interpolate(clean[None], size=(90, 90), mode="bilinear", antialias=True, align_corners=False)[0].clamp(0, 1)
    for photo, quality, min_size, expected in ((clean, 30, 192, "sr2x-jpeg"), (clean, 90, 192, "sr2x-jpeg"),
                                               (clean, None, 192, "sr2x-jpeg"), (clean, 95, 192, "sr2x"),
                                               (off_grid, None, 180, "sr2x"), (clean, 30, 288, "sr4x")):
        fixed, report = Fixer(min_size=min_size, models={"dejpeg": keep}).fix(photo, quality=quality)
        assert fixed.shape == (3, min_size, min_size) and asked[-1] == expected, (quality, min_size, asked)
        assert expected in report.steps[-1].why
    shipped.remove(autofix.UPSCALE_X2_JPEG)
    Fixer(min_size=192, models={"dejpeg": keep}).fix(clean, quality=30)
    assert asked[-1] == "sr2x"


def test_a_stage_without_a_usable_model_is_skipped_and_says_why(clean):
    fixed, report = Fixer(min_size=192, models={"upscale": "no-such-model.ckpt", "dejpeg": fake("keep", lambda x: x)}).fix(clean)
    assert torch.equal(fixed, clean) and "no-such-model.ckpt" in report.steps[-1].why


def test_unknown_stages_and_bad_sizes_are_refused():
    with pytest.raises(ValueError, match="unknown fix stage"):
        Fixer(models={"sharpen": "sr4x"})
    with pytest.raises(ValueError, match="--min-size"):
        Fixer(min_size=0)


def test_the_shipped_jpeg_repair_reduces_blocking(clean):
    from lightning_gan.inference.analysis import blockiness

    buffer = io.BytesIO()
    Image.fromarray((clean.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)).save(buffer, "JPEG", quality=20)
    jpeg = tensor(Image.open(buffer))
    fixed, report = Fixer().fix(jpeg, quality=20)
    assert report.done == ["dejpeg"]
    assert blockiness(fixed) < blockiness(jpeg) and psnr(fixed, clean) > psnr(jpeg, clean)


def test_a_small_photo_to_be_enlarged_is_repaired_and_upscaled_with_a_self_ensemble(clean):
    buffer = io.BytesIO()
    Image.fromarray((clean.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)).resize((48, 48)).save(
        buffer, "JPEG", quality=30)
    small = tensor(Image.open(buffer))
    calls = {"dejpeg": 0, "up": 0}

    def counted(stage, fn):
        return lambda x, m: calls.__setitem__(stage, calls[stage] + 1) or fn(x)

    repair = Restorer("dejpeg", counted("dejpeg", lambda x: F.avg_pool2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), 3, 1)))
    up = Restorer("up", counted("up", lambda x: F.interpolate(x, scale_factor=2, mode="bicubic", align_corners=False)), 2)
    for asked, copies in ((None, 4), (1, 1), (8, 8)):
        calls.update(dejpeg=0, up=0)
        fixed, report = Fixer(min_size=96, models={"dejpeg": repair, "upscale": up}, ensemble=asked).fix(small, quality=30)
        assert report.done == ["dejpeg", "upscale"] and fixed.shape == (3, 96, 96)
        assert calls == {"dejpeg": copies, "up": copies}
        assert all(("flipped copies" in step.why) == (copies > 1) for step in report.steps)
    calls.update(dejpeg=0, up=0)
    _, report = Fixer(models={"dejpeg": repair}).fix(small, quality=30)  # not enlarged: one copy by default
    assert report.done == ["dejpeg"] and calls["dejpeg"] == 1
    with pytest.raises(ValueError, match="--ensemble"):
        Fixer(ensemble=3)
