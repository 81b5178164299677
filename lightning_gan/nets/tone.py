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

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def thumbnail_features(width: int) -> tuple[nn.Sequential, int]:
    """The parameter network's trunk: five 3x3 conv + LeakyReLU levels, four of them stride 2 (a 128 px thumbnail
    becomes 8 x 8 cells), `width` channels doubled per level up to 8 x width; and its output channels."""
    layers: list[nn.Module] = []
    channels = 3
    for level in range(5):
        out = width * min(2**level, 8)
        layers += [nn.Conv2d(channels, out, 3, stride=2 if level < 4 else 1, padding=1), nn.LeakyReLU(0.2, True)]
        channels = out
    return nn.Sequential(*layers), channels


LUMA = (0.299, 0.587, 0.114)  # BT.601 weights of R, G, B in luma


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


def grey_curve(increments: Tensor) -> Tensor:
    """(B, 3, K-1) curve increments -> the same curve for the three channels: their luma-weighted mean (monotone as
    they are). A grey pixel stays grey through it."""
    weights = torch.tensor(LUMA, dtype=increments.dtype, device=increments.device).view(1, 3, 1)
    return (increments * weights).sum(dim=1, keepdim=True).expand_as(increments)


def grey_matrix(matrix: Tensor) -> Tensor:
    """(B, 3, 3) colour matrix -> the nearest one that maps grey to grey: every row's sum set to their luma-weighted
    mean (a gain for all three channels alike stays) by changing the diagonal entry. Saturation and hue rotations
    stay; a tint of the grey axis goes."""
    sums = matrix.sum(dim=2)  # (B, 3): what grey (1, 1, 1) becomes
    weights = torch.tensor(LUMA, dtype=matrix.dtype, device=matrix.device)
    eye = torch.eye(3, dtype=matrix.dtype, device=matrix.device)
    return matrix - eye * (sums - (sums * weights).sum(dim=1, keepdim=True)).unsqueeze(1)  # on the diagonal (exportable)


class ToneGenerator(nn.Module):
    """(B, 3, H, W) in [-1, 1] -> (B, 3, H, W) in [-1, 1], any size; `render(x, predict(x))` is the same map.

    Args:
        width: channels of the first layer of the parameter network (doubled at each of its four stride-2 levels,
            capped at 8 x width).
        thumb: side of the square thumbnail the parameter network sees (the whole photo, resized).
        knots: knots of each channel's curve.
        guards: the gates and the white cap of `GuardedToneGenerator` around this operator, whatever its weights: the
            correction acts with the larger of `photo_gates` (0 for a well-exposed photo without a cast, a studio
            shot on white above all: it comes out exactly as it went in), and no unclipped pixel becomes clipped.
    """

    global_operator = True  # tools must predict the parameters from the whole photo, never tile by tile

    def __init__(self, width: int = 16, thumb: int = 128, knots: int = 17, guards: bool = False):
        super().__init__()
        self.thumb, self.knots, self.guards = thumb, knots, guards
        self.features, channels = thumbnail_features(width)
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
        params = self.head(torch.cat([h.mean(dim=(2, 3)), h.amax(dim=(2, 3))], dim=1))
        if not self.guards:
            return params
        return torch.cat([params, photo_gates((small + 1) / 2)], dim=1)  # the gates ride along, last two columns

    def render(self, x: Tensor, params: Tensor) -> Tensor:
        """Apply predicted parameters to `x` (any size, [-1, 1])."""
        if self.guards:
            params, gates = params[:, :-2], params[:, -2:]
        segments = self.knots - 1
        logits = params[:, : 3 * segments].view(-1, 3, segments)
        increments = logits.clamp(-6, 4).exp() / segments
        matrix = torch.eye(3, device=x.device, dtype=x.dtype) + params[:, 3 * segments :].view(-1, 3, 3)
        unit = (x[:, :3] + 1) / 2
        increments, matrix = increments.to(x.dtype), matrix.to(x.dtype)
        y = apply_matrix(apply_curves(unit, increments), matrix).clamp(0, 1)
        if self.guards:
            # The correction split in two: its grey-keeping part (one curve for the three channels, the matrix with
            # rows summing to 1: brightness, contrast, saturation) acts with the larger gate; what is left (the grey
            # axis moved: a change of white balance) with the white-balance gate alone.
            balance, tone = gates[:, :1].view(-1, 1, 1, 1), gates.amax(dim=1).view(-1, 1, 1, 1)
            keep_grey = apply_matrix(apply_curves(unit, grey_curve(increments)), grey_matrix(matrix)).clamp(0, 1)
            y = white_cap(unit + tone * (keep_grey - unit) + balance * (y - keep_grey), unit)
        return y * 2 - 1

    def forward(self, x: Tensor) -> Tensor:
        return self.render(x, self.predict(x))


# --- the guarded operator: invariants that hold for any weights --------------------------------------------------

def luma_of(x: Tensor) -> Tensor:
    """BT.601 luma (B, 1, H, W) of (B, 3, H, W)."""
    return LUMA[0] * x[:, 0:1] + LUMA[1] * x[:, 1:2] + LUMA[2] * x[:, 2:3]


def box_mean(x: Tensor, radius: int) -> Tensor:
    """Mean over a (2r+1)^2 window, the window cut at the borders (the guided filter's box filter)."""
    return F.avg_pool2d(x, 2 * radius + 1, stride=1, padding=radius, count_include_pad=False)


def guided_coefficients(guide: Tensor, target: Tensor, radius: int, eps: float) -> tuple[Tensor, Tensor]:
    """The guided filter's local linear model target ~ a * guide + b (He et al., "Guided Image Filtering", TPAMI
    2013), averaged over windows. Computed on a thumbnail and upsampled, this is the fast guided filter (He & Sun 2015;
    Wu et al., "Fast End-to-End Trainable Guided Filter", CVPR 2018): the full-resolution map a * luma + b follows the
    photo's own edges, so a smooth low-resolution gain map leaves no halo around them."""
    mean_i, mean_p = box_mean(guide, radius), box_mean(target, radius)
    var_i = box_mean(guide * guide, radius) - mean_i * mean_i
    cov = box_mean(guide * target, radius) - mean_i * mean_p
    a = cov / (var_i + eps)
    b = mean_p - a * mean_i
    return box_mean(a, radius), box_mean(b, radius)


def highlight_cast(unit: Tensor, sharpness: float = 30.0) -> Tensor:
    """(B,) relative chroma (max - min) / max of the photo's brightest pixels (a softmax over luma picks them): near
    0 when the highlights are neutral, as a white or grey studio background is; the white-patch idea of colour
    constancy (Land & McCann 1971): a photo whose brightest surfaces are neutral shows no cast to correct."""
    weights = torch.softmax(sharpness * luma_of(unit).flatten(1), dim=1).unsqueeze(1)  # (B, 1, H*W)
    colour = (unit.flatten(2) * weights).sum(-1)  # (B, 3)
    top = colour.amax(dim=1)
    return (top - colour.amin(dim=1)) / top.clamp_min(1e-3)


def neutral_share(unit: Tensor, light: float = 0.5, chroma: float = 0.04) -> Tensor:
    """(B,) share of the photo's pixels that are light (luma > `light`) and neutral (relative chroma (max - min) / max
    under `chroma`): a white or grey background, a label, a wall. Under a colour cast no pixel is neutral."""
    top, bottom = unit.amax(dim=1), unit.amin(dim=1)
    neutral = (luma_of(unit)[:, 0] > light) & ((top - bottom) < chroma * top)
    return neutral.float().flatten(1).mean(dim=1)


def luma_percentiles(unit: Tensor, share: float = 0.01) -> tuple[Tensor, Tensor]:
    """(B,) luma at the `share` and 1 - `share` quantiles (the darkest and brightest 1 %), by top-k (exportable)."""
    luma = luma_of(unit).flatten(1)
    k = max(1, int(luma.shape[1] * share))
    high = torch.topk(luma, k, dim=1).values.amin(dim=1)
    low = -torch.topk(-luma, k, dim=1).values.amin(dim=1)
    return low, high


def ramp(value: Tensor, zero: float, one: float) -> Tensor:
    """0 at `zero`, 1 at `one`, linear between and clamped outside (either direction)."""
    return ((value - zero) / (one - zero)).clamp(0, 1)


CAST_OPEN = (0.03, 0.08)  # highlight relative chroma: below the first, no white balance; above the second, full
NEUTRAL_OPEN = (0.10, 0.03)  # share of light neutral pixels: above the first, no white balance; below the second, full
# Degrees between grey and the light's colour as all four estimates of `illuminant_angle` see it: clean natural
# photos (BSD, every 4th of 432) read 3-14 (25-75 %), Grocery val under the evaluation cast (linear gains R 1.4,
# B 0.7) 12-28 (5-95 %). Chosen on those two sets (not on Kodak24): 10 -> 16 left 20 of 108 clean natural photos
# under 30 dB, 12 -> 18 left 15, at 0.15 and 0.34 dB of val `color_cast`.
CAST_ANGLE = (12.0, 18.0)
# Spread of the photo's log-chromaticities (`chroma_spread`): an eagle on a blue sky reads 0.14, clean natural photos
# 0.21-1.25 (5-95 %), Grocery val under the evaluation cast 0.28-0.75: below the first no white balance.
SPREAD_OPEN = (0.15, 0.25)
EXPOSED = (0.80, 0.65)  # luma of the brightest 1 %: clean val photos 0.76-1.0 (5-95 %), -2 EV 0.40-0.54, half
# contrast 0.56-0.70
# Brightest minus darkest 1 % of luma: a photo that spans the range is dim, not flat. Clean natural photos (every 4th
# of 432) read 0.54-0.91 (5-95 %), half-contrast Grocery val photos 0.33-0.46: the ramp sits between them. (0.62 ->
# 0.50, the first choice, made on Grocery val alone, opened tone for 12 of those 108 clean natural photos; with this
# and `DIM`, 6.)
SPAN = (0.54, 0.46)
# Brightest 1 %: below this a photo needs lifting however wide its range. -2 EV puts white at 0.54 (val 0.39-0.56),
# clean natural photos read 0.63 or more (95 %): fully open from 0.56, since a half-open gate half-lifts a -2 EV photo
# (0.62 -> 0.50 left four val `mixed` photos 2-3 dB short).
DIM = (0.62, 0.56)
BELOW_WHITE = 254 / 255  # the highest 8-bit level under white: where an unclipped pixel's channels must stay
UNCLIPPED = (0.02, 0.98)  # a pixel whose brightest channel is outside is black or clipped: its colour is not the light's
WHITE_PATCH = 0.02  # share of the unclipped pixels, by luma, taken as the white patch


def to_linear(unit: Tensor) -> Tensor:
    """sRGB in [0, 1] to linear light (IEC 61966-2-1)."""
    return torch.where(unit <= 0.04045, unit / 12.92, ((unit.clamp_min(0.04045) + 0.055) / 1.055) ** 2.4)


def illuminant_angle(unit: Tensor) -> Tensor:
    """(B,) degrees between neutral grey and the colour of the light, the smallest of four classical estimates made in
    linear light on the unclipped pixels: grey-world (Buchsbaum 1980: the mean surface is grey), white-patch (Land
    1977: the brightest 2 % are white), shades of grey (Finlayson & Trezzi 2004: the Minkowski mean, p = 6) and
    grey-edge (van de Weijer, Gevers & Gijsenij, TIP 2007: the mean edge is grey). A scene of warm objects fools some
    of them (white-patch when its brightest surface is a gold ball, grey-world when most of it is brick); a cast of
    the light moves all four, so the smallest is the cast they all agree on."""
    lin = to_linear(unit.clamp(0, 1))
    top = unit.amax(dim=1, keepdim=True)
    weight = ((top > UNCLIPPED[0]) & (top < UNCLIPPED[1])).to(unit.dtype) + 1e-6  # (B, 1, H, W); all-clipped: all
    total = weight.sum(dim=(2, 3))
    grey_world = (lin * weight).sum(dim=(2, 3)) / total
    shades = ((lin ** 6 * weight).sum(dim=(2, 3)) / total) ** (1 / 6)
    dx = (lin[..., :, 1:] - lin[..., :, :-1]).abs() * weight[..., :, 1:]
    dy = (lin[..., 1:, :] - lin[..., :-1, :]).abs() * weight[..., 1:, :]
    grey_edge = dx.sum(dim=(2, 3)) + dy.sum(dim=(2, 3))
    luma = (luma_of(lin) * weight - (weight < 0.5).to(unit.dtype)).flatten(1)  # clipped pixels sink to the bottom
    k = max(1, int(luma.shape[1] * WHITE_PATCH))
    index = torch.topk(luma, k, dim=1).indices.unsqueeze(1).expand(-1, 3, -1)
    white_patch = lin.flatten(2).gather(2, index).mean(dim=2)
    estimates = torch.stack([grey_world, shades, grey_edge, white_patch], dim=1)  # (B, 4, 3)
    cosine = estimates.sum(dim=2) / (estimates.norm(dim=2) * 3 ** 0.5).clamp_min(1e-8)
    return torch.acos(cosine.clamp(-1.0, 1.0)).amin(dim=1) * (180 / math.pi)


def chroma_spread(unit: Tensor) -> Tensor:
    """(B,) spread (standard deviation, both axes together) of log(R/G) and log(B/G) in linear light over the
    unclipped pixels, brighter pixels counting more (dark ones carry noise). A cast multiplies the channels, which
    shifts the log-chromaticities without spreading them, so this reads the scene's own variety of colours: a photo
    of one colour (a blue sky, a product on a coloured backdrop) cannot show whether the light or the scene is
    coloured, and is not white-balanced."""
    lin = to_linear(unit.clamp(0, 1)) + 1e-3
    top = unit.amax(dim=1, keepdim=True)
    weight = ((top > UNCLIPPED[0]) & (top < UNCLIPPED[1])).to(unit.dtype) * top + 1e-6
    total = weight.sum(dim=(2, 3), keepdim=True)
    chroma = torch.cat([(lin[:, 0:1] / lin[:, 1:2]).log(), (lin[:, 2:3] / lin[:, 1:2]).log()], dim=1)
    mean = (chroma * weight).sum(dim=(2, 3), keepdim=True) / total
    return (((chroma - mean) ** 2 * weight).sum(dim=(2, 3), keepdim=True) / total).sum(dim=1).flatten().sqrt()


def photo_gates(unit: Tensor) -> Tensor:
    """(B, 2) how far a photo may be changed, measured on it (a thumbnail in [0, 1]), not learned: white balance
    (0 when its highlights are neutral, a sizeable light area is neutral (a studio background), the four estimates
    of the light do not all see a cast (a warm scene is not a cast), or the photo is of one colour) and tone need (0
    when its brightest 1 % reach `EXPOSED[0]`, or when it is neither flat (`SPAN`) nor dark (`DIM`): a dim photo with
    deep blacks is as intended)."""
    balance = torch.minimum(ramp(highlight_cast(unit), *CAST_OPEN), ramp(neutral_share(unit), *NEUTRAL_OPEN))
    balance = torch.minimum(balance, ramp(illuminant_angle(unit), *CAST_ANGLE))
    balance = torch.minimum(balance, ramp(chroma_spread(unit), *SPREAD_OPEN))
    darkest, brightest = luma_percentiles(unit)
    flat_or_dark = torch.maximum(ramp(brightest - darkest, *SPAN), ramp(brightest, *DIM))
    need = torch.minimum(ramp(brightest, *EXPOSED), flat_or_dark)
    return torch.stack([balance, need], dim=1)


def white_cap(y: Tensor, unit: Tensor) -> Tensor:
    """`y` in [0, 1] with the channels of every pixel that was below 8-bit white in all channels kept at or under
    254/255: a pixel that was not clipped cannot become clipped. (An earlier cap, 1 - 0.5 x (1 - the input's
    brightest channel), also held brightening back: a -2 EV photo's brightest pixels could reach only 0.77.) The
    cap is never below the pixel's own brightest channel, so the identity passes unchanged."""
    brightest = unit.amax(dim=1, keepdim=True)
    cap = torch.where(brightest > (BELOW_WHITE + 1) / 2, 1.0, brightest.clamp_min(BELOW_WHITE))
    return torch.minimum(y.clamp(0, 1), cap)


def bounded(raw: Tensor, low: float, high: float) -> Tensor:
    """A smooth map of R onto (low, high) with bounded(0) = 0 (low < 0 < high): tanh scaled on each side."""
    t = torch.tanh(raw)
    return torch.where(t >= 0, t * high, -t * low)


class GuardedToneGenerator(nn.Module):
    """A tone and colour operator whose harm is bounded by construction, with a local shadow lift.
    (B, 3, H, W) in [-1, 1] -> same; `render(x, predict(x))` is the same map; untrained (zero head) it is the identity.

    A small CNN looks at a thumbnail of the whole photo (as `ToneGenerator`, Zero-DCE / image-adaptive 3D LUTs) and
    predicts, in this order of application:
    1. white balance: per-channel gains in [1/1.5, 1.5], normalised to keep luma, and gated: a photo whose brightest
       pixels are neutral (`highlight_cast` under `CAST_OPEN`), or one with a sizeable light neutral area
       (`neutral_share` over `NEUTRAL_OPEN[0]`: a white or light-grey studio background, however colourful the
       product's own highlights), gets gains of exactly 1;
    2. one tone curve shared by the three channels (monotone, f(0) = 0, f(1) = 1, its last segment's slope in
       [top_slope[0], top_slope[1]]): a neutral pixel stays neutral and near-white stays near white;
    3. a local gamma y = x ** g(x, y), g in [gamma[0], gamma[1]], shared by the channels: a coarse map from the CNN
       (one cell per 16 x 16 thumbnail pixels),
       made edge-aware by the fast guided filter on the photo's luma (HDRNet's idea of a low-resolution map sliced by
       the full-resolution photo, Gharbi et al. SIGGRAPH 2017): shadows lift where they are, without halos; 0 and 1
       are fixed points;
    4. a colour matrix I + D whose rows sum to 1 (D 1 = 0): the grey axis maps to
       itself; saturation and hue may change (entries within +-2 x `matrix_bound`);
    5. a cap: a pixel below 8-bit white in every channel stays at or under 254/255 (`white_cap`): a pixel that
       was not clipped cannot become clipped.

    Two gates, measured on the photo (not learned), decide how much may act at all: the tone steps (2, 3) act with
    a strength from 0 for a photo whose brightest 1 % reach `EXPOSED[0]` (well exposed: nothing to lift; a flat
    tone curve also lowers them) to 1 at `EXPOSED[1]`; the colour matrix (4) acts with the larger of that and the
    white-balance gate. (The 1-99 % luma range was tried as a second need and dropped: a light product on white has
    a narrow range and nothing to fix.) A well-exposed photo with neutral
    highlights, a studio shot on white above all, therefore comes out exactly as it went in, whatever the weights.

    Args:
        width: channels of the parameter network's first layer (doubled at each of its four stride-2 levels, capped
            at 8 x width).
        thumb: side of the square thumbnail the parameter network sees (the whole photo, resized).
        knots: knots of the shared tone curve.
        radius: guided-filter window radius, thumbnail pixels.
    """

    global_operator = True  # parameters come from the whole photo
    whole_photo = True  # the local map is tied to the photo's coordinates: render whole photos, never tiles

    top_slope = (0.5, 1.5)  # slope of the curve's last segment: 254/255 ends within [252.5, 254.5]
    gamma = (0.5, 1.5)  # local exponent: 0.5 lifts a 10 % shadow to 32 %, 1.5 deepens it to 3 %
    gain = 1.5  # white-balance gain bound (either way): tungsten to daylight is about 1.4 on red or blue
    matrix_bound = 0.25  # per entry of D
    eps = 1e-2  # guided filter regulariser (luma variance units): flatter areas than this get a smooth map

    def __init__(self, width: int = 16, thumb: int = 128, knots: int = 33, radius: int = 4):
        super().__init__()
        self.thumb, self.knots, self.radius = thumb, knots, radius
        self.features, channels = thumbnail_features(width)
        self.head = nn.Sequential(nn.Linear(2 * channels, 128), nn.LeakyReLU(0.2, True), nn.Linear(128, (knots - 1) + 3 + 9))
        self.local = nn.Conv2d(channels + 2 * channels, 1, 1)  # per cell: its features and the pooled ones
        for layer in (self.head[-1], self.local):  # identity at start
            nn.init.zeros_(layer.weight)
            nn.init.zeros_(layer.bias)
    def _thumbnail(self, x: Tensor) -> Tensor:
        side = 4 * self.thumb  # bilinear to 4x, then 4x4 means: close to antialiasing, and exportable
        return F.avg_pool2d(F.interpolate(x[:, :3], size=(side, side), mode="bilinear", align_corners=False), 4)

    def predict(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """(global parameters (B, P), guided coefficients a, b (B, 1, thumb, thumb), gates (B, 2): white balance
        and tone need)."""
        small = self._thumbnail(x)
        h = self.features(small)
        pooled = torch.cat([h.mean(dim=(2, 3)), h.amax(dim=(2, 3))], dim=1)
        params = self.head(pooled)
        context = pooled.view(*pooled.shape, 1, 1).expand(-1, -1, *h.shape[-2:])
        coarse = self.local(torch.cat([h, context], dim=1))  # one cell per 16 x 16 thumbnail pixels
        unit = (small + 1) / 2
        guide = luma_of(unit)
        target = F.interpolate(coarse, size=guide.shape[-2:], mode="bilinear", align_corners=False)
        a, b = guided_coefficients(guide, target, self.radius, self.eps)
        return params, a, b, photo_gates(unit)

    def curve_increments(self, params: Tensor) -> Tensor:
        """(B, 1, K-1) increments summing to 1 (f(1) = 1), the last one's slope in `top_slope`; zero logits give the
        identity curve."""
        segments = self.knots - 1
        low, high = self.top_slope
        last = (low + (high - low) * torch.sigmoid(params[:, segments - 1 : segments])) / segments  # 0 -> 1 / segments
        rest = torch.softmax(params[:, : segments - 1], dim=1) * (1 - last)
        return torch.cat([rest, last], dim=1).unsqueeze(1)

    def render(self, x: Tensor, prediction: tuple[Tensor, Tensor, Tensor, Tensor]) -> Tensor:
        """Apply predicted parameters to the whole photo `x` (any size, [-1, 1]) they were predicted from."""
        params, a, b, gates = prediction
        balance, need = gates[:, 0:1], gates[:, 1:2]
        segments = self.knots - 1
        unit = (x[:, :3] + 1) / 2
        log_gains = bounded(params[:, segments : segments + 3], -math.log(self.gain), math.log(self.gain)) * balance
        gains = log_gains.exp()
        gains = gains / (0.299 * gains[:, 0:1] + 0.587 * gains[:, 1:2] + 0.114 * gains[:, 2:3])
        balanced = (unit * gains.view(-1, 3, 1, 1)).clamp(0, 1)
        y = apply_curves(balanced, self.curve_increments(params).expand(-1, 3, -1).to(x.dtype))
        size = x.shape[-2:]
        q = F.interpolate(a, size=size, mode="bilinear", align_corners=False) * luma_of(unit) \
            + F.interpolate(b, size=size, mode="bilinear", align_corners=False)
        exponent = bounded(q, math.log(self.gamma[0]), math.log(self.gamma[1])).exp()
        y = y.clamp_min(1e-6) ** exponent
        y = balanced + need.view(-1, 1, 1, 1) * (y - balanced)  # a convex mix: every invariant still holds
        delta = torch.tanh(params[:, segments + 3 :].view(-1, 3, 3))
        delta = self.matrix_bound * (delta - delta.mean(dim=2, keepdim=True))  # rows sum to 0: grey stays grey
        delta = delta * torch.maximum(balance, need).view(-1, 1, 1)
        y = apply_matrix(y, torch.eye(3, device=x.device, dtype=x.dtype) + delta)
        return white_cap(y, unit) * 2 - 1

    def forward(self, x: Tensor) -> Tensor:
        return self.render(x, self.predict(x))
