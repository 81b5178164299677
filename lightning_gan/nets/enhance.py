"""Image-to-image networks for enhancement: an encoder-decoder generator and a patch discriminator."""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def conv_block(c_in: int, c_out: int, kernel: int = 3, stride: int = 1) -> nn.Sequential:
    padding = 1 if stride == 2 else kernel // 2  # keeps H/stride exactly (kernel 4 when stride is 2)
    return nn.Sequential(nn.Conv2d(c_in, c_out, kernel, stride, padding, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(True))


class ResidualBlock(nn.Module):
    """conv-BN-ReLU-conv-BN plus the input; `norm=False` drops batch norm (EDSR, Lim et al. CVPRW 2017: BN removes
    the range flexibility restoration needs and costs memory) and scales the last conv's initial weights by 0.1, so
    a deep stack starts near the identity (the "smaller initialisation" of ESRGAN, Wang et al. ECCVW 2018)."""

    def __init__(self, channels: int, norm: bool = True):
        super().__init__()
        def bn() -> nn.Module:
            return nn.BatchNorm2d(channels) if norm else nn.Identity()

        last = nn.Conv2d(channels, channels, 3, 1, 1, bias=not norm)
        self.body = nn.Sequential(nn.Conv2d(channels, channels, 3, 1, 1, bias=not norm), bn(), nn.ReLU(True), last, bn())
        if not norm:
            with torch.no_grad():
                last.weight.mul_(0.1)

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)


class EncoderDecoder(nn.Module):
    """Degraded image (B, in_channels, H, W) in [-1, 1] -> enhanced image (B, 3, H, W).

    Two stride-2 encoder stages, residual blocks at 1/4 resolution, two transposed-conv decoder stages with
    additive skips from the encoder. With `global_residual` the network predicts a correction added to its input,
    so an untrained generator starts near the identity instead of a grey image. H and W must be multiples of 4.
    """

    size_multiple = 4

    def __init__(self, in_channels: int = 3, width: int = 32, blocks: int = 4, global_residual: bool = True):
        super().__init__()
        self.global_residual = global_residual
        self.head = conv_block(in_channels, width, 7)
        self.down1 = conv_block(width, width * 2, 4, 2)
        self.down2 = conv_block(width * 2, width * 4, 4, 2)
        self.middle = nn.Sequential(*[ResidualBlock(width * 4) for _ in range(blocks)])
        self.up2 = nn.Sequential(nn.ConvTranspose2d(width * 4, width * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(width * 2), nn.ReLU(True))
        self.up1 = nn.Sequential(nn.ConvTranspose2d(width * 2, width, 4, 2, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU(True))
        self.tail = nn.Conv2d(width, 3, 7, 1, 3)
        if global_residual:
            nn.init.zeros_(self.tail.weight)
            nn.init.zeros_(self.tail.bias)

    def forward(self, x: Tensor) -> Tensor:
        if x.shape[-1] % 4 or x.shape[-2] % 4:
            raise ValueError(f"EncoderDecoder needs height and width divisible by 4, got {tuple(x.shape[-2:])}")
        h0 = self.head(x)
        h1 = self.down1(h0)
        h2 = self.middle(self.down2(h1))
        out = self.tail(self.up1(self.up2(h2) + h1) + h0)
        return x[:, :3] + out if self.global_residual else out.tanh()


class PatchDiscriminator(nn.Module):
    """PatchGAN (Isola et al. 2017): a map of logits, one per overlapping patch, instead of one per image."""

    def __init__(self, in_channels: int = 6, width: int = 64, layers: int = 3, spectral_norm: bool = False,
                 norm: Literal["batch", "instance"] = "batch"):
        super().__init__()
        make_norm = nn.BatchNorm2d if norm == "batch" else nn.InstanceNorm2d

        def conv(c_in: int, c_out: int, stride: int) -> list[nn.Module]:
            # Spectral norm bounds D's Lipschitz constant (Miyato et al. 2018) and replaces batch norm.
            if spectral_norm:
                return [nn.utils.parametrizations.spectral_norm(nn.Conv2d(c_in, c_out, 4, stride, 1)), nn.LeakyReLU(0.2, True)]
            return [nn.Conv2d(c_in, c_out, 4, stride, 1, bias=False), make_norm(c_out), nn.LeakyReLU(0.2, True)]

        blocks: list[nn.Module] = [nn.Conv2d(in_channels, width, 4, 2, 1), nn.LeakyReLU(0.2, True)]
        c = width
        for i in range(1, layers):
            c_next = width * min(2 ** i, 8)
            blocks += conv(c, c_next, 2)
            c = c_next
        blocks += [*conv(c, c, 1), nn.Conv2d(c, 1, 4, 1, 1)]
        self.net = nn.Sequential(*blocks)

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)

    def features(self, x: Tensor) -> tuple[Tensor, list[Tensor]]:
        """The logits and the activations after each LeakyReLU (for feature matching)."""
        activations = []
        for layer in self.net:
            x = layer(x)
            if isinstance(layer, nn.LeakyReLU):
                activations.append(x)
        return x, activations


class GlobalLocalDiscriminator(nn.Module):
    """A global and a local patch discriminator (EnlightenGAN, Jiang et al., TIP 2021): one judges the whole photo
    resized to `global_size` (exposure and colour are properties of the whole photo), the other `crops` random
    `crop`-pixel windows at full resolution (local detail). Returns (B, N) logits: the global logits repeated
    `crops` times beside the local ones, so that the mean-based adversarial losses weigh both discriminators equally.
    """

    def __init__(self, in_channels: int = 6, width: int = 32, layers: int = 3, spectral_norm: bool = True,
                 global_size: int = 128, crop: int = 64, crops: int = 4):
        super().__init__()
        self.global_size, self.crop, self.crops = global_size, crop, crops
        self.whole = PatchDiscriminator(in_channels, width, layers + 1, spectral_norm)
        self.local = PatchDiscriminator(in_channels, width, layers, spectral_norm)

    def _windows(self, x: Tensor) -> Tensor:
        batch, _, height, width = x.shape
        side = min(self.crop, height, width)
        tops = torch.randint(0, height - side + 1, (self.crops,)).tolist()
        lefts = torch.randint(0, width - side + 1, (self.crops,)).tolist()
        return torch.cat([x[..., t : t + side, s : s + side] for t, s in zip(tops, lefts)])  # (crops * B, ...)

    def forward(self, x: Tensor) -> Tensor:
        batch = len(x)
        small = F.interpolate(x, size=(self.global_size, self.global_size), mode="bilinear", align_corners=False,
                              antialias=True)
        whole = self.whole(small).flatten(1)
        local = self.local(self._windows(x)).flatten(1)
        local = local.view(self.crops, batch, -1).permute(1, 0, 2).flatten(1)
        return torch.cat([whole.repeat(1, self.crops), local], dim=1)


class UNetDiscriminator(nn.Module):
    """A U-Net discriminator with spectral norm (Real-ESRGAN, Wang et al. ICCVW 2021; after Schonfeld et al. CVPR
    2020): three stride-2 stages down, three bilinear stages up with additive skips, one logit per pixel. Per-pixel
    judgement gives the generator a gradient for every texture it draws, which the real-world degradation's
    variety needs; spectral norm (Miyato et al. 2018) keeps that many outputs stable. H and W multiples of 8."""

    size_multiple = 8

    def __init__(self, in_channels: int = 6, width: int = 64):
        super().__init__()
        sn = nn.utils.parametrizations.spectral_norm
        self.first = nn.Conv2d(in_channels, width, 3, 1, 1)
        self.down = nn.ModuleList([sn(nn.Conv2d(width * 2 ** k, width * 2 ** (k + 1), 4, 2, 1, bias=False)) for k in range(3)])
        self.up = nn.ModuleList([sn(nn.Conv2d(width * 2 ** (k + 1), width * 2 ** k, 3, 1, 1, bias=False)) for k in (2, 1, 0)])
        self.refine = nn.Sequential(sn(nn.Conv2d(width, width, 3, 1, 1, bias=False)), nn.LeakyReLU(0.2, True),
                                    sn(nn.Conv2d(width, width, 3, 1, 1, bias=False)), nn.LeakyReLU(0.2, True),
                                    nn.Conv2d(width, 1, 3, 1, 1))

    def forward(self, x: Tensor) -> Tensor:
        if x.shape[-1] % 8 or x.shape[-2] % 8:
            raise ValueError(f"UNetDiscriminator needs height and width divisible by 8, got {tuple(x.shape[-2:])}")
        skips = [F.leaky_relu(self.first(x), 0.2)]
        for conv in self.down:
            skips.append(F.leaky_relu(conv(skips[-1]), 0.2))
        h = skips.pop()
        for conv in self.up:
            h = F.interpolate(h, scale_factor=2, mode="bilinear", align_corners=False)
            h = F.leaky_relu(conv(h), 0.2) + skips.pop()
        return self.refine(h)
