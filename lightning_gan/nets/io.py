"""The networks' value convention and what `lightning-gan export` writes: networks work in [-1, 1], images are in
[0, 1] (`to_signed`, `to_unit`); exported generators are wrapped to take and give images in [0, 1]. Owned by the
models (`AdversarialModule.export_module`), so the export tool needs no model classes."""

from __future__ import annotations

import math

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
        levels.append(tail_level(vectors))
    return torch.stack(levels).to(images.dtype)


def tail_level(vectors: Tensor) -> Tensor:
    """sigma from (D, N) centred vectors: the mean of the largest tail of the covariance's eigenvalues whose mean is
    also its median (Chen, Zhu & Heng, ICCV 2015), square-rooted."""
    eigen = torch.linalg.eigvalsh(vectors @ vectors.T / vectors.shape[1])  # ascending
    level = eigen[0]
    for count in range(len(eigen), 0, -1):
        tail = eigen[:count]
        mean = tail.mean()
        if (tail > mean).sum() == (tail < mean).sum():
            level = mean
            break
    return level.clamp_min(0).sqrt()


def dct_basis(n: int = 8) -> Tensor:
    """(n * n, n * n) orthonormal 2-D DCT-II basis, row u * n + v the frequency (u, v), as JPEG uses it."""
    k = torch.arange(n, dtype=torch.float64)
    rows = torch.cos(math.pi * (2 * k[None] + 1) * k[:, None] / (2 * n)) * math.sqrt(2 / n)
    rows[0] /= math.sqrt(2)
    return torch.einsum("ui,vj->uvij", rows, rows).reshape(n * n, n * n)


def estimate_noise_lowfreq(images: Tensor, highest: int = 4, patches: int = 20_000) -> Tensor:
    """`estimate_noise_pca` restricted to the low frequencies of 8 x 8 patches (DCT u + v <= `highest`) of the three
    channels, which JPEG keeps best: after compression the high frequencies hold no noise and the full PCA reads near
    0 (0.6 levels on Kodak24 at -2 EV with a phone's noise and JPEG 85, where this reads 6-7.5). Low frequencies
    carry more texture, so it reads 1-4 levels on clean textured photos (Kodak24), and libjpeg's coarse chroma
    takes much of the noise from the chroma directions: white noise of 14 levels saved at quality 85 reads about 2.
    So it errs low on compressed photos: used with `estimate_noise_flat`, it keeps texture from passing as noise. (B,)"""
    size = 8
    degree = torch.arange(size)[:, None] + torch.arange(size)[None]
    basis = dct_basis(size)[degree.flatten() <= highest].to(images.device)
    levels = []
    for image in images.double():
        _, height, width = image.shape
        stride = max(1, int(((height - size + 1) * (width - size + 1) / patches) ** 0.5))
        pixels = F.unfold(image[None], size, stride=stride)[0].view(len(image), size * size, -1)
        coefficients = torch.einsum("kp,cpn->ckn", basis.to(pixels.dtype), pixels).reshape(-1, pixels.shape[-1])
        levels.append(tail_level(coefficients - coefficients.mean(dim=1, keepdim=True)))
    return torch.stack(levels).to(images.dtype)


def gaussian_blur(images: Tensor, sigma: float) -> Tensor:
    """Separable Gaussian blur (kernel of 6 sigma + 1 taps), reflected at the borders."""
    radius = int(3 * sigma)
    taps = torch.arange(-radius, radius + 1, device=images.device, dtype=images.dtype)
    kernel = torch.exp(-0.5 * (taps / sigma) ** 2)
    kernel = (kernel / kernel.sum()).repeat(images.shape[1], 1, 1, 1)
    padded = F.pad(images, (radius, radius, radius, radius), mode="reflect")
    rows = F.conv2d(padded, kernel.view(-1, 1, 1, 2 * radius + 1), groups=images.shape[1])
    return F.conv2d(rows, kernel.view(-1, 1, 2 * radius + 1, 1), groups=images.shape[1])


def estimate_noise_flat(images: Tensor, block: int = 16, share: float = 0.05) -> Tensor:
    """Per-image noise level (standard deviation per channel, [0, 1] units) in the flattest parts of the photo: the
    high-pass (the photo minus its Gaussian blur, sigma 2 px) measured in 16 px blocks, the 5th percentile of the
    blocks' standard deviations, scaled so that white noise reads true (x 1.077, measured on seeded noise). Blocks
    at black or white are left out (clipping hides noise there). Unlike `estimate_noise_pca` it sees noise that JPEG
    compression has made spatially correlated (JPEG zeroes the high frequencies, where the PCA tail looks: a camera
    photo with 14 levels of noise reads 0.6 there, 10 here); texture raises it only in photos with no flat area."""
    high = images - gaussian_blur(images, 2.0)
    height, width = images.shape[-2] // block * block, images.shape[-1] // block * block
    if height == 0 or width == 0:
        return estimate_noise_pca(images)
    cut = (..., slice(0, height), slice(0, width))
    stds = high[cut].unfold(2, block, block).unfold(3, block, block).flatten(-2).std(-1).mean(1)  # (B, h, w)
    means = images[cut].unfold(2, block, block).unfold(3, block, block).mean((-1, -2))
    unclipped = ((means > 6 / 255) & (means < 249 / 255)).all(1)
    levels = []
    for std, usable in zip(stds, unclipped):
        values = std[usable] if usable.sum() >= 8 else std.flatten()
        levels.append(torch.quantile(values.flatten().float(), share) * 1.077)
    return torch.stack(levels).to(images.dtype)


def estimate_noise_blind(images: Tensor, patches: int = 4_000) -> Tensor:
    """The blind noise level that texture and JPEG do not fool: the lower of `estimate_noise_flat` (raised by texture
    only where a photo has no flat area) and `estimate_noise_lowfreq` (raised a little by texture; sees noise that
    JPEG left in the low frequencies). On 12 Kodak24 128 px crops, in 8-bit levels: clean 1.9 (1.0-4.0), white
    noise sigma 5 / 10 / 25 reads 5.4 / 10.2 / 24.5, where `estimate_noise` reads 5.4 on the clean crops (texture
    passes for noise). `patches`: 4,000 low-frequency samples per image keep it at about 4 ms a 128 px crop, so a
    model can be trained with it as its noise-map input. (B,) in [0, 1] units."""
    return torch.minimum(estimate_noise_flat(images), estimate_noise_lowfreq(images, patches=patches))


# The blind estimates a noise-map model can be trained with; its card records which (`noise_estimator`), and
# inference measures the level the same way, once on the whole photo.
NOISE_ESTIMATORS = {"haar": estimate_noise, "blind": estimate_noise_blind}


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
