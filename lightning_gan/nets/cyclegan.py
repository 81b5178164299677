"""CycleGAN's generator (Zhu et al. 2017, after Johnson et al. 2016): two downsamplings, residual blocks, two upsamplings.

Instance norm and reflection padding throughout, as in the paper (no batch statistics shared between photos,
no dark frame at the borders). Its discriminator is `nets.enhance.PatchDiscriminator(norm="instance")`.
"""

from __future__ import annotations

from torch import Tensor, nn


def _conv(c_in: int, c_out: int, kernel: int, stride: int = 1) -> list[nn.Module]:
    pad = [nn.ReflectionPad2d(kernel // 2)] if stride == 1 else []
    return [*pad, nn.Conv2d(c_in, c_out, kernel, stride, 0 if stride == 1 else 1), nn.InstanceNorm2d(c_out), nn.ReLU(True)]


class ResnetBlock(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.body = nn.Sequential(*_conv(channels, channels, 3)[:-1], nn.ReLU(True), *_conv(channels, channels, 3)[:-1])

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)


class ResnetGenerator(nn.Module):
    """Image (B, 3, H, W) in [-1, 1] -> image of the other domain, same size; H and W multiples of 4.
    The paper uses 9 blocks at 256 px and 6 at 128 px."""

    size_multiple = 4

    def __init__(self, width: int = 64, blocks: int = 6):
        super().__init__()
        layers = [*_conv(3, width, 7), *_conv(width, width * 2, 3, 2), *_conv(width * 2, width * 4, 3, 2)]
        layers += [ResnetBlock(width * 4) for _ in range(blocks)]
        for c_in, c_out in ((width * 4, width * 2), (width * 2, width)):
            layers += [nn.ConvTranspose2d(c_in, c_out, 3, 2, 1, output_padding=1), nn.InstanceNorm2d(c_out), nn.ReLU(True)]
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(width, 3, 7), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        if x.shape[-1] % 4 or x.shape[-2] % 4:
            raise ValueError(f"ResnetGenerator needs height and width divisible by 4, got {tuple(x.shape[-2:])}")
        return self.net(x)
