"""Batched geometric augmentation on the device: flip, small rotation and scale/crop in one resampling."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor


def to_float(images: Tensor) -> Tensor:
    """uint8 (B, 3, H, W) in 0..255 to float in [0, 1]."""
    return images.float().div_(255.0) if images.dtype == torch.uint8 else images


def resize(images: Tensor, size: int) -> Tensor:
    """Deterministic evaluation view: the whole (square) image resized to `size`."""
    images = to_float(images)
    if images.shape[-1] == size and images.shape[-2] == size:
        return images
    return F.interpolate(images, size=(size, size), mode="bicubic", antialias=True, align_corners=False).clamp(0, 1)


def center_crop(images: Tensor, size: int) -> Tensor:
    """The central size x size window, at the cached resolution."""
    images = to_float(images)
    top, left = (images.shape[-2] - size) // 2, (images.shape[-1] - size) // 2
    return images[..., top : top + size, left : left + size]


def augment(images: Tensor, size: int, flip: bool = True, rotation: float = 10.0,
            crop_scale: tuple[float, float] = (0.7, 1.0)) -> Tensor:
    """Random flip, rotation (degrees, +-`rotation`) and crop of relative side in `crop_scale`, resampled to `size`.

    One affine grid per image, so the whole batch costs a single `grid_sample` on the GPU.
    """
    images = to_float(images)
    n, device = len(images), images.device
    angle = (torch.rand(n, device=device) * 2 - 1) * math.radians(rotation)
    scale = crop_scale[0] + (crop_scale[1] - crop_scale[0]) * torch.rand(n, device=device)
    mirror = torch.where(torch.rand(n, device=device) < 0.5, -1.0, 1.0) if flip else torch.ones(n, device=device)
    shift = (torch.rand(n, 2, device=device) * 2 - 1) * (1 - scale).unsqueeze(1)
    cos, sin = angle.cos() * scale, angle.sin() * scale
    theta = torch.stack([
        torch.stack([cos * mirror, -sin, shift[:, 0]], dim=1),
        torch.stack([sin * mirror, cos, shift[:, 1]], dim=1),
    ], dim=1)
    grid = F.affine_grid(theta, [n, 3, size, size], align_corners=False)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="reflection", align_corners=False).clamp(0, 1)


def native_crops(images: Tensor, size: int, flip: bool = True) -> Tensor:
    """Random size x size crops at the cached resolution, with optional flips: no resampling, so restoration
    targets stay as sharp as the photos."""
    images = to_float(images)
    n, _, height, width = images.shape
    if height < size or width < size:
        raise ValueError(f"native crops of {size}px need cached images at least that large, got {height}x{width}")
    device = images.device
    top = torch.randint(0, height - size + 1, (n, 1), device=device) + torch.arange(size, device=device)
    left = torch.randint(0, width - size + 1, (n, 1), device=device) + torch.arange(size, device=device)
    crops = images[torch.arange(n, device=device)[:, None, None], :, top[:, :, None], left[:, None, :]]
    crops = crops.permute(0, 3, 1, 2)  # advanced indexing put the channel axis last
    if flip:
        mirrored = torch.rand(n, device=device) < 0.5
        crops = torch.where(mirrored.view(-1, 1, 1, 1), crops.flip(-1), crops)
    return crops
