"""Classical image processing (docs/design.md §2) as baselines, scored exactly like the GANs.

Every baseline has one signature: `baseline(degraded, mask=None, scale=1) -> restored`, batches (B, 3, H, W) in
[0, 1] in, the same (or `scale` times larger) out. No training, no weights.
"""

from __future__ import annotations

from collections.abc import Callable

import kornia
import torch
import torch.nn.functional as F
from torch import Tensor

from lightning_gan.inference.restorer import Restorer


def _on_luma(x: Tensor, op: Callable[[Tensor], Tensor]) -> Tensor:
    """Apply `op` to the Y channel of YCbCr only, so colours are not shifted."""
    ycbcr = kornia.color.rgb_to_ycbcr(x)
    y = op(ycbcr[:, :1].clamp(0, 1))
    return kornia.color.ycbcr_to_rgb(torch.cat([y, ycbcr[:, 1:]], dim=1)).clamp(0, 1)


def histogram_equalization(x: Tensor, mask: Tensor | None = None, scale: int = 1) -> Tensor:
    return _on_luma(x, kornia.enhance.equalize)


def clahe(x: Tensor, mask: Tensor | None = None, scale: int = 1) -> Tensor:
    return _on_luma(x, lambda y: kornia.enhance.equalize_clahe(y, clip_limit=2.0, grid_size=(8, 8)))


def auto_contrast(x: Tensor, mask: Tensor | None = None, scale: int = 1) -> Tensor:
    """Stretch each image's 1st..99th luminance percentiles to 0..1 (same gain on all channels)."""
    luma = kornia.color.rgb_to_grayscale(x).flatten(1)
    low = luma.quantile(0.01, dim=1).view(-1, 1, 1, 1)
    high = luma.quantile(0.99, dim=1).view(-1, 1, 1, 1)
    return ((x - low) / (high - low).clamp_min(1e-3)).clamp(0, 1)


def gamma_correction(x: Tensor, mask: Tensor | None = None, scale: int = 1) -> Tensor:
    """Per-image gamma that maps the mean luminance to 0.5."""
    mean = kornia.color.rgb_to_grayscale(x).mean(dim=(1, 2, 3)).clamp(1e-3, 0.999)
    gamma = torch.log(torch.full_like(mean, 0.5)) / torch.log(mean)
    return x.clamp_min(1e-6) ** gamma.view(-1, 1, 1, 1)


def gray_world(x: Tensor, mask: Tensor | None = None, scale: int = 1) -> Tensor:
    """Gray-world white balance: scale each channel so its mean equals the mean of all channels."""
    means = x.mean(dim=(2, 3), keepdim=True)
    return (x * means.mean(dim=1, keepdim=True) / means.clamp_min(1e-3)).clamp(0, 1)


def gaussian_filter(x: Tensor, mask: Tensor | None = None, scale: int = 1) -> Tensor:
    return kornia.filters.gaussian_blur2d(x, (5, 5), (1.0, 1.0))


def median_filter(x: Tensor, mask: Tensor | None = None, scale: int = 1) -> Tensor:
    return kornia.filters.median_blur(x, (3, 3))


def bilateral_filter(x: Tensor, mask: Tensor | None = None, scale: int = 1) -> Tensor:
    return kornia.filters.bilateral_blur(x, (5, 5), 0.1, (1.5, 1.5))


def unsharp_mask(x: Tensor, mask: Tensor | None = None, scale: int = 1) -> Tensor:
    return kornia.filters.unsharp_mask(x, (5, 5), (1.0, 1.0)).clamp(0, 1)


def bicubic(x: Tensor, mask: Tensor | None = None, scale: int = 1) -> Tensor:
    return F.interpolate(x, scale_factor=scale, mode="bicubic", align_corners=False).clamp(0, 1) if scale > 1 else x


def bilinear(x: Tensor, mask: Tensor | None = None, scale: int = 1) -> Tensor:
    return F.interpolate(x, scale_factor=scale, mode="bilinear", align_corners=False) if scale > 1 else x


def nearest(x: Tensor, mask: Tensor | None = None, scale: int = 1) -> Tensor:
    return F.interpolate(x, scale_factor=scale, mode="nearest") if scale > 1 else x


def diffusion_fill(x: Tensor, mask: Tensor | None = None, scale: int = 1, iterations: int = 40) -> Tensor:
    """Fill the masked hole by repeated 4-neighbour averaging (heat diffusion from its border); the rest is kept.

    Coarse to fine: the hole is first filled at half resolution, which starts the full-resolution iterations close
    to the solution (plain diffusion needs iterations in proportion to the hole's area)."""
    if mask is None:
        return x
    hole = mask.bool().expand_as(x)
    if min(x.shape[-2:]) >= 16:
        known = (~hole).float()
        weight = F.avg_pool2d(known, 2, ceil_mode=True)
        small = F.avg_pool2d(x * known, 2, ceil_mode=True) / weight.clamp_min(1e-6)
        coarse = diffusion_fill(small, (weight == 0).float()[:, :1], iterations=iterations)
        start = F.interpolate(coarse, scale_factor=2, mode="bilinear", align_corners=False)[..., : x.shape[-2], : x.shape[-1]]
    else:
        start = x.mean(dim=(2, 3), keepdim=True).expand_as(x)
    kernel = torch.tensor([[0, 0.25, 0], [0.25, 0, 0.25], [0, 0.25, 0]], device=x.device, dtype=x.dtype)
    kernel = kernel.view(1, 1, 3, 3).repeat(x.shape[1], 1, 1, 1)
    filled = torch.where(hole, start, x)
    for _ in range(iterations):
        smooth = F.conv2d(F.pad(filled, (1, 1, 1, 1), mode="replicate"), kernel, groups=x.shape[1])
        filled = torch.where(hole, smooth, x)
    return filled


BM3D_MISSING = "the bm3d baseline needs the bm3d package: pip install 'lightning-gan[baselines]' (or pip install bm3d)"


def bm3d_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("bm3d") is not None


def bm3d(x: Tensor, mask: Tensor | None = None, scale: int = 1, sigma: float | None = None) -> Tensor:
    """Colour BM3D (Dabov et al., "Image Denoising by Sparse 3-D Transform-Domain Collaborative Filtering", TIP 2007;
    CBM3D in an opponent colour space, ICIP 2007) through the `bm3d` package of its authors' group (Mäkinen et al.
    2020). `sigma`: the noise standard deviation in [0, 1] units when known; None: estimated from the photo by
    `nets.io.estimate_noise_blind` (texture hardly raises it, and JPEG-compressed noise is still found, where the
    PCA tail alone reads 0 and BM3D would return the photo untouched), per image. CPU, float64, a minute or two per
    megapixel."""
    try:
        import bm3d as package
    except ImportError:
        raise ValueError(BM3D_MISSING) from None
    from lightning_gan.nets.io import estimate_noise_blind

    levels = estimate_noise_blind(x).tolist() if sigma is None else [sigma] * len(x)
    out = []
    for image, level in zip(x, levels):
        z = image.permute(1, 2, 0).double().cpu().numpy()
        denoised = package.bm3d_rgb(z, max(float(level), 1e-4))  # sigma 0 would divide by zero
        out.append(torch.from_numpy(denoised).permute(2, 0, 1))
    return torch.stack(out).to(x).clamp(0, 1)


def bm3d_oracle(device: torch.device) -> Restorer:
    """BM3D told each photo's true noise level (the standard deviation of noisy minus clean, which only an
    evaluation knows: `set_noise_level` before each photo): its best case on noise that has no single sigma
    (camera noise, JPEG-compressed)."""
    level: list[float | None] = [None]
    return Restorer("bm3d_oracle_sigma", lambda x, mask=None: bm3d(x, sigma=level[0]), 1, False, device,
                    set_noise_level=lambda sigma: level.__setitem__(0, sigma))


def bm3d_known(sigma: float) -> Callable[..., Tensor]:
    """BM3D told the true noise level (evaluation presets with one Gaussian sigma)."""
    return lambda x, mask=None, scale=1: bm3d(x, mask, scale, sigma)


BASELINES: dict[str, Callable[..., Tensor]] = {
    "histogram_equalization": histogram_equalization,
    "clahe": clahe,
    "auto_contrast": auto_contrast,
    "gamma_correction": gamma_correction,
    "gray_world": gray_world,
    "gaussian_filter": gaussian_filter,
    "median_filter": median_filter,
    "bilateral_filter": bilateral_filter,
    "unsharp_mask": unsharp_mask,
    "bicubic": bicubic,
    "bilinear": bilinear,
    "nearest": nearest,
    "diffusion_fill": diffusion_fill,
    "bm3d": bm3d,  # blind: the noise level estimated from the photo (optional package, see bm3d())
}


UPSAMPLERS = ("bicubic", "bilinear", "nearest")


DENOISERS = ("bm3d",)  # slow, and only for noise: in `--baselines all` of noise presets alone


def baselines_for(scale: int, has_mask: bool, noise: bool = False) -> list[str]:
    """The baselines that make sense for a task: upsamplers for super-resolution, the rest otherwise (BM3D only for
    noise, and only when its package is installed)."""
    if scale > 1:
        return list(UPSAMPLERS)
    names = [n for n in BASELINES if n not in UPSAMPLERS and (has_mask or n != "diffusion_fill") and n not in DENOISERS]
    return names + ([n for n in DENOISERS if bm3d_available()] if noise and not has_mask else [])


def get_baseline(name: str) -> Callable[..., Tensor]:
    if name not in BASELINES:
        raise ValueError(f"unknown baseline {name!r}; known: {', '.join(BASELINES)}")
    return BASELINES[name]
