"""What a JPEG file allows: the quality it was saved at, read from its pixels, and the projection of a repaired photo
onto the photos that the file could have come from.

JPEG stores each 8 x 8 block of luma as DCT coefficients divided by a quantisation step and rounded. The original
photo's coefficient therefore lay within half a step of the stored one: a repair whose coefficients leave those
cells invents a photo the file cannot have come from. `jpeg_consistent` moves the repair's luma back into the cells
(projection onto a convex set: the result is at least as close to every photo inside it, the original included, as
the repair was), which bounds what a repair can do to a high-quality JPEG (quality 95: steps of 1-6 levels) and
leaves low qualities, whose cells are wide, to the network. Images are (B, 3, H, W) in [0, 1]; blocks are aligned
to the top-left corner, as in a file that was not cropped after saving.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from lightning_gan.nets.io import dct_basis

# The JPEG standard's example luminance table (ITU-T T.81, Annex K, Table K.1), rows = vertical frequency.
LUMA_TABLE = torch.tensor([
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
    14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99], dtype=torch.float64)


def luma_steps(quality: int) -> Tensor:
    """(64,) luma quantisation steps of libjpeg (IJG) at `quality` 1-100: the table scaled by 5000 / q (q < 50) or
    200 - 2 q percent, rounded, clamped to 1-255 (baseline)."""
    scale = 5000 / quality if quality < 50 else 200 - 2 * quality
    return ((LUMA_TABLE * scale + 50) / 100).floor().clamp(1, 255)


def luma_255(images: Tensor) -> Tensor:
    """JFIF luma (B, 1, H, W) in 0-255, level-shifted by 128 as JPEG codes it."""
    return (0.299 * images[:, 0:1] + 0.587 * images[:, 1:2] + 0.114 * images[:, 2:3]) * 255 - 128


def _blocks(plane: Tensor) -> tuple[Tensor, tuple[int, int]]:
    """(B, 1, H, W) -> (B, 64, N) 8 x 8 blocks from the top-left corner, the edge replicated as libjpeg pads it."""
    height, width = plane.shape[-2:]
    padded = F.pad(plane, (0, (-width) % 8, 0, (-height) % 8), mode="replicate")
    return F.unfold(padded, 8, stride=8), padded.shape[-2:]


def jpeg_consistent(repaired: Tensor, jpeg: Tensor, quality: int) -> Tensor:
    """`repaired` with its luma moved into the quantisation cells of `jpeg` (decoded from a file saved at `quality`);
    chroma is left to the repair (libjpeg halves it and smooths it when decoding, so its cells cannot be recovered
    from the pixels exactly). The change is spread equally over R, G and B, which moves luma alone."""
    basis = dct_basis(8).to(repaired.device)
    steps = luma_steps(quality).to(repaired.device).view(1, 64, 1)
    stored, size = _blocks(luma_255(jpeg.double()))
    wanted, _ = _blocks(luma_255(repaired.double()))
    levels = (basis @ stored / steps).round()  # what the file holds
    coefficients = basis @ wanted
    inside = torch.maximum(torch.minimum(coefficients, (levels + 0.5) * steps), (levels - 0.5) * steps)
    change = F.fold(basis.T @ (inside - coefficients), size, 8, stride=8)[..., : jpeg.shape[-2], : jpeg.shape[-1]]
    return (repaired + (change / 255).to(repaired.dtype)).clamp(0, 1)


def _central_blocks(image: Tensor, side: int = 568) -> Tensor:
    """The central `side` x `side` px (71 x 71 = about 5,000 blocks) cut on the 8 x 8 grid of the whole photo:
    enough to read the quality (a Kodak24 crop has 3,900), in well under a second at any size."""
    height, width = image.shape[-2:]
    top = max(0, (height - side) // 2) // 8 * 8
    left = max(0, (width - side) // 2) // 8 * 8
    return image[..., top : top + side, left : left + side]


ON_GRID = 0.75  # a photo whose luma sits closer to a quality's grid than this (1 = spread evenly) was saved at it:
# Kodak24 saved at 10-95 read 0.01-0.47, at 98 0.50-0.62; PNGs and JPEGs resized or shifted since 0.99-1.01


def estimate_quality(jpeg: Tensor, qualities: range = range(5, 101)) -> tuple[int, float]:
    """The quality a decoded JPEG (1, 3, H, W) was saved at, from its pixels, and how closely it sits on that
    quality's grid (0 = exactly; about 1 = not at all: a PNG, or a JPEG resized since). At the file's own quality
    the luma DCT coefficients sit on the grid of quantisation steps (off it only by the rounding of the decoded RGB),
    at other qualities anywhere in their cells: the squared distance to the grid, over what a value spread evenly
    over a cell gives (step^2 / 12), is smallest at the file's quality. Coefficients quantised to zero are left out
    (they sit on every coarse grid). Exact at 10-98 on Kodak24 photos saved by Pillow; for photos saved once and not
    cropped or resized since."""
    basis = dct_basis(8).to(jpeg.device)
    coefficients = basis @ _blocks(luma_255(_central_blocks(jpeg).double()))[0]
    best, best_score = qualities[-1], math.inf
    for quality in qualities:
        steps = luma_steps(quality).to(jpeg.device).view(1, 64, 1)
        levels = (coefficients / steps).round()
        coded = levels != 0
        if int(coded.sum()) < 64:
            continue
        residual = (coefficients - levels * steps)[coded] ** 2 / (steps.expand_as(coefficients)[coded] ** 2 / 12)
        score = float(residual.mean())
        if score < best_score:
            best, best_score = quality, score
    return best, best_score


# The repair's weight by the file's quality: 1 up to REPAIR_FULL, falling linearly to 0 at REPAIR_NONE, where a JPEG
# is as good as a repair can make it (measured on Grocery Store val photos: docs/results.md, "JPEG repair").
REPAIR_FULL, REPAIR_NONE = 85, 95


def repair_weight(quality: int) -> float:
    return min(1.0, max(0.0, (REPAIR_NONE - quality) / (REPAIR_NONE - REPAIR_FULL)))


def consistent_with_file(jpeg: Tensor, repaired: Tensor) -> Tensor:
    """Each photo's repair made consistent with its file (`jpeg_consistent`, the quality read from its pixels) and
    weighted by that quality (`repair_weight`: a JPEG saved at 95 or more comes back as it is). Photos not on any
    quality's grid (not a JPEG as saved: a PNG, a JPEG resized since) are returned as repaired."""
    out = []
    for before, after in zip(jpeg, repaired):
        quality, score = estimate_quality(before[None])
        if score >= ON_GRID:
            out.append(after)
            continue
        projected = jpeg_consistent(after[None], before[None], quality)[0]
        out.append(before + repair_weight(quality) * (projected - before))
    return torch.stack(out)
