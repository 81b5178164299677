"""evaluation/scores.py: the texture scores tell a kept texture from a painted-over one, whatever the noise."""

import kornia
import torch

from lightning_gan.evaluation.scores import texture_scores


def textured_photo() -> torch.Tensor:
    """A flat left half and a fine random texture on the right, like a product beside a wicker basket."""
    generator = torch.Generator().manual_seed(0)
    photo = torch.full((1, 3, 64, 64), 0.5)
    photo[..., 32:] += 0.2 * (torch.rand(1, 1, 64, 32, generator=generator) - 0.5)
    return photo


def test_identity_keeps_all_texture():
    photo = textured_photo()
    row = texture_scores(photo, photo)
    assert abs(row["texture_kept"] - 1) < 1e-5 and abs(row["texture_energy"] - 1) < 1e-5


def test_smoothing_loses_texture_and_noise_does_not_count_as_texture():
    photo = textured_photo()
    smoothed = kornia.filters.gaussian_blur2d(photo, (7, 7), (2.0, 2.0))
    noisy = photo + 0.05 * torch.randn(photo.shape, generator=torch.Generator().manual_seed(1))
    blurred, grainy = texture_scores(smoothed, photo), texture_scores(noisy, photo)
    assert blurred["texture_kept"] < 0.3 and blurred["texture_energy"] < 0.3
    assert abs(grainy["texture_kept"] - 1) < 0.15  # the texture is all there; the noise is uncorrelated with it
    assert grainy["texture_energy"] > 1.2  # ...and shows as extra energy


def test_texture_is_read_where_the_photo_is_detailed():
    """The flat half must not dilute the score: flattening only the textured half reads as a loss of nearly all."""
    photo = textured_photo()
    painted = photo.clone()
    painted[..., 32:] = 0.5
    assert texture_scores(painted, photo)["texture_kept"] < 0.1


def test_an_output_identical_to_the_clean_photo_scores_the_cap_not_infinity():
    """A gated denoiser returns many clean photos exactly: their PSNR is 100 dB, so the mean over photos is finite."""
    import math

    from lightning_gan.evaluation.scores import PSNR_CAP, scores

    clean = torch.rand(1, 3, 32, 32)
    same, close = scores(clean, clean, 1, None), scores((clean + 0.01).clamp(0, 1), clean, 1, None)
    assert same["psnr"] == PSNR_CAP and math.isfinite(same["psnr"])
    assert close["psnr"] < PSNR_CAP
    assert scores(clean, clean, 2, None)["psnr_y"] == PSNR_CAP
