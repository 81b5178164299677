"""Adversarial loss pairs move the way the game needs, and D's accuracy counts the right side of the threshold."""

from __future__ import annotations

import pytest
import torch

from lightning_gan.losses import ADVERSARIAL, THRESHOLD, d_accuracy


@pytest.mark.parametrize("name", list(ADVERSARIAL))
def test_discriminator_loss_prefers_telling_apart(name):
    d_loss, g_loss = ADVERSARIAL[name]
    confident = d_loss(torch.full((8,), 2.0), torch.full((8,), -2.0))
    fooled = d_loss(torch.full((8,), -2.0), torch.full((8,), 2.0))
    assert confident < fooled
    assert g_loss(torch.full((8,), 2.0)) < g_loss(torch.full((8,), -2.0))


@pytest.mark.parametrize("name", list(ADVERSARIAL))
def test_losses_have_gradients_and_are_finite_for_extreme_logits(name):
    d_loss, g_loss = ADVERSARIAL[name]
    real = torch.tensor([80.0, -80.0], requires_grad=True)
    fake = torch.tensor([-80.0, 80.0], requires_grad=True)
    total = d_loss(real, fake) + g_loss(fake)
    total.backward()
    assert torch.isfinite(total) and torch.isfinite(real.grad).all() and torch.isfinite(fake.grad).all()


def test_non_saturating_matches_bce_with_logits():
    real, fake = torch.randn(16), torch.randn(16)
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    expected = bce(real, torch.ones(16)) + bce(fake, torch.zeros(16))
    torch.testing.assert_close(ADVERSARIAL["non_saturating"][0](real, fake), expected)


def test_d_accuracy():
    real, fake = torch.tensor([1.0, -1.0, 2.0, 3.0]), torch.tensor([-1.0, -2.0, 0.5, -3.0])
    acc_real, acc_fake = d_accuracy(real, fake, THRESHOLD["hinge"])
    assert acc_real.item() == 0.75 and acc_fake.item() == 0.75
    acc_real, _ = d_accuracy(torch.tensor([0.4, 0.6]), torch.tensor([0.0]), THRESHOLD["least_squares"])
    assert acc_real.item() == 0.5
