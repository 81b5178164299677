"""Adversarial losses as pairs of pure functions on discriminator logits (never probabilities: a Sigmoid
followed by BCELoss is unsafe under autocast, BCE-with-logits is the stable form)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import kornia
import torch.nn.functional as F
from torch import Tensor

LossName = Literal["non_saturating", "hinge", "least_squares"]


def d_non_saturating(real: Tensor, fake: Tensor) -> Tensor:
    return F.softplus(-real).mean() + F.softplus(fake).mean()


def g_non_saturating(fake: Tensor) -> Tensor:
    return F.softplus(-fake).mean()


def d_hinge(real: Tensor, fake: Tensor) -> Tensor:
    return F.relu(1 - real).mean() + F.relu(1 + fake).mean()


def g_hinge(fake: Tensor) -> Tensor:
    return -fake.mean()


def d_least_squares(real: Tensor, fake: Tensor) -> Tensor:
    return 0.5 * ((real - 1) ** 2).mean() + 0.5 * (fake**2).mean()


def g_least_squares(fake: Tensor) -> Tensor:
    return 0.5 * ((fake - 1) ** 2).mean()


ADVERSARIAL: dict[str, tuple[Callable[[Tensor, Tensor], Tensor], Callable[[Tensor], Tensor]]] = {
    "non_saturating": (d_non_saturating, g_non_saturating),
    "hinge": (d_hinge, g_hinge),
    "least_squares": (d_least_squares, g_least_squares),
}


# The logit at which D's verdict flips from fake to real (least squares regresses to labels 0 and 1).
THRESHOLD = {"non_saturating": 0.0, "hinge": 0.0, "least_squares": 0.5}


def d_accuracy(real: Tensor, fake: Tensor, threshold: float = 0.0) -> tuple[Tensor, Tensor]:
    """D's accuracy, the evaluation docs/design.md §6 asks for: the share of real and of fake outputs it classifies correctly."""
    return (real.detach() > threshold).float().mean(), (fake.detach() <= threshold).float().mean()


# --- reconstruction losses of EAGAN (docs/design.md §5; SSIM: Wang et al., TIP 2004), in [-1, 1] or [0, 1] alike ---


def ssim_loss(fake: Tensor, real: Tensor) -> Tensor:
    """1 - SSIM (11x11 Gaussian window), on images mapped to [0, 1]."""
    return 1 - kornia.metrics.ssim((fake + 1) / 2, (real + 1) / 2, 11).mean()


def gradient_loss(fake: Tensor, real: Tensor) -> Tensor:
    """L1 between Sobel gradients: penalises blurred edges that L1 on pixels forgives."""
    return F.l1_loss(kornia.filters.spatial_gradient(fake), kornia.filters.spatial_gradient(real))


def weighted_l1(fake: Tensor, real: Tensor, weight: Tensor | None = None) -> Tensor:
    """L1, optionally weighted per pixel (inpainting counts the hole more)."""
    error = (fake - real).abs()
    return error.mean() if weight is None else (error * weight).sum() / (weight.sum() * fake.shape[1]).clamp_min(1)


def feature_matching_loss(fake_features: list[Tensor], real_features: list[Tensor]) -> Tensor:
    """Mean L1 between the discriminator's intermediate features of fake and real images (pix2pixHD, Wang et al.
    CVPR 2018; LaMa): a learned perceptual distance that needs no pretrained network. Real features are targets."""
    return sum(F.l1_loss(f, r.detach()) for f, r in zip(fake_features, real_features)) / len(fake_features)


# --- CycleGAN (Zhu et al. 2017) ---------------------------------------------------------------------------------------


def cycle_loss(real: Tensor, reconstructed: Tensor) -> Tensor:
    """L1 between an image and its round trip through both generators (A -> B -> A)."""
    return F.l1_loss(reconstructed, real)


def identity_loss(real: Tensor, mapped: Tensor) -> Tensor:
    """L1 between a domain-B image and G_A2B of it: keeps colours when the input already looks like the target."""
    return F.l1_loss(mapped, real)
