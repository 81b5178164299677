"""Restoring whole photos of any size: the `Restorer` (tiling, cross-fading, working size, finishing), as
Real-ESRGAN's `RealESRGANer` owns them; models are loaded by `inference.loading`."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, replace

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from tqdm import tqdm

from lightning_gan.files import OVERLAP, TILE
from lightning_gan.nets.io import to_signed, to_unit

INPAINT_WORKING_SIZE = 1024  # long side above which whole-image inpainters fill at this size (Restorer.working_size);
# on 1044 px photos filling at 512 lost 0.2 dB in the holes against the whole photo (benchmarks/inpaint_resolution.py)
JPEG_GRID = 16  # a JPEG's blocks (8 x 8, 16 x 16 where chroma was halved): tiles start on it, and self-ensemble
# copies are edge-padded to it before they are flipped, so each tile and copy keeps the blocks where the file has
# them (flipping a 174 px photo moved its blocks by 6 px: the repair + x2 cascade lost 0.14 dB, Grocery val)
# Geometric self-ensemble's copies, in order (transpose first, then the flipped axes): the first 2, 4 or all 8.
ENSEMBLE_COPIES = ((False, ()), (False, (-1,)), (False, (-2,)), (False, (-2, -1)),
                   (True, ()), (True, (-1,)), (True, (-2,)), (True, (-2, -1)))


class ModelError(ValueError):
    """A model spec that cannot be used for the requested job (named in the message)."""


@dataclass
class Restorer:
    """Degraded (B, 3, H, W) in [0, 1] (plus a mask for inpainting) -> restored (B, 3, H*scale, W*scale)."""

    name: str
    fn: Callable[[Tensor, Tensor | None], Tensor]
    scale: int = 1
    use_mask: bool = False
    device: torch.device = torch.device("cpu")
    # Global operators (exposure, colour): the whole photo -> the per-tile function, so that every tile gets the
    # parameters predicted from the whole photo (tile by tile they would differ and leave seams).
    prepare: Callable[[Tensor], Callable[[Tensor, Tensor | None], Tensor]] | None = None
    # `prepare` measures numbers that do not depend on where a pixel is (a denoiser's one noise level per photo), so a
    # flipped copy of the photo may use them: the self-ensemble below is allowed.
    prepare_flips: bool = False
    # Inpainters: photos whose long side exceeds this are filled at this size and only the hole is upsampled into
    # the original. A hole's content comes from the whole photo, which tiles would cut; and at the working size the
    # hole spans as many pixels as the training holes did, so the model's strokes keep their scale. None = off.
    working_size: int | None = None
    # Operators whose parameters are tied to the photo's coordinates (a local map over the whole photo) render the
    # whole photo at once; their per-pixel rendering needs no tiling to bound memory.
    tiles: bool = True
    # Noise-level-aware denoisers: give the noise level (sigma, 0-1 units) measured elsewhere instead of the blind
    # estimate of each tile (None: back to the estimate). `fix` measures it once on the whole photo.
    set_noise_level: Callable[[float | None], None] | None = None
    # Applied to the whole result after tiling: (input, result) -> result, e.g. JPEG consistency (nets.jpeg), which
    # needs the 8 x 8 grid of the whole photo.
    finish: Callable[[Tensor, Tensor], Tensor] | None = None
    # A cascade's earlier stage the model was trained behind (`input_model`, e.g. `dejpeg` before `sr2x`): run on
    # the input first, so the model gets what it learned from. `alone()` drops it for a caller that ran it already.
    before: Restorer | None = None
    # Geometric self-ensemble (Lim et al., "EDSR+", CVPRW 2017): the mean of the model's results on this many
    # flipped / transposed copies of the photo (1, 2, 4 or 8), each turned back; this many times the time for a few
    # hundredths of a dB. Local models only (not `prepare` / whole-photo operators, whose parameters are the photo's).
    ensemble: int = 1

    def __post_init__(self):
        if self.ensemble not in (1, 2, 4, 8):
            raise ModelError(f"ensemble must be 1, 2, 4 or 8 copies, got {self.ensemble}")
        if self.ensemble > 1 and not self.can_ensemble:
            raise ModelError(f"{self.name} reads the whole photo: it has no self-ensemble (ensemble 1)")

    @property
    def can_ensemble(self) -> bool:
        """Whether flipped copies may be averaged: a local model, whose `prepare` (if any) is position-free."""
        return self.tiles and (self.prepare is None or self.prepare_flips)

    def with_copies(self, copies: int) -> Restorer:
        """This restorer as the mean of `copies` flipped copies, named `NAME xN` (as evaluate's rows) when N > 1."""
        return self if copies == 1 else replace(self, name=f"{self.name} x{copies}", ensemble=copies)

    def alone(self) -> Restorer:
        """This restorer without its earlier stage (`before`)."""
        return replace(self, before=None)

    @torch.no_grad()
    def __call__(self, degraded: Tensor, mask: Tensor | None = None, tile: int = TILE, overlap: int = OVERLAP) -> Tensor:
        if self.use_mask and mask is None:
            raise ModelError(f"{self.name} inpaints: give it a mask (white = area to fill)")
        if mask is not None and mask.shape[-2:] != degraded.shape[-2:]:
            raise ModelError(f"mask size {tuple(mask.shape[-2:])} differs from the image size {tuple(degraded.shape[-2:])}")
        if self.before is not None:
            degraded = self.before(degraded, tile=tile, overlap=overlap)
        degraded = degraded.to(self.device)
        mask = mask.to(self.device) if mask is not None else None
        if mask is not None and self.working_size and max(degraded.shape[-2:]) > self.working_size:
            return self._fill_at_working_size(degraded, mask, tile, overlap)
        fn = self.fn if self.prepare is None else self.prepare(degraded)
        if self.ensemble > 1:
            out = self._ensembled(fn, degraded, mask, tile, overlap)
        else:
            out = fn(degraded, mask) if not self.tiles else tiled(fn, degraded, mask, self.scale, tile, overlap)
        return (out if self.finish is None else self.finish(degraded, out)).clamp(0, 1)

    def _ensembled(self, fn: Callable[[Tensor, Tensor | None], Tensor], degraded: Tensor, mask: Tensor | None,
                   tile: int, overlap: int) -> Tensor:
        """The mean of `fn` over `ensemble` copies (ENSEMBLE_COPIES), each padded to JPEG_GRID and turned back."""
        height, width = degraded.shape[-2:]
        pad = (0, (-width) % JPEG_GRID, 0, (-height) % JPEG_GRID)
        padded = F.pad(degraded, pad, mode="replicate")
        padded_mask = F.pad(mask, pad, mode="replicate") if mask is not None else None
        total = None
        for transpose, dims in ENSEMBLE_COPIES[: self.ensemble]:
            turn = (lambda t: t.transpose(-2, -1)) if transpose else (lambda t: t)
            copy_in, copy_mask = (None if t is None else turn(t.flip(dims) if dims else t) for t in (padded, padded_mask))
            out = turn(tiled(fn, copy_in, copy_mask, self.scale, tile, overlap))
            out = out.flip(dims) if dims else out
            total = out if total is None else total + out
        return (total / self.ensemble)[..., : height * self.scale, : width * self.scale]

    def _fill_at_working_size(self, degraded: Tensor, mask: Tensor, tile: int, overlap: int) -> Tensor:
        height, width = degraded.shape[-2:]
        factor = self.working_size / max(height, width)
        size = (max(1, round(height * factor)), max(1, round(width * factor)))
        small = F.interpolate(degraded, size=size, mode="bilinear", antialias=True, align_corners=False)
        small_mask = (F.interpolate(mask.float(), size=size, mode="area") > 0).float()  # any damaged pixel: hole
        filled = tiled(self.fn, small, small_mask, 1, tile, overlap)
        filled = F.interpolate(filled, size=(height, width), mode="bicubic", align_corners=False)
        return torch.where(mask > 0.5, filled, degraded).clamp(0, 1)


def _ramp(n: int, overlap: int, start_inside: bool, end_inside: bool, device: torch.device) -> Tensor:
    """1-D tile weights: ~0 over the first overlap/2 pixels of an edge inside the image (where zero padding distorts
    the output), then a linear ramp over the next overlap/2, so neighbouring tiles cross-fade using only their clean
    interiors. Edges on the image border keep weight 1: no other tile covers them."""
    r = torch.ones(n, device=device)
    k = min(overlap // 2, n // 4)
    if k > 0:
        edge = torch.cat([torch.full((k,), 1e-4, device=device), torch.linspace(1.0 / (k + 1), k / (k + 1), k, device=device)])
        if start_inside:
            r[: 2 * k] = edge
        if end_inside:
            r[n - 2 * k :] = edge.flip(0)
    return r


def _starts(length: int, tile: int, overlap: int) -> list[int]:
    """Tile starts along one side, on the JPEG_GRID when the tile allows it, so that every tile of a JPEG keeps the
    file's 8 x 8 (and chroma 16 x 16) blocks where the repair model learned them; the last tile runs to the end."""
    if length <= tile:
        return [0]
    grid = JPEG_GRID if tile - overlap >= JPEG_GRID else 1
    step = (tile - overlap) // grid * grid
    last = (length - tile) // grid * grid
    return sorted(set(range(0, last, step)) | {last})


def tiled(fn: Callable[[Tensor, Tensor | None], Tensor], image: Tensor, mask: Tensor | None, scale: int,
          tile: int = TILE, overlap: int = OVERLAP) -> Tensor:
    """Run `fn` on overlapping tiles and cross-fade them: memory stays bounded for any image size (the last tile of
    a side may be up to JPEG_GRID - 1 pixels longer than `tile`)."""
    _, _, height, width = image.shape
    if height <= tile and width <= tile:
        return fn(image, mask)
    if overlap * 2 >= tile:
        raise ValueError(f"tile ({tile}) must be more than twice the overlap ({overlap})")
    out = torch.zeros(image.shape[0], 3, height * scale, width * scale, device=image.device)
    weight = torch.zeros(1, 1, height * scale, width * scale, device=image.device)
    rows_at, cols_at = _starts(height, tile, overlap), _starts(width, tile, overlap)
    corners = [(top, left) for top in rows_at for left in cols_at]
    # a tile bar for large photos, in a terminal only (disable=None): a multi-megapixel photo takes a minute on a CPU
    for top, left in tqdm(corners, desc="tiles", unit="tile", leave=False, disable=None if len(corners) > 3 else True):
        h = height - top if top == rows_at[-1] else tile
        w = width - left if left == cols_at[-1] else tile
        window = (..., slice(top, top + h), slice(left, left + w))
        result = fn(image[window], mask[window] if mask is not None else None)
        rows = _ramp(h * scale, overlap * scale, top > 0, top + h < height, image.device)
        cols = _ramp(w * scale, overlap * scale, left > 0, left + w < width, image.device)
        blend = rows.view(1, 1, -1, 1) * cols.view(1, 1, 1, -1)
        target = (..., slice(top * scale, (top + h) * scale), slice(left * scale, (left + w) * scale))
        out[target] += result * blend
        weight[target] += blend
    return out / weight


def fast_inference(network: nn.Module) -> nn.Module:
    """An inference copy of a network: batch norm folded into the convolution before it (torch.fx), channels-last
    memory. On the 2-core CPU this took a 1024x1024 `enhance` from 4.4 s to 2.1 s. Networks that torch.fx cannot
    trace (shape checks in forward) keep their batch norms."""
    from torch.fx.experimental.optimization import fuse

    try:
        network = fuse(network.eval())  # a traced copy; the original is untouched
    except Exception:  # noqa: BLE001 - tracing is an optimisation only
        network = copy.deepcopy(network).eval()
    return network.to(memory_format=torch.channels_last)


def global_restorer(name: str, operator: nn.Module, device: torch.device) -> Restorer:
    """A `predict` / `render` operator (nets.tone): parameters from the whole photo, applied pixel by pixel."""

    def prepare(whole: Tensor) -> Callable[[Tensor, Tensor | None], Tensor]:
        params = operator.predict(to_signed(whole))
        return lambda x, m: to_unit(operator.render(to_signed(x), params))

    whole = getattr(operator, "whole_photo", False)
    return Restorer(name, lambda x, m: prepare(x)(x, m), 1, False, device, prepare, tiles=not whole)
