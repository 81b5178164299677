"""The real-world degradation of Real-ESRGAN (Wang, Xie, Dong & Shan, "Real-ESRGAN: Training Real-World Blind
Super-Resolution with Pure Synthetic Data", ICCVW 2021): blur, resize, noise and JPEG applied twice, then a final
sinc filter, with the paper's ranges (its `train_realesrnet_x4plus.yml`, quoted below). What small product images
really went through: a camera's blur and noise, resizing by a shop system, JPEG saved again and again.

Each image gets its own draw; in evaluation the draw is seeded per image (`Draw.image`), so every model is scored on
the same degraded photos whatever the batching. Images are (1, 3, H, W) in [0, 1] within `real_world`.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

KERNEL_SIZES = tuple(range(7, 22, 2))  # 7-21 px, odd
KERNELS = ("iso", "aniso", "generalized_iso", "generalized_aniso", "plateau_iso", "plateau_aniso")
KERNEL_ODDS = (0.45, 0.25, 0.12, 0.03, 0.12, 0.03)
FIRST = dict(sinc=0.1, sigma=(0.2, 3.0), resize=(0.2, 0.7, 0.1), scale=(0.15, 1.5), gaussian=0.5, noise=(1.0, 30.0),
             poisson=(0.05, 3.0), gray=0.4, jpeg=(30.0, 95.0))
SECOND = dict(blur=0.8, sinc=0.1, sigma=(0.2, 1.5), resize=(0.3, 0.4, 0.3), scale=(0.3, 1.2), gaussian=0.5,
              noise=(1.0, 25.0), poisson=(0.05, 2.5), gray=0.4, jpeg=(30.0, 95.0))
BETA_GENERALIZED, BETA_PLATEAU = (0.5, 4.0), (1.0, 2.0)
FINAL_SINC = 0.8  # chance of the final sinc filter (ringing and overshoot as sharpening makes them)
MODES = ("area", "bilinear", "bicubic")


def _pick(draw, odds: tuple[float, ...]) -> int:
    """An index chosen with the given odds (summing to 1)."""
    u, total = float(draw.uniform(0, 1)), 0.0
    for index, p in enumerate(odds):
        total += p
        if u < total:
            return index
    return len(odds) - 1


def _between(draw, bounds: tuple[float, float]) -> float:
    return float(draw.between(bounds))


def _offsets(size: int, device: torch.device) -> tuple[Tensor, Tensor]:
    ax = torch.arange(size, device=device, dtype=torch.float32) - size // 2
    return ax.view(-1, 1).expand(size, size), ax.view(1, -1).expand(size, size)


def mixed_kernel(draw, size: int, sigma: tuple[float, float], device: torch.device) -> Tensor:
    """One of the six blur kernels at the paper's odds: Gaussian, generalized Gaussian exp(-q^beta / 2) or plateau
    1 / (1 + q^beta), each isotropic or anisotropic (two sigmas and a rotation), q = x^T Sigma^-1 x. Sums to 1."""
    kind = KERNELS[_pick(draw, KERNEL_ODDS)]
    sx = _between(draw, sigma)
    sy = sx if kind.endswith("iso") and not kind.endswith("aniso") else _between(draw, sigma)
    theta = _between(draw, (-math.pi, math.pi)) if kind.endswith("aniso") else 0.0
    cos, sin = math.cos(theta), math.sin(theta)
    y, x = _offsets(size, device)
    u, v = cos * x + sin * y, -sin * x + cos * y  # coordinates along the kernel's axes
    q = (u / sx) ** 2 + (v / sy) ** 2
    if kind.startswith("generalized"):
        kernel = torch.exp(-0.5 * q ** _between(draw, BETA_GENERALIZED))
    elif kind.startswith("plateau"):
        kernel = 1 / (1 + q ** _between(draw, BETA_PLATEAU))
    else:
        kernel = torch.exp(-0.5 * q)
    return kernel / kernel.sum()


def sinc_kernel(size: int, omega: float, device: torch.device) -> Tensor:
    """A circular low-pass (2-D sinc) of cut-off `omega` rad / px: omega J1(omega r) / (2 pi r). Sums to 1."""
    y, x = _offsets(size, device)
    r = (x ** 2 + y ** 2).sqrt()
    kernel = omega * torch.special.bessel_j1(omega * r) / (2 * math.pi * r.clamp_min(1e-8))
    kernel = torch.where(r == 0, torch.full_like(r, omega ** 2 / (4 * math.pi)), kernel)
    return kernel / kernel.sum()


def filtered(x: Tensor, kernel: Tensor) -> Tensor:
    """Each channel convolved with `kernel`, the border reflected (replicated where the image is smaller)."""
    pad = kernel.shape[-1] // 2
    mode = "reflect" if pad < min(x.shape[-2:]) else "replicate"
    weight = kernel.to(x.dtype).expand(x.shape[1], 1, *kernel.shape)
    return F.conv2d(F.pad(x, (pad, pad, pad, pad), mode=mode), weight, groups=x.shape[1])


def blur_kernel(draw, sinc_odds: float, sigma: tuple[float, float], device: torch.device) -> Tensor:
    size = KERNEL_SIZES[_pick(draw, (1 / len(KERNEL_SIZES),) * len(KERNEL_SIZES))]
    if float(draw.uniform(0, 1)) < sinc_odds:
        return sinc_kernel(size, _between(draw, (math.pi / 3 if size < 13 else math.pi / 5, math.pi)), device)
    return mixed_kernel(draw, size, sigma, device)


def resized(x: Tensor, draw, size: tuple[int, int]) -> Tensor:
    mode = MODES[_pick(draw, (1 / 3, 1 / 3, 1 / 3))]
    size = (max(1, size[0]), max(1, size[1]))
    return F.interpolate(x, size=size, mode=mode, **({} if mode == "area" else {"align_corners": False})).clamp(0, 1)


def noisy(x: Tensor, draw, gaussian: float, sigma: tuple[float, float], poisson: tuple[float, float], gray: float) -> Tensor:
    """Gaussian noise (sigma in 8-bit levels) or Poisson noise of an 8-bit photo (photon counts of 256 x the value,
    times `scale`), in colour or the same in every channel (gray noise)."""
    as_gray = float(draw.uniform(0, 1)) < gray
    if float(draw.uniform(0, 1)) < gaussian:
        noise = _between(draw, sigma) / 255 * draw.normal(1 if as_gray else 3, *x.shape[-2:])
    else:
        base = (x * 255).round() / 255
        base = (0.299 * base[:, :1] + 0.587 * base[:, 1:2] + 0.114 * base[:, 2:3]) if as_gray else base
        noise = (draw.poisson(base * 256) / 256 - base) * _between(draw, poisson)
    return (x + noise).clamp(0, 1)


def compressed(x: Tensor, draw, quality: tuple[float, float]) -> Tensor:
    from lightning_gan.data.degradations import jpeg

    return jpeg(x, draw, quality)


def real_world(x: Tensor, draw, scale: int) -> Tensor:
    """One image (1, 3, H, W) through the two rounds and the final sinc; returns (1, 3, H / scale, W / scale),
    rounded to 8 bits."""
    height, width = x.shape[-2:]
    target = (height // scale, width // scale)
    device = x.device
    for round_, opts in enumerate((FIRST, SECOND)):
        if round_ == 0 or float(draw.uniform(0, 1)) < opts["blur"]:
            x = filtered(x, blur_kernel(draw, opts["sinc"], opts["sigma"], device)).clamp(0, 1)
        way = _pick(draw, opts["resize"])  # up, down, keep
        factor = _between(draw, (1.0, opts["scale"][1])) if way == 0 else _between(draw, (opts["scale"][0], 1.0)) if way == 1 else 1.0
        base = x.shape[-2:] if round_ == 0 else target  # the second round resizes relative to the final size
        x = resized(x, draw, (int(base[0] * factor), int(base[1] * factor)))
        x = noisy(x, draw, opts["gaussian"], opts["noise"], opts["poisson"], opts["gray"])
        if round_ == 0:
            x = compressed(x, draw, opts["jpeg"])
    sinc = sinc_kernel(KERNEL_SIZES[_pick(draw, (1 / len(KERNEL_SIZES),) * len(KERNEL_SIZES))],
                       _between(draw, (math.pi / 3, math.pi)), device) if float(draw.uniform(0, 1)) < FINAL_SINC else None
    if float(draw.uniform(0, 1)) < 0.5:  # resize back and sinc, then JPEG; or the other way round (the paper's two orders)
        x = resized(x, draw, target)
        x = x if sinc is None else filtered(x, sinc).clamp(0, 1)
        x = compressed(x, draw, SECOND["jpeg"])
    else:
        x = compressed(x, draw, SECOND["jpeg"])
        x = resized(x, draw, target)
        x = x if sinc is None else filtered(x, sinc).clamp(0, 1)
    return ((x.clamp(0, 1) * 255).round() / 255)
