"""A small residual product classifier for 64 px images (He et al., "Deep Residual Learning for Image Recognition",
CVPR 2016, at a few MB): the project's own feature extractor for generation metrics that need no downloads. A plain
variant (VGG-style stages without shortcuts, Simonyan & Zisserman ICLR 2015) gives an independent second judge."""

from __future__ import annotations

from typing import Literal

from torch import Tensor, nn


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with batch norm and a shortcut (1x1 strided when the shape changes)."""

    def __init__(self, c_in: int, c_out: int, stride: int):
        super().__init__()
        self.stride = stride
        self.body = nn.Sequential(nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True),
                                  nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False), nn.BatchNorm2d(c_out))
        self.shortcut = (nn.Identity() if stride == 1 and c_in == c_out
                         else nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out)))

    def forward(self, x: Tensor) -> Tensor:
        return (self.body(x) + self.shortcut(x)).relu()


class PlainBlock(nn.Module):
    """Two 3x3 convolutions with batch norm and ReLU, no shortcut."""

    def __init__(self, c_in: int, c_out: int, stride: int):
        super().__init__()
        self.stride = stride
        self.body = nn.Sequential(nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True),
                                  nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True))

    def forward(self, x: Tensor) -> Tensor:
        return self.body(x)


BLOCKS = {"resnet": BasicBlock, "plain": PlainBlock}


class ProductClassifier(nn.Module):
    """Images (B, 3, S, S) in [0, 1] -> class logits; `features` gives the pooled (B, 8 x width) vector before the
    classifier layer, the space domain FID, GAN-test and diversity are measured in. 64 px, width 32: a stride-2
    stem (32x32), then stages of `blocks` blocks at 32, 16, 8 and 4 px with 32, 64, 128, 256 channels; `arch` picks
    residual (`resnet`) or plain blocks."""

    def __init__(self, num_classes: int, width: int = 32, blocks: int = 1, dropout: float = 0.2,
                 arch: Literal["resnet", "plain"] = "resnet"):
        super().__init__()
        widths = [width, 2 * width, 4 * width, 8 * width]
        layers: list[nn.Module] = [nn.Conv2d(3, width, 3, 2, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU(inplace=True)]
        c_in = width
        for i, c_out in enumerate(widths):
            for j in range(blocks):
                layers.append(BLOCKS[arch](c_in, c_out, 2 if i > 0 and j == 0 else 1))
                c_in = c_out
        self.body = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(c_in, num_classes))
        self.num_features = c_in  # torchmetrics' FID/KID read this instead of probing with a random image

    def features(self, images: Tensor) -> Tensor:
        return self.body((images - 0.5) / 0.25)  # [0, 1] to roughly zero mean, unit spread

    def forward(self, images: Tensor) -> Tensor:
        return self.head(self.features(images))
