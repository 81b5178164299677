"""What a photo needs, measured without a clean reference: exposure and clipping, colour cast, noise, JPEG quality,
blur and size. The findings a `fix` plan is made from (each stage only when its finding says so).

    from lightning_gan.inference.analysis import analyse
    found = analyse(Image.open("shelf.jpg"))      # Findings(exposure=..., noise_sigma=..., jpeg_quality=..., ...)

Photos are PIL images (the file's JPEG quantisation tables are read when it has them) or (3, H, W) tensors in [0, 1].
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import Tensor

from lightning_gan.nets.io import estimate_noise_pca
from lightning_gan.nets.jpeg import luma_steps
from lightning_gan.nets.tone import EXPOSED, highlight_cast, luma_of, luma_percentiles, neutral_share

WHITE, BLACK = 254.5 / 255, 2 / 255  # 8-bit white (rounds to 255) and the luma that reads as black


@dataclass
class Findings:
    """Measured, not guessed; every field is a number or a short verdict a plan can use."""

    width: int
    height: int
    luma_mean: float  # BT.601 luma, 0-1
    brightest: float  # luma of the brightest 1 %, 0-1: under EXPOSED[0] the photo is underexposed
    darkest: float  # luma of the darkest 1 %
    clipped_percent: float  # pixels with a channel at 255
    black_percent: float  # pixels with luma <= 2/255
    cast: float  # relative chroma of the highlights, 0 = neutral (white patch)
    neutral_percent: float  # light neutral pixels (a white or grey background)
    noise_sigma: float  # white-noise level per channel, 8-bit levels (texture does not raise it)
    jpeg_quality: int | None  # from the file's quantisation tables (IJG scale), None when not a JPEG file
    blockiness: float  # luma steps at 8-px block borders over those inside blocks: about 1 = none
    sharpness: float  # variance of the Laplacian of luma, 8-bit units: low = blurred or flat
    exposure: str  # "dark", "ok" or "bright"

    def as_dict(self) -> dict:
        return asdict(self)


def jpeg_quality(image: Image.Image) -> int | None:
    """The IJG quality (1-100) whose scaled standard table is nearest the file's luminance table, or None."""
    tables = getattr(image, "quantization", None)
    if not tables or 0 not in tables:
        return None
    luma = np.asarray(tables[0], dtype=np.float64)
    if luma.size != 64:
        return None
    best, error = None, float("inf")
    for quality in range(1, 101):
        table = luma_steps(quality).numpy()
        # Pillow lists the table in zig-zag order for some files and row order for others: compare sorted values
        difference = np.abs(np.sort(table) - np.sort(luma)).mean()
        if difference < error:
            best, error = quality, difference
    return best


def blockiness(photo: Tensor) -> float:
    """Mean absolute luma step across 8-px block borders over the mean step elsewhere (horizontal and vertical)."""
    luma = luma_of(photo[None])[0, 0]
    steps = []
    for axis in (0, 1):
        diff = luma.diff(dim=axis).abs()
        diff = diff if axis == 1 else diff.T
        columns = torch.arange(diff.shape[1])
        border = (columns % 8) == 7
        if border.any() and (~border).any():
            steps.append(diff[:, border].mean() / diff[:, ~border].mean().clamp_min(1e-6))
    return float(torch.stack(steps).mean()) if steps else 1.0


def sharpness(photo: Tensor) -> float:
    kernel = torch.tensor([[0.0, 1, 0], [1, -4, 1], [0, 1, 0]]).view(1, 1, 3, 3)
    return float(F.conv2d(luma_of(photo[None]) * 255, kernel).var())


def to_tensor(photo: Image.Image | Tensor) -> Tensor:
    if isinstance(photo, Tensor):
        return photo.float()
    return torch.from_numpy(np.asarray(photo.convert("RGB")).copy()).permute(2, 0, 1).float() / 255


def analyse(photo: Image.Image | Tensor) -> Findings:
    """Findings for one photo (PIL image or (3, H, W) tensor in [0, 1])."""
    quality = jpeg_quality(photo) if isinstance(photo, Image.Image) else None
    x = to_tensor(photo).clamp(0, 1)
    batch = x[None]
    darkest, brightest = (float(v) for v in luma_percentiles(batch))
    clipped = float((x.amax(dim=0) >= WHITE).float().mean()) * 100
    full_luma = luma_of(batch)[0, 0]
    black = float((full_luma <= BLACK).float().mean()) * 100
    exposure = "dark" if brightest < EXPOSED[0] else "bright" if clipped > 5 and float(full_luma.mean()) > 0.7 else "ok"
    return Findings(
        width=x.shape[2], height=x.shape[1], luma_mean=float(full_luma.mean()), brightest=brightest, darkest=darkest,
        clipped_percent=clipped, black_percent=black, cast=float(highlight_cast(batch)),
        neutral_percent=float(neutral_share(batch)) * 100, noise_sigma=float(estimate_noise_pca(batch)) * 255,
        jpeg_quality=quality, blockiness=blockiness(x), sharpness=sharpness(x), exposure=exposure)
