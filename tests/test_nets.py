"""Generators of lightning_gan/nets/eagan.py: identity at initialisation, any input size."""

from __future__ import annotations

import torch
from torch import nn

from lightning_gan.nets.eagan import UNetGenerator


def test_unet_starts_as_the_identity_and_takes_any_size():
    net = UNetGenerator(in_channels=4, width=8, depth=3).eval()
    x = torch.rand(2, 4, 37, 50) * 2 - 1
    torch.testing.assert_close(net(x), x[:, :3])  # the last conv starts at zero: an untrained net changes nothing
    nn.init.normal_(net.tail.weight, std=0.1)
    y = net(x)
    assert y.shape == (2, 3, 37, 50) and not torch.allclose(y, x[:, :3])


def test_unet_upsamples_without_transposed_convolutions():
    """Transposed convolutions paint a checkerboard into flat areas; the U-Net must not use them."""
    net = UNetGenerator(in_channels=3, width=8, depth=2)
    assert not any(isinstance(m, nn.ConvTranspose2d) for m in net.modules())
