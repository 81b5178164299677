"""Fast Fourier Convolutions for inpainting large holes: LaMa (Suvorov et al., "Resolution-robust Large Mask
Inpainting with Fourier Convolutions", WACV 2022), after FFC (Chi et al., "Fast Fourier Convolution", NeurIPS 2020).

A convolution's receptive field grows by a few pixels a layer, so a hole wider than it is filled from nothing but
its own rim: a blur. The spectral branch of an FFC applies a 1x1 convolution to the 2-D Fourier transform of its
features, so every output pixel sees the whole image in a single layer: stripes, edges and textures that cross a hole
can be continued through it, and the same weights work at resolutions other than the training one.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from lightning_gan.nets.io import pad_to_multiple


def conv_bn_relu(c_in: int, c_out: int, kernel: int = 1, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, kernel, stride, kernel // 2, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(True))


def _angles(rows: Tensor | int, cols: Tensor | int, period: Tensor | int, like: Tensor) -> Tensor:
    """(rows, cols) matrix of 2 pi j k / period, built from sizes that may be traced (so ONNX keeps them dynamic)."""
    j = torch.arange(rows, device=like.device, dtype=like.dtype).unsqueeze(1)
    k = torch.arange(cols, device=like.device, dtype=like.dtype).unsqueeze(0)
    return 2 * torch.pi * j * k / period


def rfft2_matmul(x: Tensor) -> tuple[Tensor, Tensor]:
    """`torch.fft.rfft2(x, norm="ortho")` as (real, imag), written with matrix products. ONNX's legacy exporter
    has no FFT; the DFT matrices are built from the input's size inside the graph, so the exported model takes any
    size. Costs O(HW(H + W)) instead of O(HW log HW): cheap at the 1/8 resolution where the Fourier units run."""
    height, width = x.shape[-2], x.shape[-1]
    along_w = _angles(width, width // 2 + 1, width, x)
    real, imag = x @ torch.cos(along_w), -(x @ torch.sin(along_w))
    along_h = _angles(height, height, height, x)  # symmetric
    cos_h, sin_h = torch.cos(along_h), torch.sin(along_h)
    scale = (height * width) ** -0.5
    return (cos_h @ real + sin_h @ imag) * scale, (cos_h @ imag - sin_h @ real) * scale


def irfft2_matmul(real: Tensor, imag: Tensor, width: Tensor | int) -> Tensor:
    """The inverse of `rfft2_matmul`: `torch.fft.irfft2(torch.complex(real, imag), s=(H, width), norm="ortho")`."""
    height, half = real.shape[-2], real.shape[-1]
    along_h = _angles(height, height, height, real)
    cos_h, sin_h = torch.cos(along_h), torch.sin(along_h)
    rows_real, rows_imag = cos_h @ real - sin_h @ imag, cos_h @ imag + sin_h @ real
    along_w = _angles(half, width, width, real)
    # Every frequency but 0 and W/2 stands for itself and its mirror image: count it twice.
    k = torch.arange(half, device=real.device).unsqueeze(1)
    counts = (2 - (k == 0).to(real.dtype) - (2 * k == width).to(real.dtype))
    out = rows_real @ (torch.cos(along_w) * counts) - rows_imag @ (torch.sin(along_w) * counts)
    return out * (height * width) ** -0.5


class FourierUnit(nn.Module):
    """1x1 convolution in the frequency domain: rfft2 -> (real, imag) as channels -> conv, BN, ReLU -> irfft2."""

    def __init__(self, channels: int):
        super().__init__()
        self.body = conv_bn_relu(2 * channels, 2 * channels)

    def forward(self, x: Tensor) -> Tensor:
        height, width = x.shape[-2:]
        if torch.onnx.is_in_onnx_export():
            real, imag = rfft2_matmul(x.float())
            real, imag = self.body(torch.cat([real, imag], dim=1)).chunk(2, dim=1)
            return irfft2_matmul(real, imag, width)
        spectrum = torch.fft.rfft2(x.float(), norm="ortho")  # FFTs in fp32: half-precision FFTs need power-of-2 sizes
        stacked = torch.cat([spectrum.real, spectrum.imag], dim=1).to(x.dtype)
        real, imag = self.body(stacked).float().chunk(2, dim=1)
        return torch.fft.irfft2(torch.complex(real, imag), s=(height, width), norm="ortho").to(x.dtype)


class SpectralTransform(nn.Module):
    """The global branch of an FFC: reduce channels, add the Fourier unit's image-wide response, expand."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.reduce = conv_bn_relu(c_in, c_out // 2)
        self.fourier = FourierUnit(c_out // 2)
        self.expand = nn.Conv2d(c_out // 2, c_out, 1, bias=False)

    def forward(self, x: Tensor) -> Tensor:
        x = self.reduce(x)
        return self.expand(x + self.fourier(x))


class FFC(nn.Module):
    """Channels split into a local part (3x3 convolutions) and a global part (spectral transform), with cross
    paths: local' = conv(local) + conv(global), global' = conv(local) + spectral(global); then BN + ReLU each."""

    def __init__(self, channels: int, global_ratio: float = 0.75):
        super().__init__()
        self.global_channels = int(channels * global_ratio)
        local, glob = channels - self.global_channels, self.global_channels
        self.l2l = nn.Conv2d(local, local, 3, padding=1, padding_mode="reflect", bias=False)
        self.g2l = nn.Conv2d(glob, local, 3, padding=1, padding_mode="reflect", bias=False)
        self.l2g = nn.Conv2d(local, glob, 3, padding=1, padding_mode="reflect", bias=False)
        self.g2g = SpectralTransform(glob, glob)
        self.norm_l, self.norm_g = nn.BatchNorm2d(local), nn.BatchNorm2d(glob)

    def forward(self, x: Tensor) -> Tensor:
        x_l, x_g = x[:, : -self.global_channels], x[:, -self.global_channels :]
        out_l = F.relu(self.norm_l(self.l2l(x_l) + self.g2l(x_g)))
        out_g = F.relu(self.norm_g(self.l2g(x_l) + self.g2g(x_g)))
        return torch.cat([out_l, out_g], dim=1)


class FFCBlock(nn.Module):
    def __init__(self, channels: int, global_ratio: float = 0.75):
        super().__init__()
        self.body = nn.Sequential(FFC(channels, global_ratio), FFC(channels, global_ratio))

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)


class FFCInpainter(nn.Module):
    """(B, 4, H, W) = image with the hole (prefilled) + mask, in [-1, 1] -> (B, 3, H, W).

    LaMa's layout at CPU size: a 7x7 head, `downs` stride-2 convolutions, `blocks` FFC residual blocks, nearest-neighbour
    upsampling + 3x3 convolutions back up, a 7x7 tail. The output is a correction added to the input image; the tail starts at zero,
    so an untrained inpainter returns its (prefilled) input. Sides that are not multiples of 2**downs are
    edge-padded and the output cropped back, so any photo size works.
    """

    global_inpainter = True  # fills from the whole photo: inference runs it on whole photos at a working size

    def __init__(self, in_channels: int = 4, width: int = 32, blocks: int = 6, downs: int = 3, global_ratio: float = 0.75):
        super().__init__()
        self.downs = downs
        layers: list[nn.Module] = [nn.ReflectionPad2d(3), nn.Conv2d(in_channels, width, 7, bias=False), nn.BatchNorm2d(width),
                                   nn.ReLU(True)]
        channels = width
        for _ in range(downs):
            layers.append(conv_bn_relu(channels, channels * 2, 3, 2))
            channels *= 2
        layers += [FFCBlock(channels, global_ratio) for _ in range(blocks)]
        for _ in range(downs):
            # Resize-convolution, not LaMa's transposed convolution: after 3,300 steps on the CPU the transposed
            # version painted an 8-pixel checkerboard into every hole (Odena et al., "Deconvolution and
            # Checkerboard Artifacts", Distill 2016: uneven kernel overlap at stride 2).
            layers += [nn.Upsample(scale_factor=2, mode="nearest"), conv_bn_relu(channels, channels // 2, 3)]
            channels //= 2
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(channels, 3, 7)]
        self.net = nn.Sequential(*layers)
        nn.init.zeros_(self.net[-1].weight)
        nn.init.zeros_(self.net[-1].bias)

    def forward(self, x: Tensor) -> Tensor:
        height, width = x.shape[-2:]
        padded = pad_to_multiple(x, 2**self.downs)
        return (padded[:, :3] + self.net(padded))[..., :height, :width]
