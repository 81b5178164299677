"""EAGAN generators: a residual network with batch norm (SRResNet-style, optional pixel-shuffle upsampling) and a U-Net."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from lightning_gan.nets.enhance import ResidualBlock
from lightning_gan.nets.io import pad_to_multiple


class ResNetGenerator(nn.Module):
    """(B, in_channels, h, w) in [-1, 1] -> (B, 3, h * scale, w * scale).

    Head conv, `blocks` residual blocks with batch norm, a long skip over them (Ledig et al. 2017, SRResNet), then
    log2(scale) pixel-shuffle x2 stages; `norm=False` drops every batch norm (EDSR, Lim et al. CVPRW 2017). The
    output is a correction added to the input, bicubically enlarged when scale > 1; the last conv starts at zero,
    so an untrained generator is the identity (or bicubic upsampling).
    Any input size works: every layer is size-preserving until the upsampling.
    """

    def __init__(self, in_channels: int = 3, width: int = 64, blocks: int = 8, scale: int = 1, norm: bool = True):
        super().__init__()
        if scale not in (1, 2, 4, 8):
            raise ValueError(f"scale must be 1, 2, 4 or 8, got {scale}")
        self.scale = scale
        self.head = nn.Sequential(nn.Conv2d(in_channels, width, 9 if scale > 1 else 3, padding="same"), nn.PReLU(width))
        self.body = nn.Sequential(*[ResidualBlock(width, norm) for _ in range(blocks)],
                                  nn.Conv2d(width, width, 3, padding=1, bias=not norm), nn.BatchNorm2d(width) if norm else nn.Identity())
        up: list[nn.Module] = []
        for _ in range(int(math.log2(scale))):
            up += [nn.Conv2d(width, width * 4, 3, padding=1), nn.PixelShuffle(2), nn.PReLU(width)]
        self.up = nn.Sequential(*up)
        self.tail = nn.Conv2d(width, 3, 3, padding=1)
        nn.init.zeros_(self.tail.weight)
        nn.init.zeros_(self.tail.bias)

    def forward(self, x: Tensor) -> Tensor:
        h = self.head(x)
        correction = self.tail(self.up(h + self.body(h)))
        base = x[:, :3]
        if self.scale > 1:
            base = F.interpolate(base, scale_factor=self.scale, mode="bicubic", align_corners=False)
        return base + correction


class UNetGenerator(nn.Module):
    """U-Net (Ronneberger et al. 2015): `depth` stride-2 levels with skip concatenations; predicts a correction.

    A residual block at every level, full resolution included (fine texture needs more than one conv there, and the
    coarse levels see low-frequency colour blotches); upsampling by nearest neighbour + 3x3 conv, because transposed
    convolutions paint a checkerboard into flat areas (Odena et al., Distill 2016). The last conv starts at zero, so
    an untrained generator is the identity. Inputs whose sides are not multiples of 2**depth are edge-padded and the
    output cropped back.
    """

    def __init__(self, in_channels: int = 3, width: int = 32, depth: int = 3):
        super().__init__()
        self.depth = depth
        widths = [width * 2**i for i in range(depth + 1)]
        self.head = nn.Sequential(nn.Conv2d(in_channels, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(True),
                                  ResidualBlock(width))
        self.down = nn.ModuleList(
            nn.Sequential(nn.Conv2d(widths[i], widths[i + 1], 4, 2, 1, bias=False), nn.BatchNorm2d(widths[i + 1]),
                          nn.LeakyReLU(0.2, True), ResidualBlock(widths[i + 1]))
            for i in range(depth)
        )
        self.up = nn.ModuleList(
            nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(widths[i + 1], widths[i], 3, padding=1, bias=False),
                          nn.BatchNorm2d(widths[i]), nn.ReLU(True))
            for i in reversed(range(depth))
        )
        self.merge = nn.ModuleList(
            nn.Sequential(nn.Conv2d(widths[i] * 2, widths[i], 3, padding=1, bias=False), nn.BatchNorm2d(widths[i]), nn.ReLU(True))
            for i in reversed(range(depth))
        )
        self.tail = nn.Conv2d(width, 3, 3, padding=1)
        nn.init.zeros_(self.tail.weight)
        nn.init.zeros_(self.tail.bias)

    def forward(self, x: Tensor) -> Tensor:
        height, width = x.shape[-2:]
        padded = pad_to_multiple(x, 2**self.depth)
        skips, h = [], self.head(padded)
        for down in self.down:
            skips.append(h)
            h = down(h)
        for up, merge in zip(self.up, self.merge):
            h = merge(torch.cat([up(h), skips.pop()], dim=1))
        return (padded[:, :3] + self.tail(h))[..., :height, :width]


class UnshuffleResNet(nn.Module):
    """(B, in_channels, h, w) in [-1, 1] -> (B, 3, h, w): a residual body at half resolution.

    FFDNet's downsampling (Zhang et al., "FFDNet: Toward a Fast and Flexible Solution for CNN-Based Image Denoising",
    TIP 2018): the input, noise-level map included, is pixel-unshuffled into 4x the channels at half the size, so
    each 3x3 conv spans 6x6 input pixels. At twice the width of a full-resolution body it costs the same per conv,
    sees twice as far (colour blotches, not only grain) and holds four times the parameters. The body is EDSR
    residual blocks without batch norm (Lim et al. CVPRW 2017); a pixel shuffle brings the correction back to full
    size, added to the input. The last conv starts at zero, so an untrained generator is the identity. Odd sides are
    edge-padded and the output cropped back.
    """

    def __init__(self, in_channels: int = 4, width: int = 64, blocks: int = 12):
        super().__init__()
        self.head = nn.Sequential(nn.Conv2d(in_channels * 4, width, 3, padding=1), nn.ReLU(True))
        self.body = nn.Sequential(*[ResidualBlock(width, norm=False) for _ in range(blocks)],
                                  nn.Conv2d(width, width, 3, padding=1))
        self.tail = nn.Conv2d(width, 3 * 4, 3, padding=1)
        nn.init.zeros_(self.tail.weight)
        nn.init.zeros_(self.tail.bias)

    def forward(self, x: Tensor) -> Tensor:
        height, width = x.shape[-2:]
        padded = pad_to_multiple(x, 2)
        h = self.head(F.pixel_unshuffle(padded, 2))
        correction = F.pixel_shuffle(self.tail(h + self.body(h)), 2)
        return (padded[:, :3] + correction)[..., :height, :width]
