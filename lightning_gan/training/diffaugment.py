"""DiffAugment (Zhao et al. 2020, "Differentiable Augmentation for Data-Efficient GAN Training").

With few real images D memorises them and training collapses. Augmenting what D sees, real and fake alike, with
operations that are differentiable, stops the memorising while the generator still gets gradients through them.
Policies (the paper's): `color` (brightness +-0.5, saturation x0..2, contrast x0.5..1.5), `translation` (up to
1/8 of the side, zero fill) and `cutout` (one zero square of half the side). Inputs are in [-1, 1].
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

POLICIES = ("color", "translation", "cutout")


def parse_policy(policy: str) -> tuple[str, ...]:
    names = tuple(p.strip() for p in policy.split(",") if p.strip())
    unknown = [n for n in names if n not in POLICIES]
    if unknown:
        raise ValueError(f"unknown DiffAugment policy {', '.join(unknown)}; known: {', '.join(POLICIES)}")
    return names


def _per_image(x: Tensor, low: float, high: float) -> Tensor:
    return low + (high - low) * torch.rand(len(x), 1, 1, 1, device=x.device, dtype=x.dtype)


def color(x: Tensor) -> Tensor:
    x = x + _per_image(x, -0.5, 0.5)
    mean = x.mean(dim=1, keepdim=True)
    x = (x - mean) * _per_image(x, 0.0, 2.0) + mean
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return (x - mean) * _per_image(x, 0.5, 1.5) + mean


def translation(x: Tensor, ratio: float = 0.125) -> Tensor:
    """Shift each image by whole pixels (up to ratio x side); the uncovered border is zero."""
    n, _, h, w = x.shape
    max_y, max_x = int(h * ratio + 0.5), int(w * ratio + 0.5)
    dy = torch.randint(-max_y, max_y + 1, (n, 1, 1), device=x.device)
    dx = torch.randint(-max_x, max_x + 1, (n, 1, 1), device=x.device)
    rows = (torch.arange(h, device=x.device).view(1, h, 1) + dy).expand(n, h, w)
    cols = (torch.arange(w, device=x.device).view(1, 1, w) + dx).expand(n, h, w)
    padded = F.pad(x, (1, 1, 1, 1))  # index 0 and the last one are the zero border
    rows, cols = (rows + 1).clamp(0, h + 1), (cols + 1).clamp(0, w + 1)
    flat = (rows * (w + 2) + cols).view(n, 1, h * w).expand(-1, x.shape[1], -1)
    return padded.flatten(2).gather(2, flat).view_as(x)


def cutout(x: Tensor, ratio: float = 0.5) -> Tensor:
    """Zero one square of ratio x side per image, at a random place (it may reach over the border)."""
    n, _, h, w = x.shape
    size_y, size_x = int(h * ratio + 0.5), int(w * ratio + 0.5)
    cy = torch.randint(0, h + (1 - size_y % 2), (n, 1, 1), device=x.device)
    cx = torch.randint(0, w + (1 - size_x % 2), (n, 1, 1), device=x.device)
    ys = torch.arange(h, device=x.device).view(1, h, 1)
    xs = torch.arange(w, device=x.device).view(1, 1, w)
    top, left = cy - size_y // 2, cx - size_x // 2
    inside = (ys >= top) & (ys < top + size_y) & (xs >= left) & (xs < left + size_x)
    return x * (~inside).unsqueeze(1).to(x.dtype)


OPS = {"color": color, "translation": translation, "cutout": cutout}


def diff_augment(x: Tensor, policy: tuple[str, ...] | str) -> Tensor:
    """Apply each named operation with fresh random parameters per image (an empty policy is the identity)."""
    for name in parse_policy(policy) if isinstance(policy, str) else policy:
        x = OPS[name](x)
    return x
