"""benchmarks/fix_bench.py: the breakdown of the small-JPEG path into its pieces."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import torch
import torch.nn.functional as F

from lightning_gan.inference import Restorer

spec = importlib.util.spec_from_file_location("fix_bench", Path(__file__).parents[2] / "benchmarks" / "fix_bench.py")
fix_bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(fix_bench)


def test_the_breakdown_scores_each_piece_against_its_own_reference():
    """A perfect repair gives the clean halving's rows; an upscaler that is bicubic gives bicubic's."""
    torch.manual_seed(0)
    x = torch.rand(3, 32, 32)
    half = F.interpolate(x[None], size=(16, 16), mode="bicubic", antialias=True, align_corners=False)[0].clamp(0, 1)
    jpeg = (half + 0.05 * torch.randn_like(half)).clamp(0, 1)
    perfect = Restorer("perfect", lambda y, m: half[None].expand_as(y), 1, False)
    bicubic = Restorer("bicubic", lambda y, m: F.interpolate(y, scale_factor=2, mode="bicubic", align_corners=False), 2, False)
    pieces = fix_bench.breakdown(half, jpeg, x, perfect, bicubic)
    assert pieces["small_repaired"] >= 99 and pieces["small_jpeg"] < 30
    assert abs(pieces["bicubic_of_repaired"] - pieces["bicubic_of_clean_half"]) < 1e-6
    assert abs(pieces["upscaler_on_repaired"] - pieces["bicubic_of_repaired"]) < 1e-4
