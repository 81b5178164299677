"""Degradation presets: value range, per-image randomness, seeded evaluation, and the tensor's own device."""

from __future__ import annotations

import kornia
import pytest
import torch
import torch.nn.functional as F

from lightning_gan.data.degradations import HOLES_SHARE, PRESETS, degrade, scale_of

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
# Presets that draw per image (the small-file mixes are not: two images drawing the clean reduction come out the same;
# their own tests count the kinds).
RANDOM_PRESETS = [name for name in PRESETS if name not in ("grayscale", "downscale2", "downscale4", "none", "real_sr4x_mix",
                                                           "real_sr2x_mix", "jpeg_sr2x")]
CHANGING_PRESETS = [name for name in PRESETS if name != "none"]


def batch(n: int = 6, size: int = 32, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 3, size, size, generator=g) * 0.8 + 0.1


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", CHANGING_PRESETS)
def test_presets_keep_range_shape_and_device(name, device):
    clean = batch().to(device)
    for seeds in (None, torch.arange(len(clean))):
        out = degrade(clean, name, seeds=seeds)
        side = 32 // scale_of(name)
        assert out.image.shape == (6, 3, side, side)
        assert out.image.device == clean.device
        assert out.image.min() >= 0 and out.image.max() <= 1
        if scale_of(name) == 1:
            assert (out.image - clean).abs().mean() > 1e-3, f"{name} changed nothing"


@pytest.mark.parametrize("name", RANDOM_PRESETS)
def test_training_parameters_differ_per_image(name):
    torch.manual_seed(0)  # two jpeg qualities drawn close together can give nearly the same image
    same = batch(1).expand(6, -1, -1, -1).contiguous()
    out = degrade(same, name).image
    differences = [(out[0] - out[i]).abs().mean().item() for i in range(1, 6)]
    assert min(differences) > 1e-4


@pytest.mark.parametrize("name", list(PRESETS))
def test_evaluation_setting_is_identical_across_calls_and_batchings(name):
    clean = batch(8)
    whole = degrade(clean, name, seeds=torch.arange(100, 108)).image
    assert torch.equal(whole, degrade(clean, name, seeds=torch.arange(100, 108)).image)
    part = degrade(clean[3:6], name, seeds=torch.arange(103, 106)).image
    torch.testing.assert_close(whole[3:6], part, atol=1e-5, rtol=0)


def test_training_draws_differ_from_each_other_and_from_the_evaluation_setting():
    clean = batch(4)
    evaluation = degrade(clean, "noise", seeds=torch.arange(4)).image
    training = degrade(clean, "noise").image
    assert not torch.equal(training, degrade(clean, "noise").image)
    assert not torch.equal(training, evaluation)


def test_noise_evaluation_sigma_is_25():
    clean = torch.full((4, 3, 64, 64), 0.5)
    residual = degrade(clean, "noise", seeds=torch.arange(4)).image - clean
    assert abs(residual.std().item() - 25 / 255) < 0.003


def test_stains_return_a_mask_and_leave_the_rest_alone():
    clean = batch(6)
    out = degrade(clean, "stains")
    assert out.mask is not None and out.mask.shape == (6, 1, 32, 32)
    assert set(out.mask.unique().tolist()) <= {0.0, 1.0}
    assert (out.mask.flatten(1).sum(1) > 0).all()
    outside = (1 - out.mask).bool().expand_as(clean)
    assert torch.equal(out.image[outside], clean[outside])


def test_downscale_is_antialiased_average():
    clean = torch.zeros(1, 3, 32, 32)
    clean[..., ::2, :] = 1.0  # stripes one pixel high: an antialiased reduction sees mid grey
    small = degrade(clean, "downscale4").image
    assert small.shape[-1] == 8 and (small - 0.5).abs().max() < 0.1


def test_mixed_always_degrades_every_image():
    clean = batch(64, 16)
    out = degrade(clean, "mixed", seeds=torch.arange(64)).image
    assert ((out - clean).abs().flatten(1).amax(1) > 0).all()


def test_unknown_preset_lists_known_ones():
    with pytest.raises(ValueError, match="lowlight"):
        degrade(batch(), "sunburn")


def test_none_preset_returns_the_clean_photos():
    clean = batch()
    for seeds in (None, torch.arange(len(clean))):
        out = degrade(clean, "none", seeds=seeds)
        assert torch.equal(out.image, clean) and out.mask is None


def test_lowlight_darkens_in_linear_light_by_the_evaluation_ev():
    clean = torch.full((2, 3, 64, 64), 0.6)
    dark = degrade(clean, "lowlight", seeds=torch.arange(2)).image
    ratio = kornia.color.rgb_to_linear_rgb(dark).mean() / kornia.color.rgb_to_linear_rgb(clean).mean()
    assert abs(ratio.item() - 2.0**-2) < 0.01  # -2 EV: a quarter of the light; noise averages out


def test_lowlight_noise_grows_with_the_signal():
    ramp = torch.linspace(0.2, 1.0, 2).view(1, 1, 1, 2).expand(8, 3, 64, 2).repeat_interleave(32, dim=-1)
    dark = kornia.color.rgb_to_linear_rgb(degrade(ramp.contiguous(), "lowlight", seeds=torch.arange(8)).image)
    assert dark[..., 32:].std() > dark[..., :32].std()  # Poisson-Gaussian: variance shot * signal + read**2


def test_color_cast_evaluation_is_a_warm_white_balance_error():
    grey = torch.full((1, 3, 16, 16), 0.5)
    cast = degrade(grey, "color_cast", seeds=torch.arange(1)).image.mean(dim=(0, 2, 3))
    assert cast[0] > cast[1] > cast[2]  # red up, blue down


@pytest.mark.parametrize("name", ["mixed", "lowlight", "noise", "stains"])
def test_clean_share_leaves_that_share_of_training_images_untouched(name):
    clean = batch(400, 16)
    out = degrade(clean, name, clean_share=0.25)
    untouched = ((out.image - clean).abs().flatten(1).amax(1) == 0).float().mean().item()
    assert 0.18 < untouched < 0.32
    if out.mask is not None:
        same = (out.image - clean).abs().flatten(1).amax(1) == 0
        assert out.mask[same].sum() == 0  # an untouched photo has nothing to fill
    # evaluation draws are never left clean
    seeded = degrade(clean[:50], name, seeds=torch.arange(50), clean_share=0.25).image
    assert ((seeded - clean[:50]).abs().flatten(1).amax(1) > 0).all()


def test_large_holes_cover_the_documented_share_of_the_photo():
    photos = batch(128, 64)
    train = degrade(photos, "large_holes").mask.mean(dim=(1, 2, 3))
    evaluation = degrade(photos, "large_holes", seeds=torch.arange(128)).mask.mean(dim=(1, 2, 3))
    assert 0.2 < train.mean() < 0.36 and 0.1 < evaluation.mean() < 0.2
    assert (train > 0.05).float().mean() > 0.9 and (evaluation < 0.4).all()
    out = degrade(photos, "large_holes", seeds=torch.arange(128))
    torch.testing.assert_close(out.image * (1 - out.mask), photos * (1 - out.mask))  # only the hole changes


def test_holes_and_stains_gives_each_photo_one_of_the_two_masks():
    photos = batch(512, 48)

    def share(name: str) -> torch.Tensor:
        return degrade(photos, name).mask.mean(dim=(1, 2, 3))

    expected = HOLES_SHARE * share("large_holes").mean() + (1 - HOLES_SHARE) * share("stains").mean()
    assert abs(share("holes_and_stains").mean() - expected) < 0.02  # ~0.21: all holes ~0.27, all stains ~0.08
    seeded = degrade(photos[:16], "holes_and_stains", seeds=torch.arange(16))
    torch.testing.assert_close(seeded.mask, degrade(photos[:16], "holes_and_stains", seeds=torch.arange(16)).mask)
    torch.testing.assert_close(seeded.image * (1 - seeded.mask), photos[:16] * (1 - seeded.mask))


def test_camera_noise_is_signal_dependent_and_spatially_correlated():
    flat = torch.cat([torch.full((4, 3, 64, 32), 0.25), torch.full((4, 3, 64, 32), 0.9)], dim=-1)
    noisy = degrade(flat, "camera_noise", seeds=torch.arange(4)).image
    residual = kornia.color.rgb_to_linear_rgb(noisy) - kornia.color.rgb_to_linear_rgb(flat)
    dark, bright = residual[..., 4:-4, 4:28], residual[..., 4:-4, 36:-4]
    assert bright.std() > dark.std() > 0.005  # Poisson-Gaussian: more noise where more light
    neighbours = torch.corrcoef(torch.stack([bright[..., :-1].flatten(), bright[..., 1:].flatten()]))[0, 1]
    assert neighbours > 0.2  # white noise would give ~0


def test_noise_mix_gives_each_image_exactly_one_kind_of_noise():
    """Gaussian noise is white (neighbours uncorrelated); camera noise is correlated: each image shows one of them,
    both kinds occur, and no image gets both (a sum would be correlated and stronger than sigma 25)."""
    flat = torch.full((64, 3, 32, 32), 0.5)
    residual = degrade(flat, "noise_mix", seeds=torch.arange(64)).image - flat
    pairs = torch.stack([residual[..., :-1].flatten(1), residual[..., 1:].flatten(1)], dim=1)
    correlation = torch.stack([torch.corrcoef(p)[0, 1] for p in pairs])
    white = correlation.abs() < 0.1
    assert 10 < int(white.sum()) < 54  # both kinds, at about even odds
    torch.testing.assert_close(residual[white].std(), torch.tensor(25 / 255), rtol=0.05, atol=0)
    assert (correlation[~white] > 0.2).all()


def test_jpeg_is_what_a_file_saved_by_pillow_holds():
    """The JPEG presets go through libjpeg itself, not an approximation: a repair model trained on them meets the
    artefacts of real files (kornia's differentiable codec differs by about 40 dB PSNR)."""
    import io

    import numpy as np
    from PIL import Image

    clean = batch(2, 48)
    pixels = (clean * 255).round().to(torch.uint8)
    out = degrade(pixels.float() / 255, "jpeg", seeds=torch.arange(2)).image  # evaluation: quality 40
    for image, result in zip(pixels, out):
        buffer = io.BytesIO()
        Image.fromarray(image.permute(1, 2, 0).numpy()).save(buffer, "JPEG", quality=40)
        saved = torch.from_numpy(np.asarray(Image.open(buffer)).copy()).permute(2, 0, 1)
        assert torch.equal((result * 255).round().to(torch.uint8), saved)


def test_jpeg_repair_noises_some_photos_before_compressing_all():
    flat = torch.full((64, 3, 32, 32), 128 / 255)  # JPEG keeps a flat grey exactly; only the noise step changes it
    out = degrade(flat, "jpeg_repair", seeds=torch.arange(64)).image
    noisy = (out - flat).abs().flatten(1).mean(1) > 0.1 / 255  # what quality 40 leaves of the noise
    assert 0.1 < noisy.float().mean() < 0.5  # about a third noisy (sigma 5/255 before compression)
    photos = batch(4, 32, seed=1)
    assert ((degrade(photos, "jpeg_repair", seeds=torch.arange(4)).image - photos).abs().flatten(1).mean(1) > 1e-3).all()


@pytest.mark.parametrize("name", list(PRESETS))
def test_each_presets_record_says_what_degrade_does(name):
    """One record per preset (steps, scale, mask, one-of, noise): the size and the mask that come out agree with it."""
    clean = torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    out = degrade(clean, name, seeds=torch.tensor([1, 2]))
    preset = PRESETS[name]
    assert out.image.shape[-2:] == (32 // preset.scale, 32 // preset.scale) and scale_of(name) == preset.scale
    assert (out.mask is not None) == preset.mask
    assert preset.one_of <= (len(preset.steps) > 1) and preset.noise <= ("noise" in name)


def test_real_sr4x_mix_gives_each_photo_one_kind_of_small_image(monkeypatch):
    """Real-world degradation, a clean bicubic reduction, or that reduction as a JPEG: about 60 / 20 / 20 %."""
    import lightning_gan.data.real_world as real_world
    from lightning_gan.data.degradations import downscale

    monkeypatch.setattr(real_world, "real_world", lambda x, draw, scale: torch.full_like(x[..., ::scale, ::scale], 0.5))
    clean = torch.rand(60, 3, 32, 32, generator=torch.Generator().manual_seed(3))
    out = degrade(clean, "real_sr4x_mix", seeds=torch.arange(60)).image
    assert out.shape == (60, 3, 8, 8)
    real = (out == 0.5).flatten(1).all(1)
    plain = (out - downscale(clean, None, 4).clamp(0, 1)).abs().flatten(1).amax(1) < 1e-6
    compressed = ~real & ~plain
    assert 25 <= int(real.sum()) <= 47 and 5 <= int(plain.sum()) <= 20 and 5 <= int(compressed.sum()) <= 20
    assert not (out[compressed] == 0.5).flatten(1).all(1).any()  # a JPEG of the reduction, not the real-world branch


def test_real_sr2x_mix_halves_each_photo_and_compresses_more_of_them_than_the_x4_mix(monkeypatch):
    """`sr2x`'s inputs: real-world degradation, a clean halving, or that halving as a JPEG: about 40 / 20 / 40 %."""
    import lightning_gan.data.real_world as real_world
    from lightning_gan.data.degradations import downscale

    monkeypatch.setattr(real_world, "real_world", lambda x, draw, scale: torch.full_like(x[..., ::scale, ::scale], 0.5))
    clean = torch.rand(80, 3, 32, 32, generator=torch.Generator().manual_seed(4))
    out = degrade(clean, "real_sr2x_mix", seeds=torch.arange(80)).image
    assert out.shape == (80, 3, 16, 16)
    real = (out == 0.5).flatten(1).all(1)
    plain = (out - downscale(clean, None, 2).clamp(0, 1)).abs().flatten(1).amax(1) < 1e-6
    compressed = ~real & ~plain
    assert 20 <= int(real.sum()) <= 44 and 6 <= int(plain.sum()) <= 26 and 20 <= int(compressed.sum()) <= 44


def test_jpeg_sr2x_halves_every_photo_and_saves_it_as_a_jpeg_of_quality_20_to_90(monkeypatch):
    """`sr2x-jpeg`'s inputs: always the clean halving as a JPEG, never the real-world branch or a clean halving; its
    pixels sit on the grid of a quality in 20-90 (read back with `nets.jpeg.estimate_quality`)."""
    import lightning_gan.data.real_world as real_world
    from lightning_gan.data.degradations import downscale
    from lightning_gan.nets.jpeg import ON_GRID, estimate_quality

    monkeypatch.setattr(real_world, "real_world", lambda x, draw, scale: torch.full_like(x[..., ::scale, ::scale], 0.5))
    smooth = F.interpolate(torch.rand(24, 3, 16, 16, generator=torch.Generator().manual_seed(5)), size=(128, 128),
                           mode="bicubic", align_corners=False).clamp(0, 1)
    out = degrade(smooth, "jpeg_sr2x", seeds=torch.arange(24)).image
    assert out.shape == (24, 3, 64, 64)
    assert not (out == 0.5).flatten(1).all(1).any()
    assert ((out - downscale(smooth, None, 2).clamp(0, 1)).abs().flatten(1).amax(1) > 1 / 255).all()
    read = [estimate_quality(photo[None]) for photo in out[:8]]
    assert all(score < ON_GRID and 15 <= quality <= 95 for quality, score in read), read
