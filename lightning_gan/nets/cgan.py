"""Class-conditional networks: a DCGAN generator with conditional batch norm, and a projection discriminator."""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn.utils.parametrizations import spectral_norm

from lightning_gan.nets.dcgan import _levels, init_dcgan


class ConditionalBatchNorm(nn.Module):
    """Batch norm whose scale and shift are looked up per class (de Vries et al. 2017; Miyato & Koyama 2018)."""

    def __init__(self, channels: int, num_classes: int):
        super().__init__()
        self.norm = nn.BatchNorm2d(channels, affine=False)
        self.scale = nn.Embedding(num_classes, channels)
        self.shift = nn.Embedding(num_classes, channels)
        nn.init.ones_(self.scale.weight)
        nn.init.zeros_(self.shift.weight)

    def forward(self, x: Tensor, label: Tensor) -> Tensor:
        return self.norm(x) * self.scale(label)[:, :, None, None] + self.shift(label)[:, :, None, None]


class ConditionalGenerator(nn.Module):
    """(z, label) -> image (B, 3, S, S) in [-1, 1]: the DCGAN generator, z joined with a class embedding,
    every batch norm conditioned on the class."""

    def __init__(self, num_classes: int, latent_dim: int = 100, width: int = 64, image_size: int = 64, embed_dim: int = 32):
        super().__init__()
        levels = _levels(image_size)
        channels = [width * 2 ** i for i in reversed(range(levels))]
        self.embed = nn.Embedding(num_classes, embed_dim)
        self.ups = nn.ModuleList([nn.ConvTranspose2d(latent_dim + embed_dim, channels[0], 4, 1, 0, bias=False)])
        self.ups.extend(nn.ConvTranspose2d(c_in, c_out, 4, 2, 1, bias=False) for c_in, c_out in zip(channels, channels[1:]))
        self.norms = nn.ModuleList(ConditionalBatchNorm(c, num_classes) for c in channels)
        self.out = nn.ConvTranspose2d(channels[-1], 3, 4, 2, 1)
        self.latent_dim, self.num_classes = latent_dim, num_classes
        self.apply(init_dcgan)

    def forward(self, z: Tensor, label: Tensor) -> Tensor:
        x = torch.cat([z.flatten(1), self.embed(label)], dim=1)[:, :, None, None]
        for up, norm in zip(self.ups, self.norms):
            x = norm(up(x), label).relu()
        return self.out(x).tanh()


class ProjectionDiscriminator(nn.Module):
    """(image, label) -> logit = psi(phi(x)) + <embed(label), phi(x)> (Miyato & Koyama 2018, "cGANs with
    Projection Discriminator"): the class enters as an inner product with D's features, not as an input channel.
    Spectral norm on every layer, as in that paper."""

    def __init__(self, num_classes: int, width: int = 64, image_size: int = 64):
        super().__init__()
        levels = _levels(image_size)
        channels = [width * 2 ** i for i in range(levels)]
        layers: list[nn.Module] = []
        c_in = 3
        for c_out in channels:
            layers += [spectral_norm(nn.Conv2d(c_in, c_out, 4, 2, 1)), nn.LeakyReLU(0.2, True)]
            c_in = c_out
        self.features = nn.Sequential(*layers)
        self.linear = spectral_norm(nn.Linear(c_in, 1))
        self.embed = spectral_norm(nn.Embedding(num_classes, c_in))

    def forward(self, image: Tensor, label: Tensor) -> Tensor:
        h = self.features(image).sum(dim=(2, 3))  # sum pooling over the 4x4 map
        return self.linear(h) + (self.embed(label) * h).sum(dim=1, keepdim=True)
