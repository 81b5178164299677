"""The networks' value convention and what `lightning-gan export` writes: networks work in [-1, 1], images are in
[0, 1] (`to_signed`, `to_unit`); exported generators are wrapped to take and give images in [0, 1]. Owned by the
models (`AdversarialModule.export_module`), so the export tool needs no model classes."""

from __future__ import annotations

import torch
from torch import Tensor, nn


def to_unit(x: Tensor) -> Tensor:
    """Network space [-1, 1] to image space [0, 1]."""
    return ((x + 1) / 2).clamp(0, 1)


def to_signed(x: Tensor) -> Tensor:
    """Image space [0, 1] to network space [-1, 1]."""
    return x * 2 - 1


class ImageToImage(nn.Module):
    """[0, 1] image (and mask) in, [0, 1] image out; with a mask, pixels outside it are returned unchanged."""

    def __init__(self, generator: nn.Module, use_mask: bool):
        super().__init__()
        self.generator, self.use_mask = generator, use_mask

    def forward(self, image: Tensor, mask: Tensor | None = None) -> Tensor:
        x = to_signed(image)
        if not self.use_mask:
            return to_unit(self.generator(x))
        out = to_unit(self.generator(torch.cat([x, to_signed(mask)], dim=1)))
        return torch.where(mask > 0.5, out, image)  # as `lightning-gan enhance`: pixels outside the hole are kept


class NoiseToImage(nn.Module):
    """Latent z (and a class label) in, [0, 1] image out."""

    def __init__(self, generator: nn.Module, conditional: bool):
        super().__init__()
        self.generator, self.conditional = generator, conditional

    def forward(self, z: Tensor, label: Tensor | None = None) -> Tensor:
        return to_unit(self.generator(z, label) if self.conditional else self.generator(z))
