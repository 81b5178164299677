"""An image-adaptive colour and tone operator: a small CNN looks at a thumbnail of the whole photo and predicts the
parameters of global operations that are then applied to the photo at full resolution.

The idea is that of Zero-DCE (Guo et al., "Zero-Reference Deep Curve Estimation for Low-Light Image Enhancement",
CVPR 2020) and of the image-adaptive 3D LUTs (Zeng et al., TPAMI 2020): exposure, white balance and a flat tone
curve are global, per-channel monotone maps of a photo, so a network that predicts such maps from a low-resolution
view of the whole photo can undo them at any resolution while keeping every edge and texture of the input (no pixel
is painted, so no halos, no smearing), at a cost that does not grow with the photo beyond one lookup per pixel.

The operator: per-channel monotone piecewise-linear curves with `knots` uniformly spaced knots (the curve's
increments are `exp(logit) / (knots - 1)`, so zero logits are the identity curve and any logits give a monotone
curve), then a 3x3 colour matrix `I + D` (saturation and cross-channel colour). The last layer starts at zero: an
untrained operator is the identity.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def apply_curves(x: Tensor, increments: Tensor) -> Tensor:
    """Per-channel piecewise-linear curves. x: (B, C, H, W) in [0, 1]; increments: (B, C, K-1), non-negative, the
    rise of each of the K-1 segments (the curve starts at 0). Values outside [0, 1] are clamped first."""
    segments = increments.shape[-1]
    knots = F.pad(increments.cumsum(-1), (1, 0))  # (B, C, K): the curve's value at each knot
    position = x.clamp(0, 1) * segments
    index = position.floor().clamp(max=segments - 1)
    fraction = position - index
    flat = index.long().flatten(2)  # (B, C, H*W)
    low = knots.gather(2, flat).view_as(x)
    rise = increments.gather(2, flat).view_as(x)
    return low + fraction * rise


def apply_matrix(x: Tensor, matrix: Tensor) -> Tensor:
    """(B, 3, H, W) times a per-image (B, 3, 3) colour matrix."""
    return torch.einsum("bij,bjhw->bihw", matrix, x)


class ToneGenerator(nn.Module):
    """(B, 3, H, W) in [-1, 1] -> (B, 3, H, W) in [-1, 1], any size; `render(x, predict(x))` is the same map.

    Args:
        width: channels of the first layer of the parameter network (doubled at each of its four stride-2 levels,
            capped at 8 x width).
        thumb: side of the square thumbnail the parameter network sees (the whole photo, resized).
        knots: knots of each channel's curve.
    """

    global_operator = True  # tools must predict the parameters from the whole photo, never tile by tile

    def __init__(self, width: int = 16, thumb: int = 128, knots: int = 17):
        super().__init__()
        self.thumb, self.knots = thumb, knots
        layers: list[nn.Module] = []
        channels = 3
        for level in range(5):
            out = width * min(2**level, 8)
            layers += [nn.Conv2d(channels, out, 3, stride=2 if level < 4 else 1, padding=1), nn.LeakyReLU(0.2, True)]
            channels = out
        self.features = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.Linear(2 * channels, 128), nn.LeakyReLU(0.2, True),
                                  nn.Linear(128, 3 * (knots - 1) + 9))
        nn.init.zeros_(self.head[-1].weight)  # identity at start: zero curve logits, zero matrix delta
        nn.init.zeros_(self.head[-1].bias)

    def predict(self, x: Tensor) -> Tensor:
        """Operator parameters (B, 3*(knots-1)+9) from a thumbnail of the whole photo."""
        # Bilinear to 4x the thumbnail, then 4x4 means: close to an antialiased resize, and exportable to ONNX
        # (the legacy exporter has no antialiased resize).
        side = 4 * self.thumb
        small = F.avg_pool2d(F.interpolate(x[:, :3], size=(side, side), mode="bilinear", align_corners=False), 4)
        h = self.features(small)
        # mean and max pooling: the mean sees exposure and cast, the max sees where the highlights are
        return self.head(torch.cat([h.mean(dim=(2, 3)), h.amax(dim=(2, 3))], dim=1))

    def render(self, x: Tensor, params: Tensor) -> Tensor:
        """Apply predicted parameters to `x` (any size, [-1, 1])."""
        segments = self.knots - 1
        logits = params[:, : 3 * segments].view(-1, 3, segments)
        increments = logits.clamp(-6, 4).exp() / segments
        matrix = torch.eye(3, device=x.device, dtype=x.dtype) + params[:, 3 * segments :].view(-1, 3, 3)
        unit = (x[:, :3] + 1) / 2
        y = apply_matrix(apply_curves(unit, increments.to(x.dtype)), matrix.to(x.dtype))
        return y.clamp(0, 1) * 2 - 1

    def forward(self, x: Tensor) -> Tensor:
        return self.render(x, self.predict(x))
