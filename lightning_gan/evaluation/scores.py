"""Scores of a restored image: full-reference (PSNR, SSIM on RGB and on Y as the SR papers, inside a hole) and
no-reference (brightness, detail, colour cast, clipping and black shadows against the input)."""

from __future__ import annotations

import kornia
import torch
import torch.nn.functional as F
from torchmetrics.functional.image import peak_signal_noise_ratio, structural_similarity_index_measure


def luma(x: torch.Tensor) -> torch.Tensor:
    """ITU-R BT.601 Y in [0, 1] (MATLAB's rgb2ycbcr, used by the SR papers)."""
    r, g, b = x[:, 0:1], x[:, 1:2], x[:, 2:3]
    return (16.0 + 65.481 * r + 128.553 * g + 24.966 * b) / 255.0


def laplacian(x: torch.Tensor) -> torch.Tensor:
    """3x3 Laplacian of luma: the fine detail that `detail` and `hole_scores` measure."""
    return kornia.filters.laplacian(luma(x), 3)


def mean_scores(rows: list[dict[str, float]]) -> dict[str, float]:
    """Each score's mean over the images that have it (a hole score is missing where a mask was empty)."""
    keys = dict.fromkeys(k for r in rows for k in r)
    return {k: sum(r[k] for r in rows if k in r) / sum(k in r for r in rows) for k in keys}


def hole_scores(output: torch.Tensor, clean: torch.Tensor, mask: torch.Tensor) -> dict[str, float]:
    """PSNR and SSIM inside the hole only (outside it an inpainter returns the photo): what the fill is worth.

    `detail_hole`: the fill's fine detail relative to the photo's in the same place (mean squared Laplacian of luma
    inside the hole, its 1-pixel rim left out so the seam does not count). A diffusion fill solves Laplace's
    equation, so it scores about 0; a fill with the photo's amount of texture scores about 1. It says how much
    detail there is, not whether it is the right detail: read it beside the PSNR, which rewards a blur."""
    inside = mask.expand_as(output) > 0.5
    mse = ((output - clean) ** 2)[inside].mean().clamp_min(1e-10)
    ssim_map = kornia.metrics.ssim(output, clean, 11)
    row = {"psnr_hole": (10 * torch.log10(1 / mse)).item(), "ssim_hole": ssim_map[inside].mean().item()}
    interior = -F.max_pool2d(-(mask > 0.5).float(), 3, 1, 1) > 0.5  # eroded by one pixel
    if interior.any():
        energy = [laplacian(x)[interior].square().mean() for x in (output, clean)]
        row["detail_hole"] = (energy[0] / energy[1].clamp_min(1e-10)).item()
    return row


PSNR_CAP = 100.0  # dB: what an output identical to the clean photo scores (the mean over photos stays finite; `fix`
#                   uses the same ceiling)
TEXTURE_BLOCK = 16  # px: the regions whose texture is scored
TEXTURE_SHARE = 0.25  # the most detailed quarter of the clean photo's blocks count as textured


def texture_scores(output: torch.Tensor, clean: torch.Tensor) -> dict[str, float]:
    """How much of the clean photo's fine texture a restorer kept, on its most detailed 16 px blocks (wood grain, fur,
    foliage), where PSNR hardly tells a painted-over surface from a kept one.

    With L = the Laplacian of luma inside those blocks:
    - `texture_kept` = <L(out), L(clean)> / |L(clean)|^2: the share of the true texture in the output (1 kept, 0
      flattened); leftover noise does not raise it, since it is uncorrelated with the texture;
    - `texture_energy` = |L(out)|^2 / |L(clean)|^2: the output's fine-detail energy there, relative (under 1:
      smoothed; over 1: noise left or detail invented)."""
    lap_out, lap_clean = laplacian(output), laplacian(clean)
    blocks = F.avg_pool2d(lap_clean.square(), TEXTURE_BLOCK, ceil_mode=True)  # (N, 1, h, w) energy per block
    flat = blocks.flatten(1)
    count = max(1, round(TEXTURE_SHARE * flat.shape[1]))
    threshold = flat.topk(count, dim=1).values[:, -1:, None, None]
    chosen = F.interpolate((blocks >= threshold).float(), scale_factor=TEXTURE_BLOCK, mode="nearest")
    chosen = chosen[..., : lap_clean.shape[-2], : lap_clean.shape[-1]]
    energy = (lap_clean.square() * chosen).sum().clamp_min(1e-10)
    return {
        "texture_kept": ((lap_out * lap_clean * chosen).sum() / energy).item(),
        "texture_energy": ((lap_out.square() * chosen).sum() / energy).item(),
    }


def scores(output: torch.Tensor, clean: torch.Tensor, scale: int, lpips, mask: torch.Tensor | None = None,
           texture: bool = False) -> dict[str, float]:
    row = {
        "psnr": min(peak_signal_noise_ratio(output, clean, data_range=1.0).item(), PSNR_CAP),
        "ssim": structural_similarity_index_measure(output, clean, data_range=1.0).item(),
    }
    if mask is not None and mask.sum() > 0:
        row |= hole_scores(output, clean, mask)
    if scale > 1:
        crop = (..., slice(scale, -scale), slice(scale, -scale))
        y_out, y_clean = luma(output)[crop], luma(clean)[crop]
        row["psnr_y"] = min(peak_signal_noise_ratio(y_out, y_clean, data_range=1.0).item(), PSNR_CAP)
        row["ssim_y"] = structural_similarity_index_measure(y_out, y_clean, data_range=1.0).item()
    if texture:
        row |= texture_scores(output, clean)
    if lpips is not None:
        row["lpips"] = lpips(output * 2 - 1, clean * 2 - 1).item()
    return row


def luma_mean(x: torch.Tensor) -> torch.Tensor:
    return luma(x).mean(dim=(1, 2, 3))


def detail(x: torch.Tensor) -> torch.Tensor:
    """Variance of the Laplacian of luma, per image: a standard sharpness / fine-detail measure."""
    return laplacian(x).var(dim=(1, 2, 3))


def chromaticity(x: torch.Tensor) -> torch.Tensor:
    """(r, g) / (r + g + b) of each image's mean colour: unchanged by a gain that brightens all channels alike."""
    mean = x.mean(dim=(2, 3))
    return mean[:, :2] / mean.sum(dim=1, keepdim=True).clamp_min(1e-6)


WHITE = 254.5 / 255  # a channel that rounds to 255 in 8 bits is clipped


BLACK = 2 / 255  # luma at or below which a pixel reads as black


def clipped_share(x: torch.Tensor) -> torch.Tensor:
    """Per image, the share of pixels with a channel at 8-bit white (255)."""
    return (x.amax(dim=1) >= WHITE).float().mean(dim=(1, 2))


def black_share(x: torch.Tensor) -> torch.Tensor:
    """Per image, the share of pixels whose luma (full-range BT.601) is at most 2/255: shadows with nothing left."""
    full_range = 0.299 * x[:, 0] + 0.587 * x[:, 1] + 0.114 * x[:, 2]
    return (full_range <= BLACK).float().mean(dim=(1, 2))


def no_reference_scores(output: torch.Tensor, photo: torch.Tensor) -> dict[str, float]:
    """What a method did to a photo, judged without a clean reference."""
    return {
        "luma_change": (luma_mean(output) - luma_mean(photo)).mean().item(),
        "detail_ratio": (detail(output) / detail(photo).clamp_min(1e-8)).mean().item(),
        "color_cast": (chromaticity(output) - chromaticity(photo)).norm(dim=1).mean().item(),
        "new_clipping_pp": 100 * (clipped_share(output) - clipped_share(photo)).mean().item(),
        "black_percent": 100 * black_share(output).mean().item(),
    }
