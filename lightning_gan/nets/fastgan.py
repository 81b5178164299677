"""Light networks for small-data generation after FastGAN (Liu, Zhu, Song, Elgammal, "Towards Faster and Stabilized
GAN Training for High-fidelity Few-shot Image Synthesis", ICLR 2021), sized for 64 px on a CPU.

Generator: nearest-neighbour upsampling + 3x3 convolutions with GLU, and skip-layer excitation (SLE: a coarse
feature map gates the channels of a fine one, so global layout reaches the last layers in one step).
Discriminator: residual down blocks, and a self-supervised task: small decoders rebuild the image from D's 8x8
features, which forces D to describe whole images instead of memorising a few cues of ~30 photos a class.
Both take an optional class (`num_classes` > 0): conditional batch norm in G, a projection head in D
(Miyato & Koyama, ICLR 2018).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.parametrizations import spectral_norm

from lightning_gan.nets.cgan import ConditionalBatchNorm
from lightning_gan.nets.dcgan import _levels


class UpBlock(nn.Module):
    """x2 nearest upsampling, then `convs` times conv3x3 -> class batch norm -> GLU (GLU halves the channels)."""

    def __init__(self, c_in: int, c_out: int, num_classes: int, convs: int = 1):
        super().__init__()
        self.convs = nn.ModuleList(nn.Conv2d(c_in if i == 0 else c_out, 2 * c_out, 3, 1, 1, bias=False) for i in range(convs))
        self.norms = nn.ModuleList(ConditionalBatchNorm(2 * c_out, max(num_classes, 1)) for _ in range(convs))

    def forward(self, x: Tensor, label: Tensor) -> Tensor:
        x = F.interpolate(x, scale_factor=2.0, mode="nearest")
        for conv, norm in zip(self.convs, self.norms):
            x = F.glu(norm(conv(x), label), dim=1)
        return x


class SkipExcitation(nn.Module):
    """SLE: a coarse map (pooled to 4x4) becomes one sigmoid gate per channel of a fine map."""

    def __init__(self, c_small: int, c_big: int):
        super().__init__()
        self.net = nn.Sequential(nn.AdaptiveAvgPool2d(4), nn.Conv2d(c_small, c_big, 4, 1, 0, bias=False), nn.SiLU(),
                                 nn.Conv2d(c_big, c_big, 1, 1, 0, bias=False), nn.Sigmoid())

    def forward(self, small: Tensor, big: Tensor) -> Tensor:
        return big * self.net(small)


class FastGANGenerator(nn.Module):
    """(z, label) -> image (B, 3, S, S) in [-1, 1]. Channels halve from 8 x width at 4x4 down to width / 2.
    Blocks alternate one and two convolutions (FastGAN's UpBlock / UpBlockComp, without its noise injection so
    that a seed gives the same image); SLE gates the last two resolutions with the 4x4 and 8x8 maps."""

    def __init__(self, num_classes: int = 0, latent_dim: int = 128, width: int = 32, image_size: int = 64, embed_dim: int = 32):
        super().__init__()
        levels = _levels(image_size)  # 64 px: 4 up blocks, 4 -> 64
        channels = [max(width * 8 // 2**i, 8) for i in range(levels + 1)]  # 64 px, w 32: 256 128 64 32 16
        self.embed = nn.Embedding(num_classes, embed_dim) if num_classes else None
        self.start = nn.ConvTranspose2d(latent_dim + (embed_dim if num_classes else 0), 2 * channels[0], 4, 1, 0, bias=False)
        self.start_norm = ConditionalBatchNorm(2 * channels[0], max(num_classes, 1))  # one row when unconditional
        self.ups = nn.ModuleList(UpBlock(c_in, c_out, num_classes, convs=2 if i < 2 else 1)
                                 for i, (c_in, c_out) in enumerate(zip(channels, channels[1:])))
        # SLE gates the maps at the last two resolutions with the maps `levels - 1` steps coarser (64 px: 4 -> 32, 8 -> 64)
        self.gap = levels - 1
        self.excite = nn.ModuleList(SkipExcitation(channels[k - self.gap], channels[k]) for k in (levels - 1, levels))
        self.out = nn.Conv2d(channels[-1], 3, 3, 1, 1)
        self.latent_dim, self.num_classes = latent_dim, num_classes

    def forward(self, z: Tensor, label: Tensor | None = None) -> Tensor:
        label = torch.zeros(len(z), dtype=torch.long, device=z.device) if label is None else label
        x = z.flatten(1)
        if self.embed is not None:
            x = torch.cat([x, self.embed(label)], dim=1)
        x = F.glu(self.start_norm(self.start(x[:, :, None, None]), label), dim=1)
        maps = [x]
        for k, up in enumerate(self.ups, start=1):
            x = up(x, label)
            if k >= self.gap:
                x = self.excite[k - self.gap](maps[k - self.gap], x)
            maps.append(x)
        return self.out(maps[-1]).tanh()


def _sn_conv(c_in: int, c_out: int, kernel: int, stride: int, padding: int) -> nn.Module:
    return spectral_norm(nn.Conv2d(c_in, c_out, kernel, stride, padding))


def _act(channels: int, batch_norm: bool) -> list[nn.Module]:
    return ([nn.BatchNorm2d(channels)] if batch_norm else []) + [nn.LeakyReLU(0.2)]


class DownBlock(nn.Module):
    """FastGAN's DownBlockComp with spectral norm, batch norm optional: (conv4x4/2 -> conv3x3) averaged with
    (avgpool -> conv1x1), so gradients reach the input by a short path too."""

    def __init__(self, c_in: int, c_out: int, batch_norm: bool = False):
        super().__init__()
        self.main = nn.Sequential(_sn_conv(c_in, c_out, 4, 2, 1), *_act(c_out, batch_norm),
                                  _sn_conv(c_out, c_out, 3, 1, 1), *_act(c_out, batch_norm))
        self.skip = nn.Sequential(nn.AvgPool2d(2), _sn_conv(c_in, c_out, 1, 1, 0), *_act(c_out, batch_norm))

    def forward(self, x: Tensor) -> Tensor:
        return (self.main(x) + self.skip(x)) / 2


class Decoder(nn.Module):
    """8x8 features -> 32x32 image in [-1, 1]: the self-supervised decoder of FastGAN's discriminator."""

    def __init__(self, c_in: int, width: int):
        super().__init__()
        layers: list[nn.Module] = [nn.AdaptiveAvgPool2d(8)]
        c = c_in
        for _ in range(2):
            layers += [nn.Upsample(scale_factor=2.0, mode="nearest"), nn.Conv2d(c, 2 * width, 3, 1, 1), nn.GLU(dim=1)]
            c = width
        layers += [nn.Conv2d(c, 3, 3, 1, 1), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, features: Tensor) -> Tensor:
        return self.net(features)


def minibatch_stddev(x: Tensor, group: int = 4) -> Tensor:
    """Append the features' standard deviation across a group of images as one channel (Karras et al., ICLR 2018):
    a generator that gives every z the same image gets caught by it."""
    n, c, h, w = x.shape
    g = math.gcd(group, n)
    std = x.view(g, -1, c, h, w).float().var(dim=0, unbiased=False).add(1e-8).sqrt().mean(dim=(1, 2, 3))
    return torch.cat([x, std.to(x.dtype).repeat(g)[:, None, None, None].expand(n, 1, h, w)], dim=1)


class FastGANDiscriminator(nn.Module):
    """(image, label) -> logit. 64 px, width w: 3 -> w (32x32) -> 2w (16x16) -> 4w (8x8) -> 8w (4x4), minibatch
    stddev, sum pooling, linear head plus the projection <embed(label), features> when conditional.

    `forward(..., reconstruct=True)` (on real images) also returns the self-supervised L1 loss: one decoder
    rebuilds the whole image at 32 px from the 8x8 features, the other a random quarter at 32 px from that
    quarter of the 16x16 features (FastGAN uses LPIPS there; L1 needs no pretrained network).

    `batch_norm` puts batch norm after every spectral-normed conv but the first, as FastGAN's own D does: spectral
    norm bounds each layer's gain by 1 and the blocks average two paths, so without it the logits stayed near 0.3
    and the hinge loss near chance for a whole 2 h run (docs/results.md); batch norm restores the activations'
    scale."""

    def __init__(self, num_classes: int = 0, width: int = 32, image_size: int = 64, batch_norm: bool = False):
        super().__init__()
        levels = _levels(image_size)
        channels = [width * 2**i for i in range(levels)]  # 64 px: w 2w 4w 8w
        self.first = nn.Sequential(_sn_conv(3, channels[0], 4, 2, 1), nn.LeakyReLU(0.2))
        self.downs = nn.ModuleList(DownBlock(c_in, c_out, batch_norm) for c_in, c_out in zip(channels, channels[1:]))
        self.final = nn.Sequential(_sn_conv(channels[-1] + 1, channels[-1], 3, 1, 1), *_act(channels[-1], batch_norm))
        self.linear = spectral_norm(nn.Linear(channels[-1], 1))
        self.embed = spectral_norm(nn.Embedding(num_classes, channels[-1])) if num_classes else None
        self.decode_whole = Decoder(channels[-2], max(width // 2, 8))
        self.decode_part = Decoder(channels[-3] if levels >= 3 else channels[0], max(width // 2, 8))

    def forward(self, image: Tensor, label: Tensor | None = None, reconstruct: bool = False):
        maps = [self.first(image)]
        for down in self.downs:
            maps.append(down(maps[-1]))
        h = self.final(minibatch_stddev(maps[-1])).sum(dim=(2, 3))
        logit = self.linear(h)
        if self.embed is not None and label is not None:
            logit = logit + (self.embed(label) * h).sum(dim=1, keepdim=True)
        if not reconstruct:
            return logit
        return logit, self._reconstruction_loss(image, maps[-2], maps[-3] if len(maps) >= 3 else maps[0])

    def _reconstruction_loss(self, image: Tensor, coarse: Tensor, fine: Tensor) -> Tensor:
        whole = F.l1_loss(self.decode_whole(coarse), F.interpolate(image, size=32, mode="area"))
        quarter = int(torch.randint(0, 4, ()))
        fy, fx = (quarter // 2) * fine.shape[-2] // 2, (quarter % 2) * fine.shape[-1] // 2
        iy, ix = (quarter // 2) * image.shape[-2] // 2, (quarter % 2) * image.shape[-1] // 2
        part_features = fine[:, :, fy:fy + fine.shape[-2] // 2, fx:fx + fine.shape[-1] // 2]
        part_image = image[:, :, iy:iy + image.shape[-2] // 2, ix:ix + image.shape[-1] // 2]
        part = F.l1_loss(self.decode_part(part_features), F.interpolate(part_image, size=32, mode="area"))
        return whole + part
