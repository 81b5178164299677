"""analysis.py: findings without a reference, checked against seeded degradations of known strength."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from PIL import Image

from lightning_gan.data.datamodule import SAMPLE_ROOT
from lightning_gan.data.degradations import degrade
from lightning_gan.data.images import read_rgb, scan
from lightning_gan.inference.analysis import analyse, jpeg_quality


@pytest.fixture(scope="module")
def photos() -> list[Image.Image]:
    return [read_rgb(p) for p in scan(SAMPLE_ROOT / "test")[:8]]


def tensor(image: Image.Image) -> torch.Tensor:
    return torch.from_numpy(np.asarray(image).copy()).permute(2, 0, 1).float() / 255


def as_jpeg(image: Image.Image, quality: int) -> Image.Image:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    buffer.seek(0)
    return Image.open(buffer)


@pytest.mark.parametrize("quality", [12, 30, 55, 75, 90, 97])
def test_jpeg_quality_from_the_files_tables_within_10(photos, quality):
    assert abs(jpeg_quality(as_jpeg(photos[0], quality)) - quality) <= 10
    assert jpeg_quality(photos[0]) is None  # decoded pixels carry no tables


def test_blockiness_shows_heavy_compression_without_the_file(photos):
    compressed = [analyse(tensor(as_jpeg(p, 15).convert("RGB"))).blockiness for p in photos]
    clean = [analyse(tensor(p)).blockiness for p in photos]
    assert min(compressed) > max(1.15, sum(clean) / len(clean))


@pytest.mark.parametrize("sigma", [5, 15, 30])
def test_noise_level_within_20_percent(photos, sigma):
    g = torch.Generator().manual_seed(sigma)
    for photo in photos[:4]:
        x = tensor(photo)
        noisy = (x + sigma / 255 * torch.randn(x.shape, generator=g)).clamp(0, 1)
        assert abs(analyse(noisy).noise_sigma / sigma - 1) < 0.2


def test_exposure_cast_and_blur_verdicts(photos):
    clean = torch.stack([tensor(p) for p in photos])
    seeds = torch.arange(len(clean))
    casts = []
    for x, dark, cast, blurred in zip(clean, degrade(clean, "lowlight", seeds=seeds).image,
                                      degrade(clean, "color_cast", seeds=seeds).image, degrade(clean, "blur", seeds=seeds).image):
        found = analyse(x)
        assert analyse(dark).exposure == "dark" and analyse(dark).brightest < found.brightest
        casts.append(analyse(cast).cast - found.cast)
        assert analyse(blurred).sharpness < 0.5 * found.sharpness
    assert sum(casts) / len(casts) > 0.05  # on average (a photo of colourful fruit may already read as cast)
    assert sum(analyse(x).exposure == "ok" for x in clean) >= len(clean) // 2  # most shelf photos as shot: fine
    assert analyse(clean[0]).noise_sigma < 3 and analyse(clean[0]).width == clean.shape[-1]
