"""lightning_gan/nets/nafnet.py: identity when untrained, any size, no activations, a choice of EAGAN's generators."""

from __future__ import annotations

import torch
from torch import nn

from lightning_gan.nets.nafnet import NAFBlock, NAFNet


def test_nafnet_starts_as_the_identity_and_takes_odd_sizes():
    torch.manual_seed(0)
    net = NAFNet(in_channels=4, width=8, blocks=1).eval()
    x = torch.rand(2, 4, 37, 50) * 2 - 1
    torch.testing.assert_close(net(x), x[:, :3])  # zero-initialised tail
    seen = []
    net.middle.register_forward_hook(lambda module, args, out: seen.append(out.shape))
    nn.init.normal_(net.tail.weight, std=0.1)
    y = net(x)
    assert y.shape == (2, 3, 37, 50) and not torch.allclose(y, x[:, :3])
    assert seen[-1][-2:] == (3, 4)  # padded to 48 x 64, unshuffled to half, three levels down: 1/16


def test_blocks_gate_without_activations_and_start_as_the_identity():
    block = NAFBlock(8)
    assert not any(isinstance(m, (nn.ReLU, nn.LeakyReLU, nn.GELU, nn.SiLU)) for m in NAFNet(4, 8, 1).modules())
    x = torch.randn(2, 8, 6, 6)
    torch.testing.assert_close(block(x), x)  # beta and gamma start at zero
    with torch.no_grad():
        block.beta.fill_(1.0)
        block.gamma.fill_(1.0)
    y = block(x)
    y.pow(2).mean().backward()
    assert not torch.allclose(y, x) and block.depthwise.weight.grad.abs().sum() > 0


def test_nafnet_is_an_eagan_generator_with_a_noise_map():
    from lightning_gan.models.eagan import EAGAN

    model = EAGAN(generator="nafnet", width=8, blocks=1, d_width=8, noise_map=True)
    assert isinstance(model.generator, NAFNet) and model.generator.head.in_channels == 16
    assert model.generator(torch.zeros(1, 4, 20, 20)).shape == (1, 3, 20, 20)
