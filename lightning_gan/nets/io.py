"""The networks' value convention and what `lightning-gan export` writes: networks work in [-1, 1], images are in
[0, 1] (`to_signed`, `to_unit`); exported generators are wrapped to take and give images in [0, 1]. Owned by the
models (`AdversarialModule.export_module`), so the export tool needs no model classes."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def to_unit(x: Tensor) -> Tensor:
    """Network space [-1, 1] to image space [0, 1]."""
    return ((x + 1) / 2).clamp(0, 1)


def to_signed(x: Tensor) -> Tensor:
    """Image space [0, 1] to network space [-1, 1]."""
    return x * 2 - 1


def pad_to_multiple(image: Tensor, multiple: int) -> Tensor:
    """Edge-pad the bottom/right so both sides are multiples of `multiple`. Always pads (by zero when the size fits):
    no Python branch on the size, so an ONNX graph traced at one size keeps the padding for every size."""
    pad_h, pad_w = (-image.shape[-2]) % multiple, (-image.shape[-1]) % multiple
    return F.pad(image, (0, pad_w, 0, pad_h), mode="replicate")


def estimate_noise(images: Tensor) -> Tensor:
    """Per-image standard deviation of white noise per channel, from the finest diagonal Haar detail of luma:
    median(|HH|) / 0.6745 (Donoho & Johnstone, Biometrika 1994), divided by 0.6686, the share of independent
    per-channel noise that survives in BT.601 luma. Images in [0, 1]; returns (B,) in the same units."""
    luma = 0.299 * images[:, 0:1] + 0.587 * images[:, 1:2] + 0.114 * images[:, 2:3]
    kernel = torch.tensor([[0.5, -0.5], [-0.5, 0.5]], device=images.device, dtype=images.dtype).view(1, 1, 2, 2)
    detail = F.conv2d(luma, kernel, stride=2)
    return detail.abs().flatten(1).median(dim=1).values / (0.6745 * 0.6686)


def estimate_noise_pca(images: Tensor, patch: int = 8, patches: int = 20_000) -> Tensor:
    """Per-image standard deviation of white noise per channel that texture does not fool: the noise level from the
    smallest eigenvalues of the covariance of the photo's patches (Chen, Zhu & Heng, "An Efficient Statistical
    Method for Image Noise Level Estimation", ICCV 2015). Texture and edges live in a few large eigenvalues; white
    noise adds sigma^2 to every one, so sigma^2 is the mean of the tail of small eigenvalues whose mean equals its
    median. On clean natural photos it reads 0-1 / 255 where `estimate_noise` reads 2-12 / 255 (fur, grass).

    Images (B, 3, H, W) in [0, 1]; returns (B,) in the same units. `patches`: about this many 8 x 8 x 3 patches
    (strided evenly), so memory stays bounded for any photo size."""
    levels = []
    for image in images.double():
        _, height, width = image.shape
        stride = max(1, int(((height - patch + 1) * (width - patch + 1) / patches) ** 0.5))
        vectors = F.unfold(image[None], patch, stride=stride)[0]  # (3 * patch * patch, N)
        vectors = vectors - vectors.mean(dim=1, keepdim=True)
        eigen = torch.linalg.eigvalsh(vectors @ vectors.T / vectors.shape[1])  # ascending
        level = eigen[0]
        for count in range(len(eigen), 0, -1):  # the largest tail whose mean is also its median
            tail = eigen[:count]
            mean = tail.mean()
            if (tail > mean).sum() == (tail < mean).sum():
                level = mean
                break
        levels.append(level.clamp_min(0).sqrt())
    return torch.stack(levels).to(images.dtype)


def noise_level_map(level: Tensor, image: Tensor) -> Tensor:
    """The noise-map input channel: sigma (B,) in [0, 1] units, x10 (sigma 25/255 -> about 1), one plane per image."""
    return (level * 10).view(-1, 1, 1, 1).expand_as(image[:, :1])


class ImageToImage(nn.Module):
    """[0, 1] image (then the mask, then the noise level, for models that take them) in, [0, 1] image out; with a
    mask, pixels outside it are returned unchanged. `noise_level` (B,) is sigma in [0, 1] units, what
    `EnhancementGAN.network_input` feeds the noise map (`enhance` uses strength x the blind estimate)."""

    def __init__(self, generator: nn.Module, use_mask: bool, noise_map: bool = False):
        super().__init__()
        self.generator, self.use_mask, self.noise_map = generator, use_mask, noise_map

    def forward(self, image: Tensor, *extra: Tensor) -> Tensor:
        parts = [to_signed(image)]
        if self.use_mask:
            parts.append(to_signed(extra[0]))
        if self.noise_map:
            parts.append(noise_level_map(extra[-1], image))
        out = to_unit(self.generator(torch.cat(parts, dim=1) if len(parts) > 1 else parts[0]))
        # as `lightning-gan enhance`: pixels outside the hole are kept
        return torch.where(extra[0] > 0.5, out, image) if self.use_mask else out


class NoiseToImage(nn.Module):
    """Latent z (and a class label) in, [0, 1] image out."""

    def __init__(self, generator: nn.Module, conditional: bool):
        super().__init__()
        self.generator, self.conditional = generator, conditional

    def forward(self, z: Tensor, label: Tensor | None = None) -> Tensor:
        return to_unit(self.generator(z, label) if self.conditional else self.generator(z))
