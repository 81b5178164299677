"""benchmarks/jpeg_sr_bench.py: small JPEGs enlarged x2, quality by quality, each model against bicubic."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from lightning_gan.inference import Restorer

spec = importlib.util.spec_from_file_location("jpeg_sr_bench", Path(__file__).parents[2] / "benchmarks" / "jpeg_sr_bench.py")
jpeg_sr_bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(jpeg_sr_bench)


def photo(seed: int) -> Image.Image:
    g = torch.Generator().manual_seed(seed)
    smooth = F.interpolate(torch.rand(1, 3, 8, 8, generator=g), size=(64, 96), mode="bicubic", align_corners=False)
    return Image.fromarray((smooth[0].clamp(0, 1).permute(1, 2, 0).numpy() * 255).round().astype(np.uint8))


def test_each_quality_scores_bicubic_and_each_model_and_counts_the_photos_a_model_wins():
    """A model that is bicubic scores as bicubic; one that knows the original beats both on every photo, at every
    quality; lower quality costs bicubic decibels."""
    photos = [(f"p{i}", photo(i)) for i in range(3)]
    assert jpeg_sr_bench.small_jpeg(photos[0][1], 20).shape == (3, 32, 48)  # halved
    bicubic = Restorer("bic", lambda x, m: F.interpolate(x, scale_factor=2, mode="bicubic", align_corners=False), 2, False)
    lookup = {q: [jpeg_sr_bench.small_jpeg(image, q) for _, image in photos] for q in (20, 90)}

    def oracle(x, mask):  # the original of whichever photo this small JPEG is
        for smalls in lookup.values():
            for (_, image), small in zip(photos, smalls):
                if torch.equal(small, x[0]):
                    return jpeg_sr_bench.to_tensor(image)[None]
        raise AssertionError("unknown input")

    table = jpeg_sr_bench.run(photos, {"bic": bicubic, "oracle": Restorer("oracle", oracle, 2, False)}, [20, 90])
    for quality in (20, 90):
        rows = table[quality]
        assert abs(rows["bic"]["psnr"] - rows["bicubic"]["psnr"]) < 1e-4
        assert rows["oracle"]["psnr"] >= 99
    assert table[20]["bicubic"]["psnr"] < table[90]["bicubic"]["psnr"]
    lines = jpeg_sr_bench.markdown(table, "bic")
    assert lines[2].startswith("| 20 |") and "oracle 3/3" in lines[2]
