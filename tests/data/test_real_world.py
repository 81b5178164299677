"""data/real_world.py: Real-ESRGAN's kernels and the two-round degradation behind the `real` and `real_sr4x` presets."""

from __future__ import annotations

import math

import torch

from lightning_gan.data.degradations import Draw, degrade, scale_of
from lightning_gan.data.real_world import mixed_kernel, sinc_kernel


def draws(seed: int) -> Draw:
    return Draw(1, torch.device("cpu"), torch.tensor([seed]))


def test_blur_kernels_are_normalised_and_anisotropic_ones_are_elongated():
    shapes = []
    for seed in range(40):
        kernel = mixed_kernel(draws(seed), 21, (0.2, 3.0), torch.device("cpu"))
        assert abs(float(kernel.sum()) - 1) < 1e-5 and float(kernel.min()) >= 0
        spread = [float((kernel * torch.arange(-10.0, 11).view(*view) ** 2).sum()) for view in ((-1, 1), (1, -1))]
        shapes.append(max(spread) / max(min(spread), 1e-6))
    assert min(shapes) < 1.05 < 2 < max(shapes)  # isotropic and anisotropic kernels both drawn


def test_the_sinc_kernel_is_a_circular_low_pass():
    kernel = sinc_kernel(21, math.pi / 3, torch.device("cpu"))
    assert abs(float(kernel.sum()) - 1) < 1e-5
    torch.testing.assert_close(kernel, kernel.T)
    torch.testing.assert_close(kernel, kernel.flip(0))
    assert float(kernel.min()) < 0  # the side lobes that make ringing


def test_real_presets_blur_shrink_and_round_to_8_bits():
    torch.manual_seed(0)
    clean = torch.rand(1, 3, 16, 16)
    clean = torch.nn.functional.interpolate(clean, size=(64, 64), mode="bicubic", align_corners=False).clamp(0, 1)
    clean = clean.expand(6, -1, -1, -1).contiguous()
    small = degrade(clean, "real_sr4x", seeds=torch.arange(6)).image
    assert scale_of("real_sr4x") == 4 and small.shape == (6, 3, 16, 16)
    assert torch.equal(small, (small * 255).round() / 255)
    same = degrade(clean, "real", seeds=torch.arange(6)).image
    assert same.shape == clean.shape
    changes = (same - clean).abs().flatten(1).mean(1)
    assert len(set(changes.tolist())) == 6 and float(changes.min()) > 1e-3  # each photo its own degradation
