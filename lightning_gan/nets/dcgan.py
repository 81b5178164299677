"""The DCGAN networks (Radford et al. 2016): transposed convolutions up, strided convolutions down."""

from __future__ import annotations

import math

from torch import Tensor, nn


def init_dcgan(module: nn.Module) -> None:
    """DCGAN's initialisation: conv weights N(0, 0.02), batch-norm scales N(1, 0.02)."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(module.weight, 0.0, 0.02)
    elif isinstance(module, nn.BatchNorm2d) and module.affine:
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


def _levels(image_size: int) -> int:
    levels = int(math.log2(image_size)) - 2
    if image_size < 16 or 2 ** (levels + 2) != image_size:
        raise ValueError(f"DCGAN image_size must be a power of two >= 16, got {image_size}")
    return levels


class DCGANGenerator(nn.Module):
    """z (B, latent_dim) -> image (B, 3, S, S) in [-1, 1]; S = 64 is the paper's network."""

    def __init__(self, latent_dim: int = 100, width: int = 64, image_size: int = 64):
        super().__init__()
        levels = _levels(image_size)
        channels = [width * 2 ** i for i in reversed(range(levels))]  # 64px: 512, 256, 128, 64
        layers = [nn.ConvTranspose2d(latent_dim, channels[0], 4, 1, 0, bias=False), nn.BatchNorm2d(channels[0]), nn.ReLU(True)]
        for c_in, c_out in zip(channels, channels[1:]):
            layers += [nn.ConvTranspose2d(c_in, c_out, 4, 2, 1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(True)]
        layers += [nn.ConvTranspose2d(channels[-1], 3, 4, 2, 1), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        self.latent_dim = latent_dim
        self.apply(init_dcgan)

    def forward(self, z: Tensor) -> Tensor:
        return self.net(z.flatten(1)[:, :, None, None])


class DCGANDiscriminator(nn.Module):
    """image (B, 3, S, S) -> one logit per image (no Sigmoid: the losses take logits)."""

    def __init__(self, width: int = 64, image_size: int = 64):
        super().__init__()
        levels = _levels(image_size)
        channels = [width * 2 ** i for i in range(levels)]  # 64px: 64, 128, 256, 512
        layers = [nn.Conv2d(3, channels[0], 4, 2, 1), nn.LeakyReLU(0.2, True)]
        for c_in, c_out in zip(channels, channels[1:]):
            layers += [nn.Conv2d(c_in, c_out, 4, 2, 1, bias=False), nn.BatchNorm2d(c_out), nn.LeakyReLU(0.2, True)]
        layers += [nn.Conv2d(channels[-1], 1, 4, 1, 0)]
        self.net = nn.Sequential(*layers)
        self.apply(init_dcgan)

    def forward(self, image: Tensor) -> Tensor:
        return self.net(image).flatten(1)
