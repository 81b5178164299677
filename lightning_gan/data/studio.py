"""Studio shots on a seamless background, made from any photo on the batch's device: the commonest e-commerce photo
(a product on white or light grey with a soft shadow), which shelf photos never show.

A product-like cut-out (a rounded box of random size, aspect and roundness, feathered by a pixel or two) is taken
from the photo and set on a neutral background with a gentle vertical sweep, over a soft shadow cast below it. Used
for training (`ProductImageDataModule(studio_share=...)`) and, seeded (`seeded_studio_shots`), by the do-no-harm
benchmarks (`benchmarks/enhance_ood.py`, `benchmarks/sr_bench.py`).
"""

from __future__ import annotations

from pathlib import Path

import kornia
import torch
from torch import Tensor

from lightning_gan.data.degradations import Draw
from lightning_gan.data.images import decode, scan

BACKGROUND = (0.86, 1.0)  # background level: light grey (219/255) to white
SWEEP = (0.0, 0.06)  # how much darker the top of the background is than its bottom (a paper sweep under lights)
SIDE = (0.45, 0.8)  # cut-out side, relative to the photo
ASPECT = (0.6, 1.6)  # cut-out width / height
ROUNDNESS = (2.0, 8.0)  # superellipse exponent: 2 an ellipse, 8 almost a box
SHADOW = (0.1, 0.35)  # darkening of the background at the shadow's core
SHADOW_BLUR = (0.03, 0.08)  # shadow softness: Gaussian sigma relative to the photo side
SHADOW_DROP = (0.01, 0.05)  # how far below the product the shadow sits, relative to the side


def cutout(draw: Draw, height: int, width: int) -> Tensor:
    """(B, 1, H, W) soft product mask (1 inside): a superellipse centred near the middle."""
    ys = torch.linspace(-1, 1, height, device=draw.device).view(1, -1, 1)
    xs = torch.linspace(-1, 1, width, device=draw.device).view(1, 1, -1)
    side, aspect = draw.between(SIDE).view(-1, 1, 1), draw.between(ASPECT).view(-1, 1, 1)
    power = draw.between(ROUNDNESS).view(-1, 1, 1)
    half_w, half_h = (side * aspect.sqrt()).clamp(max=0.9), (side / aspect.sqrt()).clamp(max=0.9)
    cy, cx = draw.uniform(-0.08, 0.08).view(-1, 1, 1), draw.uniform(-0.08, 0.08).view(-1, 1, 1)
    radius = ((xs - cx).abs() / half_w) ** power + ((ys - cy).abs() / half_h) ** power
    feather = 2.0 / min(height, width)  # about one pixel each side in the normalised units
    return ((1 - radius) / (feather * power)).clamp(0, 1).unsqueeze(1)


def studio_shot(photos: Tensor, draw: Draw) -> Tensor:
    """The photos (B, 3, H, W) in [0, 1] as studio shots: a cut-out of each on a neutral seamless background."""
    batch, _, height, width = photos.shape
    mask = cutout(draw, height, width)
    level = draw.between(BACKGROUND).view(-1, 1, 1, 1)
    rows = torch.linspace(1, 0, height, device=photos.device).view(1, 1, -1, 1)
    background = (level * (1 - draw.between(SWEEP).view(-1, 1, 1, 1) * rows)).expand(-1, 3, height, width)
    side = min(height, width)
    drop = (draw.between(SHADOW_DROP) * side).round().long()
    sigma = draw.between(SHADOW_BLUR) * side
    size = 2 * int(3 * SHADOW_BLUR[1] * side) + 1
    shifted = torch.stack([torch.roll(m, int(d), dims=-2) for m, d in zip(mask, drop)])
    shadow = kornia.filters.gaussian_blur2d(shifted, (size, size), sigma.unsqueeze(1).expand(-1, 2).contiguous())
    background = background * (1 - draw.between(SHADOW).view(-1, 1, 1, 1) * shadow)
    return (photos * mask + background * (1 - mask)).clamp(0, 1)


def some_studio_shots(photos: Tensor, share: float) -> Tensor:
    """Training: each photo becomes a studio shot with probability `share` (device RNG)."""
    if share <= 0:
        return photos
    draw = Draw(len(photos), photos.device)
    chosen = (draw.uniform(0, 1) < share).view(-1, 1, 1, 1)
    return torch.where(chosen, studio_shot(photos, draw), photos)


STUDIO_SIZE = 384  # px: benchmark shots are square, the photo's centre at this side


def seeded_studio_shots(folder: Path, count: int, size: int = STUDIO_SIZE) -> list[tuple[str, Tensor, Tensor]]:
    """`count` studio shots made from evenly spaced photos of `folder`, the same every time: (name, shot (1, 3, S, S)
    in [0, 1], background mask (1, 1, S, S), True where the seamless background is)."""
    paths = scan(folder)
    step = max(1, len(paths) // count)
    shots = []
    for index, path in enumerate(paths[::step][:count]):
        photo = decode(path, size)[None].float().div(255)
        seeds = torch.tensor([index])
        shot = studio_shot(photo, Draw(1, photo.device, seeds))
        background = cutout(Draw(1, photo.device, seeds), size, size) == 0
        shots.append((path.stem, shot, background))
    return shots


def background_shift(out: Tensor, shot: Tensor, background: Tensor) -> float:
    """How far a result moved a studio shot's seamless background: the largest per-channel mean change over the
    background mask, in 8-bit levels. out, shot (1, 3, H, W) in [0, 1]; background (1, 1, H, W) bool."""
    change = (out - shot) * 255
    return max(abs(float(change[:, c][background[:, 0]].mean())) for c in range(3))
