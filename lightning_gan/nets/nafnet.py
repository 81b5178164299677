"""NAFNet, a restoration U-Net without nonlinear activations (Chen, Chu, Zhang, Sun, "Simple Baselines for Image
Restoration", ECCV 2022): its blocks gate by multiplying two halves of the channels (SimpleGate) and reweight channels
from a global average (simplified channel attention); depthwise 3x3 convolutions keep each block cheap, which is
what a CPU needs.

Here: the input pixel-unshuffled to half size first (FFDNet's downsampling, as the `unshuffle` body: on this 2-core
CPU a forward + backward at batch 16, 128 px, width 32 took 1.5-2.4 s this way against 10.7-14.4 s at full
resolution, and 3.5 s for the shipped `unshuffle` body with a third of the parameters), then three stride-2 levels
(encoder blocks `ENCODER`, decoder blocks `DECODER`), `blocks` blocks at the bottom where they cost least, additive
skips, a pixel shuffle back, and the result added to the input (its first three channels; the others, e.g. a
noise-level map, only inform). The last convolution starts at zero, so an untrained network is the identity.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from lightning_gan.nets.io import pad_to_multiple

ENCODER = (1, 1, 2)  # blocks at 1/2, 1/4 and 1/8 of the photo's side, before each downsampling
DECODER = (1, 1, 1)  # blocks after each upsampling, 1/8 back to 1/2


class LayerNorm2d(nn.Module):
    """Layer norm over the channels of each pixel, with a per-channel scale and shift."""

    def __init__(self, channels: int, eps: float = 1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(1, channels, 1, 1))
        self.bias = nn.Parameter(torch.zeros(1, channels, 1, 1))
        self.eps = eps

    def forward(self, x: Tensor) -> Tensor:
        mean = x.mean(dim=1, keepdim=True)
        var = (x - mean).pow(2).mean(dim=1, keepdim=True)
        return (x - mean) / (var + self.eps).sqrt() * self.weight + self.bias


def simple_gate(x: Tensor) -> Tensor:
    """The gate that replaces an activation: the first half of the channels times the second."""
    a, b = x.chunk(2, dim=1)
    return a * b


class NAFBlock(nn.Module):
    """Two residual branches, each scaled by a per-channel factor that starts at zero: (norm, 1x1 expand x2,
    depthwise 3x3, gate, channel attention, 1x1) and (norm, 1x1 expand x2, gate, 1x1)."""

    starts_as_identity = True  # both residual scales start at zero: a warm start may add such blocks (load_grown)

    def __init__(self, channels: int):
        super().__init__()
        c = channels
        self.norm1, self.norm2 = LayerNorm2d(c), LayerNorm2d(c)
        self.expand = nn.Conv2d(c, 2 * c, 1)
        self.depthwise = nn.Conv2d(2 * c, 2 * c, 3, padding=1, groups=2 * c)
        self.attention = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(c, c, 1))
        self.project = nn.Conv2d(c, c, 1)
        self.ffn_expand, self.ffn_project = nn.Conv2d(c, 2 * c, 1), nn.Conv2d(c, c, 1)
        self.beta = nn.Parameter(torch.zeros(1, c, 1, 1))
        self.gamma = nn.Parameter(torch.zeros(1, c, 1, 1))

    def forward(self, x: Tensor) -> Tensor:
        y = simple_gate(self.depthwise(self.expand(self.norm1(x))))
        x = x + self.beta * self.project(y * self.attention(y))
        return x + self.gamma * self.ffn_project(simple_gate(self.ffn_expand(self.norm2(x))))


class NAFNet(nn.Module):
    """(B, in_channels, H, W) in [-1, 1] -> (B, 3, H, W), any size (edge-padded to a multiple of 16, cropped back).

    Args:
        in_channels: the photo's 3 channels, plus a noise-level map when the model has one.
        width: channels of the first level (half resolution), doubled at each level below.
        blocks: blocks at the bottom level (1/16 of the photo's side).
        level_blocks: multiplies the blocks of every encoder and decoder level (`ENCODER`, `DECODER`); NAFNet's own
            denoiser has two at each of its upper levels. Extra blocks start as the identity, so a model of 1 can
            seed one of 2 exactly (`lightning_gan.models.warm_start.load_grown`).
    """

    def __init__(self, in_channels: int = 4, width: int = 32, blocks: int = 4, level_blocks: int = 1):
        super().__init__()
        if level_blocks < 1:
            raise ValueError(f"--model.level_blocks must be at least 1, got {level_blocks}")
        self.head = nn.Conv2d(4 * in_channels, width, 3, padding=1)
        self.encoders, self.downs, self.decoders, self.ups = nn.ModuleList(), nn.ModuleList(), nn.ModuleList(), nn.ModuleList()
        c = width
        for count in ENCODER:
            self.encoders.append(nn.Sequential(*[NAFBlock(c) for _ in range(count * level_blocks)]))
            self.downs.append(nn.Conv2d(c, 2 * c, 2, stride=2))
            c *= 2
        self.middle = nn.Sequential(*[NAFBlock(c) for _ in range(blocks)])
        for count in DECODER:
            self.ups.append(nn.Sequential(nn.Conv2d(c, 2 * c, 1, bias=False), nn.PixelShuffle(2)))
            c //= 2
            self.decoders.append(nn.Sequential(*[NAFBlock(c) for _ in range(count * level_blocks)]))
        self.tail = nn.Conv2d(width, 3 * 4, 3, padding=1)
        nn.init.zeros_(self.tail.weight)
        nn.init.zeros_(self.tail.bias)

    def forward(self, x: Tensor) -> Tensor:
        height, width = x.shape[-2:]
        padded = pad_to_multiple(x, 2 ** (len(ENCODER) + 1))
        h = self.head(F.pixel_unshuffle(padded, 2))
        skips = []
        for encoder, down in zip(self.encoders, self.downs):
            h = encoder(h)
            skips.append(h)
            h = down(h)
        h = self.middle(h)
        for up, decoder, skip in zip(self.ups, self.decoders, reversed(skips)):
            h = decoder(up(h) + skip)
        return (padded[:, :3] + F.pixel_shuffle(self.tail(h), 2))[..., :height, :width]
