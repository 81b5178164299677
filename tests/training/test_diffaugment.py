"""lightning_gan.training.diffaugment: differentiable augmentation of real and fake images (Zhao et al., NeurIPS 2020)."""

from __future__ import annotations

import pytest
import torch

from lightning_gan.training.diffaugment import cutout, diff_augment, parse_policy, translation


@pytest.mark.parametrize("policy", ["color", "translation", "cutout", "color,translation,cutout"])
def test_diffaugment_keeps_shape_and_passes_gradients(policy):
    x = torch.randn(4, 3, 16, 16, requires_grad=True)
    y = diff_augment(x, policy)
    assert y.shape == x.shape
    y.square().sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_diffaugment_operations_do_what_they_say():
    torch.manual_seed(0)
    x = torch.ones(64, 1, 16, 16)
    erased = 1 - cutout(x).mean(dim=(1, 2, 3))
    assert erased.max() <= 0.25 + 1e-6 and erased.min() > 0  # one square of half the side, clipped at the border
    shifted = translation(torch.arange(256.0).view(1, 1, 16, 16).repeat(64, 1, 1, 1))
    moved = [(s != torch.arange(256.0).view(16, 16)).any() for s in shifted[:, 0]]
    assert sum(moved) > 32  # most images moved; what is left is the image itself or zeros
    assert diff_augment(x, "") is x
    with pytest.raises(ValueError, match="unknown DiffAugment policy zoom"):
        parse_policy("color,zoom")
