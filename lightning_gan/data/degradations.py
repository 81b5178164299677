"""Product-photo defects, applied to whole batches on the batch's own device, with per-sample random parameters.

Images are float tensors (B, 3, H, W) in [0, 1]. `degrade(clean, "noise")` draws training parameters from the
device RNG; `degrade(clean, "noise", seeds=indices)` uses the preset's fixed evaluation setting and one seeded
generator per image, so every run and every baseline is scored on the identical degraded set, whatever the
batch size or device.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

import kornia
import torch
import torch.nn.functional as F
from torch import Tensor

Range = tuple[float, float]


class Degraded(NamedTuple):
    image: Tensor  # the degraded batch, in [0, 1]
    mask: Tensor | None  # (B, 1, H, W), 1 inside damaged areas; only for MASK_PRESETS


class Draw:
    """Per-sample random numbers: device RNG for training, one CPU generator per image seed for evaluation."""

    def __init__(self, batch: int, device: torch.device, seeds: Tensor | None = None):
        self.batch, self.device = batch, device
        self.generators = None if seeds is None else [torch.Generator().manual_seed(int(s)) for s in seeds]

    def uniform(self, low: float, high: float, *shape: int) -> Tensor:
        if self.generators is None:
            unit = torch.rand(self.batch, *shape, device=self.device)
        else:
            unit = torch.stack([torch.rand(shape, generator=g) for g in self.generators]).to(self.device)
        return low + (high - low) * unit

    def between(self, bounds: Range, *shape: int) -> Tensor:
        return self.uniform(bounds[0], bounds[1], *shape)

    def normal(self, *shape: int) -> Tensor:
        if self.generators is None:
            return torch.randn(self.batch, *shape, device=self.device)
        return torch.stack([torch.randn(shape, generator=g) for g in self.generators]).to(self.device)

    def poisson(self, rates: Tensor) -> Tensor:
        """Poisson counts of the given rates (a batch of one image's worth per generator)."""
        if self.generators is None:
            return torch.poisson(rates)
        return torch.cat([torch.poisson(r[None].cpu(), generator=g) for r, g in zip(rates, self.generators)]).to(rates.device)

    def image(self, index: int) -> Draw:
        """The draws of image `index` alone (its own seeded generator in evaluation)."""
        single = Draw(1, self.device)
        single.generators = None if self.generators is None else [self.generators[index]]
        return single


def _per_image(values: Tensor) -> Tensor:
    return values.view(-1, 1, 1, 1)


def to_linear(x: Tensor) -> Tensor:
    """sRGB (gamma-encoded, what a JPEG holds) to linear light, where a camera's exposure and gains act."""
    return kornia.color.rgb_to_linear_rgb(x.clamp(0, 1))


def to_srgb(x: Tensor) -> Tensor:
    return kornia.color.linear_rgb_to_rgb(x.clamp(0, 1))


def lowlight(x: Tensor, draw: Draw, ev: Range, shot: Range, read: Range) -> Tensor:
    """Under-exposure as a camera makes it: linear light scaled by 2**ev (ev < 0), then sensor noise of variance
    shot * signal + read**2 (Poisson-Gaussian, Foi et al., TIP 2008), then back to sRGB."""
    dark = to_linear(x) * 2.0 ** _per_image(draw.between(ev))
    std = (_per_image(draw.between(shot)) * dark + _per_image(draw.between(read)) ** 2).sqrt()
    return to_srgb(dark + std * draw.normal(*x.shape[1:]))


def low_contrast(x: Tensor, draw: Draw, factor: Range) -> Tensor:
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return mean + (x - mean) * _per_image(draw.between(factor))


def color_cast(x: Tensor, draw: Draw, red: Range, blue: Range, saturation: Range) -> Tensor:
    """Wrong white balance: red and blue gains relative to green in linear light (as a camera's wrong illuminant
    guess makes them), then a saturation change of the rendered photo."""
    red_gain, blue_gain = draw.between(red), draw.between(blue)
    gains = torch.stack([red_gain, torch.ones_like(red_gain), blue_gain], dim=1).view(-1, 3, 1, 1)
    y = to_srgb(to_linear(x) * gains)
    return kornia.enhance.adjust_saturation(y, draw.between(saturation))


def noise(x: Tensor, draw: Draw, sigma: Range) -> Tensor:
    return x + _per_image(draw.between(sigma)) * draw.normal(*x.shape[1:])


def camera_noise(x: Tensor, draw: Draw, shot: Range, read: Range, correlation: Range, quality: Range) -> Tensor:
    """Noise as a camera makes it: Poisson-Gaussian in linear light (variance shot * signal + read**2; Foi et al.,
    TIP 2008), spatially correlated by demosaicing (a Gaussian blur of the noise of sigma `correlation` px, rescaled to
    keep its strength), then JPEG compression of the noisy photo."""
    linear = to_linear(x)
    std = (_per_image(draw.between(shot)) * linear + _per_image(draw.between(read)) ** 2).sqrt()
    white = draw.normal(*x.shape[1:])
    sigmas = draw.between(correlation).unsqueeze(1).expand(-1, 2).contiguous()
    size = 2 * math.ceil(3 * correlation[1]) + 1
    correlated = kornia.filters.gaussian_blur2d(white, (size, size), sigmas)
    correlated = correlated * (white.std(dim=(1, 2, 3), keepdim=True) / correlated.std(dim=(1, 2, 3), keepdim=True).clamp_min(1e-6))
    noisy = to_srgb(linear + std * correlated)
    return kornia.enhance.jpeg_codec_differentiable(noisy, draw.between(quality))


def blur(x: Tensor, draw: Draw, sigma: Range, motion: float, length: int = 9) -> Tensor:
    """Out of focus (Gaussian, per-image sigma) or camera shake (motion blur, random angle), per image."""
    size = 2 * math.ceil(3 * sigma[1]) + 1
    sigmas = draw.between(sigma).unsqueeze(1).expand(-1, 2).contiguous()
    gaussian = kornia.filters.gaussian_blur2d(x, (size, size), sigmas)
    shaken = kornia.filters.motion_blur(x, length, draw.uniform(0.0, 180.0), draw.uniform(-1.0, 1.0))
    return torch.where(_per_image(draw.uniform(0, 1) < motion), shaken, gaussian)


def jpeg(x: Tensor, draw: Draw, quality: Range) -> Tensor:
    """JPEG as a file holds it: libjpeg's encoder and decoder (torchvision.io; byte-identical to Pillow's at the
    same quality: 4:2:0 chroma, integer rounding), the per-image quality rounded to an integer. kornia's
    differentiable codec is 0.6-0.9 dB kinder than a real file (Kodak kodim05, quality 20-95) and differs from it by
    38-45 dB PSNR, so a repair model trained on it would meet harsher artefacts in use. Not differentiable."""
    from torchvision.io import decode_jpeg, encode_jpeg

    qualities = draw.between(quality).round().clamp(1, 100).tolist()
    pixels = (x.clamp(0, 1) * 255).round().to(torch.uint8).cpu()
    out = [decode_jpeg(encode_jpeg(image, quality=int(q))) for image, q in zip(pixels, qualities)]
    return torch.stack(out).to(x.device, x.dtype) / 255


def real(x: Tensor, draw: Draw, scale: int) -> Tensor:
    """Real-ESRGAN's high-order degradation (`lightning_gan.data.real_world`), each image its own draw; the result is
    1 / `scale` of the size. Evaluation draws the same random degradation per image seed (training ranges, seeded)."""
    from lightning_gan.data.real_world import real_world

    return torch.cat([real_world(x[i : i + 1], draw.image(i), scale) for i in range(len(x))])


def real_or_small_file(x: Tensor, draw: Draw, scale: int, real_share: float, clean_share: float, quality: Range) -> Tensor:
    """Per image, one of what a small shop image went through: Real-ESRGAN's degradation (`real_share`), a plain
    antialiased bicubic reduction (`clean_share`: a supplier's clean resize), or that reduction saved as a JPEG of
    `quality` (a marketplace thumbnail). A model trained on the heavy degradation alone smooths the mild inputs,
    which are the commonest; 1 / `scale` of the size."""
    from torchvision.io import decode_jpeg, encode_jpeg

    from lightning_gan.data.real_world import real_world

    pick = draw.uniform(0, 1).flatten().tolist()
    qualities = draw.between(quality).round().clamp(1, 100).flatten().tolist()
    small = downscale(x, draw, scale).clamp(0, 1)
    out = []
    for i, (u, q) in enumerate(zip(pick, qualities)):
        if u < real_share:
            out.append(real_world(x[i : i + 1], draw.image(i), scale))
        elif u < real_share + clean_share:
            out.append(small[i : i + 1])
        else:
            pixels = (small[i] * 255).round().to(torch.uint8).cpu()
            out.append((decode_jpeg(encode_jpeg(pixels, quality=int(q))).to(x.device, x.dtype) / 255)[None])
    return torch.cat(out)


def downscale(x: Tensor, draw: Draw, factor: int) -> Tensor:
    """Antialiased bicubic reduction, the usual low-resolution input of super-resolution."""
    height, width = x.shape[-2:]
    if height % factor or width % factor:
        raise ValueError(f"downscale{factor}: image size {height}x{width} is not divisible by {factor}")
    return F.interpolate(x, size=(height // factor, width // factor), mode="bicubic", antialias=True)


def _grid(draw: Draw, height: int, width: int) -> tuple[Tensor, Tensor]:
    ys = torch.linspace(0, 1, height, device=draw.device).view(1, -1, 1)
    xs = torch.linspace(0, 1, width, device=draw.device).view(1, 1, -1)
    return ys, xs


def _ellipses(draw: Draw, ys: Tensor, xs: Tensor, count: tuple[int, int], radius: Range) -> Tensor:
    """(B, H, W) union of count[0]..count[1] random ellipses per image, radii relative to the image side."""
    wanted = draw.uniform(count[0], count[1] + 1).floor()
    mask = torch.zeros(draw.batch, ys.shape[1], xs.shape[2], device=draw.device, dtype=torch.bool)
    for k in range(count[1]):
        cy, cx, ry, rx = (draw.uniform(0, 1).view(-1, 1, 1) for _ in range(4))
        ry, rx = radius[0] + (radius[1] - radius[0]) * ry, radius[0] + (radius[1] - radius[0]) * rx
        angle = draw.uniform(0, math.pi).view(-1, 1, 1)
        dy, dx = ys - cy, xs - cx
        u = (dx * angle.cos() + dy * angle.sin()) / rx
        v = (dy * angle.cos() - dx * angle.sin()) / ry
        mask |= (u * u + v * v < 1) & (k < wanted).view(-1, 1, 1)
    return mask


def stain_mask(draw: Draw, height: int, width: int, count: tuple[int, int], radius: Range) -> Tensor:
    """Union of 1..N random ellipses per image, radii relative to the image side."""
    ys, xs = _grid(draw, height, width)
    return _ellipses(draw, ys, xs, count, radius).unsqueeze(1).float()


def _strokes(draw: Draw, ys: Tensor, xs: Tensor, count: tuple[int, int], thickness: Range, vertices: int = 5) -> Tensor:
    """Thick random polylines (a brush dragged across the photo), as LaMa's training masks draw them."""
    wanted = draw.uniform(count[0], count[1] + 1).floor()
    mask = torch.zeros(draw.batch, ys.shape[1], xs.shape[2], device=draw.device, dtype=torch.bool)
    for k in range(count[1]):
        active = (k < wanted).view(-1, 1, 1)
        half = draw.between(thickness).view(-1, 1, 1) / 2
        y0, x0 = draw.uniform(0, 1).view(-1, 1, 1), draw.uniform(0, 1).view(-1, 1, 1)
        for _ in range(vertices):
            angle = draw.uniform(0, 2 * math.pi).view(-1, 1, 1)
            length = draw.uniform(0.1, 0.4).view(-1, 1, 1)
            y1, x1 = (y0 + length * angle.sin()).clamp(0, 1), (x0 + length * angle.cos()).clamp(0, 1)
            sy, sx = y1 - y0, x1 - x0
            t = (((ys - y0) * sy + (xs - x0) * sx) / (sy * sy + sx * sx).clamp_min(1e-8)).clamp(0, 1)
            mask |= active & ((ys - y0 - t * sy) ** 2 + (xs - x0 - t * sx) ** 2 < half * half)
            y0, x0 = y1, x1
    return mask


def _boxes(draw: Draw, ys: Tensor, xs: Tensor, count: tuple[int, int], side: Range) -> Tensor:
    wanted = draw.uniform(count[0], count[1] + 1).floor()
    mask = torch.zeros(draw.batch, ys.shape[1], xs.shape[2], device=draw.device, dtype=torch.bool)
    for k in range(count[1]):
        cy, cx = draw.uniform(0, 1).view(-1, 1, 1), draw.uniform(0, 1).view(-1, 1, 1)
        hy, hx = draw.between(side).view(-1, 1, 1) / 2, draw.between(side).view(-1, 1, 1) / 2
        mask |= ((ys - cy).abs() < hy) & ((xs - cx).abs() < hx) & (k < wanted).view(-1, 1, 1)
    return mask


def hole_mask(draw: Draw, height: int, width: int, strokes: tuple[int, int], thickness: Range, boxes: tuple[int, int],
              box_side: Range, blobs: tuple[int, int], blob_radius: Range) -> Tensor:
    """Large, varied holes (LaMa's recipe: thick strokes, boxes, blobs), (B, 1, H, W) with 1 inside."""
    ys, xs = _grid(draw, height, width)
    mask = _strokes(draw, ys, xs, strokes, thickness) | _boxes(draw, ys, xs, boxes, box_side)
    mask |= _ellipses(draw, ys, xs, blobs, blob_radius)
    return mask.unsqueeze(1).float()


def grayscale(x: Tensor, draw: Draw) -> Tensor:
    return kornia.color.rgb_to_grayscale(x).expand_as(x)


@dataclass(frozen=True)
class Step:
    op: Callable[..., Tensor]
    train: dict = field(default_factory=dict)
    eval: dict = field(default_factory=dict)
    p: float = 1.0  # the chance that an image gets this step


def _fixed(**values: float) -> dict:
    return {k: (v, v) for k, v in values.items()}


# Exposure -0.5 to -3 EV; evaluation -2 EV (a photo four times too dark) with visible sensor noise.
LOWLIGHT = Step(lowlight, dict(ev=(-3.0, -0.5), shot=(0.0, 0.004), read=(0.0, 0.004)), _fixed(ev=-2.0, shot=0.002, read=0.002))
LOW_CONTRAST = Step(low_contrast, dict(factor=(0.35, 0.8)), _fixed(factor=0.5))
# Gains of 0.6-1.6 span daylight photos taken with tungsten or shade presets; evaluation: a warm (tungsten) cast.
COLOR_CAST = Step(
    color_cast,
    dict(red=(0.6, 1.6), blue=(0.6, 1.6), saturation=(0.6, 1.3)),
    _fixed(red=1.4, blue=0.7, saturation=0.8),
)
NOISE = Step(noise, dict(sigma=(5 / 255, 50 / 255)), _fixed(sigma=25 / 255))
# A phone photo in a dim shop at high ISO; evaluation: shot 0.01, read 0.004, correlation 0.6 px, JPEG quality 85.
CAMERA_NOISE = Step(camera_noise, dict(shot=(0.0005, 0.02), read=(0.0005, 0.01), correlation=(0.3, 1.0), quality=(60, 95)),
                    _fixed(shot=0.01, read=0.004, correlation=0.6, quality=85))

@dataclass(frozen=True)
class Preset:
    """A degradation preset: its steps, and everything else a tool needs to know about it, in one record."""

    steps: tuple[Step, ...] = ()
    scale: int = 1  # the degraded image is this many times smaller than the clean one (super-resolution input)
    mask: bool = False  # the damage comes with a mask (inpainting); `degrade` draws the mask and fills it
    one_of: bool = False  # each image gets exactly one of the steps, chosen with the steps' p
    noise: bool = False  # noise is the damage: evaluation adds BM3D rows (when installed)


# The shipped `sr4x` trains on `real_sr4x_mix`: the heavy degradation for 60 % of the photos, the rest a clean bicubic
# reduction (20 %) or one saved as a JPEG of quality 30-95 (20 %); evaluation draws the same way, seeded per photo.
SMALL_FILES = dict(scale=4, real_share=0.6, clean_share=0.2, quality=(30, 95))
# `sr2x` (a photo a little under the size a listing needs, most often a thumbnail JPEG): the heavy degradation for
# 40 %, a clean bicubic halving for 20 %, and that halving saved as a JPEG of quality 20-95 for 40 %.
SMALL_FILES_2X = dict(scale=2, real_share=0.4, clean_share=0.2, quality=(20, 95))
# `sr2x-jpeg` (what `fix` enlarges when the file is a JPEG saved at 90 or less and not resized since): a clean
# halving saved as a JPEG of quality 20-90, every photo; 90 is where fix stops repairing a JPEG before enlarging it.
JPEG_FILES_2X = dict(scale=2, real_share=0.0, clean_share=0.0, quality=(20, 90))

PRESETS: dict[str, Preset] = {
    "lowlight": Preset((LOWLIGHT,)),
    "low_contrast": Preset((LOW_CONTRAST,)),
    "color_cast": Preset((COLOR_CAST,)),
    "noise": Preset((NOISE,), noise=True),
    "camera_noise": Preset((CAMERA_NOISE,), noise=True),
    "blur": Preset((Step(blur, dict(sigma=(0.5, 2.5), motion=0.3), dict(sigma=(1.5, 1.5), motion=0.0)),)),
    "jpeg": Preset((Step(jpeg, dict(quality=(20, 80)), _fixed(quality=40)),)),
    # JPEG repair (the `dejpeg` model): every quality a shop meets, 10 (marketplace thumbnails) to 95 (a camera's
    # own), a third of the photos noisy before compression (a phone at high ISO); evaluation: quality 40.
    "jpeg_repair": Preset((Step(noise, dict(sigma=(2 / 255, 15 / 255)), _fixed(sigma=5 / 255), p=0.3),
                           Step(jpeg, dict(quality=(10, 95)), _fixed(quality=40)))),
    "downscale2": Preset((Step(downscale, dict(factor=2), dict(factor=2)),), scale=2),
    "downscale4": Preset((Step(downscale, dict(factor=4), dict(factor=4)),), scale=4),
    # What small shop images went through (Real-ESRGAN, Wang et al. ICCVW 2021): blur, resize, noise and JPEG twice,
    # then a sinc filter; `real_sr4x` ends at a quarter of the size (super-resolution input), `real` at the same size.
    "real": Preset((Step(real, dict(scale=1), dict(scale=1)),)),
    "real_sr4x": Preset((Step(real, dict(scale=4), dict(scale=4)),), scale=4),
    "real_sr4x_mix": Preset((Step(real_or_small_file, SMALL_FILES, SMALL_FILES),), scale=4),
    "real_sr2x_mix": Preset((Step(real_or_small_file, SMALL_FILES_2X, SMALL_FILES_2X),), scale=2),
    "jpeg_sr2x": Preset((Step(real_or_small_file, JPEG_FILES_2X, JPEG_FILES_2X),), scale=2),
    "stains": Preset(mask=True),  # `degrade` draws the mask and fills it
    "large_holes": Preset(mask=True),
    "holes_and_stains": Preset(mask=True),  # each photo gets one of the two masks (HOLES_SHARE)
    "grayscale": Preset((Step(grayscale),)),
    # Real-ESRGAN style: a random subset of camera failures per image, in the order a camera makes them: exposure
    # and sensor noise, then white balance, then a flat tone curve.
    "mixed": Preset(tuple(Step(s.op, s.train, s.eval, p=0.6) for s in (LOWLIGHT, COLOR_CAST, LOW_CONTRAST))),
    # One denoiser for both kinds of noise: each image gets exactly one of them (one_of), at even odds.
    "noise_mix": Preset((Step(NOISE.op, NOISE.train, NOISE.eval, p=0.5),
                         Step(CAMERA_NOISE.op, CAMERA_NOISE.train, CAMERA_NOISE.eval, p=0.5)), one_of=True, noise=True),
    "none": Preset(),  # clean photos in: the do-no-harm check
}
STAINS_TRAIN = dict(count=(1, 4), radius=(0.04, 0.18))
STAINS_EVAL = dict(count=(3, 3), radius=(0.06, 0.14))
# Share of the photo in holes (measured on 256 draws): training 14-42 % (5th-95th percentile), mean 28 %;
# evaluation 7-24 %, mean 15 %, seeded per photo.
HOLES_TRAIN = dict(strokes=(1, 4), thickness=(0.04, 0.12), boxes=(0, 2), box_side=(0.1, 0.4), blobs=(1, 3),
                   blob_radius=(0.05, 0.2))
HOLES_EVAL = dict(strokes=(1, 2), thickness=(0.04, 0.1), boxes=(0, 1), box_side=(0.1, 0.3), blobs=(1, 2),
                  blob_radius=(0.06, 0.16))
# One inpainter for both jobs: most photos get large holes (the harder, more varied masks), the rest stains, whose
# round edges and smaller size the hole masks rarely draw.
HOLES_SHARE = 0.7
MASK_PRESETS = tuple(name for name, preset in PRESETS.items() if preset.mask)
NOISE_PRESETS = tuple(name for name, preset in PRESETS.items() if preset.noise)


def scale_of(name: str) -> int:
    """How much smaller the degraded image is than the clean one (super-resolution presets)."""
    return PRESETS[name].scale if name in PRESETS else 1


@torch.no_grad()
def degrade(clean: Tensor, name: str, *, seeds: Tensor | None = None, clean_share: float = 0.0) -> Degraded:
    """Degrade a batch with preset `name`: training ranges, or the fixed evaluation setting when `seeds` is given.

    `clean_share` (training only): the share of images left untouched, so that a model also learns to leave a good
    photo alone."""
    if name not in PRESETS:
        raise ValueError(f"unknown degradation {name!r}; known presets: {', '.join(PRESETS)}")
    if seeds is not None and len(seeds) != len(clean):
        raise ValueError(f"need one seed per image: {len(seeds)} seeds for {len(clean)} images")
    if not 0 <= clean_share < 1:
        raise ValueError(f"clean_share must be in [0, 1), got {clean_share}")
    draw = Draw(len(clean), clean.device, seeds)
    mode = "train" if seeds is None else "eval"
    keep = _per_image(draw.uniform(0, 1) < clean_share) if seeds is None and clean_share > 0 else None
    if PRESETS[name].mask:
        mask = _mask(draw, name, *clean.shape[-2:], training=seeds is None)
        mask = mask if keep is None else mask * ~keep
        colour = draw.uniform(0, 1, 3, 1, 1)
        return Degraded(clean * (1 - mask) + colour * mask, mask)
    preset = PRESETS[name]
    steps = preset.steps
    if not steps:
        return Degraded(clean.clone(), None)
    p = torch.tensor([s.p for s in steps], device=draw.device)
    chosen = _choose_one(draw, p) if preset.one_of else _choose(draw, p)
    x = clean
    for k, step in enumerate(steps):
        changed = step.op(x, draw, **getattr(step, mode)).clamp(0, 1)
        x = changed if step.p >= 1 else torch.where(_per_image(chosen[:, k]), changed, x)
    if keep is not None:
        x = torch.where(keep, clean, x)
    return Degraded(x.clamp(0, 1), None)


def _mask(draw: Draw, name: str, height: int, width: int, training: bool) -> Tensor:
    """(B, 1, H, W) damage mask of a mask preset, training ranges or the evaluation setting."""
    if name == "stains":
        return stain_mask(draw, height, width, **(STAINS_TRAIN if training else STAINS_EVAL))
    if name == "large_holes":
        return hole_mask(draw, height, width, **(HOLES_TRAIN if training else HOLES_EVAL))
    # Both masks are drawn for the whole batch (the draws are vectorised over photos), and one is kept per photo.
    use_holes = _per_image(draw.uniform(0, 1) < HOLES_SHARE)
    holes, stains = (_mask(draw, part, height, width, training) for part in ("large_holes", "stains"))
    return torch.where(use_holes, holes, stains)


def _choose(draw: Draw, p: Tensor) -> Tensor:
    """Which steps each image gets (B, steps): each with its chance p, and never none."""
    u = draw.uniform(0, 1, len(p))
    chosen = u < p
    first = F.one_hot((u - p).argmin(dim=1), len(p)).bool()  # the step closest to being chosen
    return chosen | (first & ~chosen.any(dim=1, keepdim=True))


def _choose_one(draw: Draw, p: Tensor) -> Tensor:
    """Exactly one step per image (B, steps), step k with probability p[k] / sum(p)."""
    edges = (p / p.sum()).cumsum(0)
    index = (draw.uniform(0, 1, 1) > edges).sum(dim=1).clamp_max(len(p) - 1)
    return F.one_hot(index, len(p)).bool()
