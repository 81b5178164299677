"""Contact sheet of real photos through models and baselines, at 1:1 (one row per photo, one column per method).

    python scripts/contact_sheet.py --methods enhance,clahe,auto_contrast --pick dark,median --per-pick 4 \
        --out docs/images/enhance_real_photos.png

Photos are real, undegraded Grocery Store test photos (or any folder), picked by their mean luma: `dark` = the
darkest, `median` = well-exposed ones around the median, `bright` = the brightest; the first column is the photo as
shot (or, with --degradation, the photo degraded by that preset's seeded evaluation setting, and then the last
column is the original). Mask presets (stains, large_holes) give inpainting models and diffusion_fill the mask.
Nothing is resized: each cell is the method's output at the photo's own resolution, so what you see is what a shop
gets.

    python scripts/contact_sheet.py --methods inpaint,diffusion_fill --degradation large_holes --pick median \
        --out docs/images/inpaint_large_holes.png

`--pick detailed` takes the photos with the most fine detail (mean gradient magnitude: printed text, leaves,
netting), and `--crop 128` shows each photo's most detailed 128x128 window only, still at 1:1 (`--zoom 2` enlarges
the crops with nearest neighbour, pixels stay visible):

    python scripts/contact_sheet.py --methods denoise,gaussian_filter --degradation noise --pick detailed \
        --crop 128 --zoom 2 --out docs/images/denoise_texture.png

`--crop-first` cuts the window out of the clean photo before degrading and restoring it: minutes instead of hours for
slow baselines such as BM3D (about 100 s per 500x500 photo on 2 CPU cores). Only for local methods (denoisers,
JPEG repair); models that look at the whole photo (`enhance`'s thumbnail) would see only the window:

    python scripts/contact_sheet.py --data ../shared/data/benchmarks/Kodak24 --split all --every 1 \
        --methods denoise,bm3d --degradation noise --pick detailed --per-pick 4 --crop 128 --crop-first --zoom 2 \
        --out docs/images/denoise_texture_bm3d.png

`NAME xN` in `--methods` is the mean of N flipped copies (self-ensemble; N = 2, 4 or 8), beside the single pass:

    python scripts/contact_sheet.py --data ../shared/data/benchmarks/Kodak24 --split all --every 1 \
        --methods "denoise,denoise x8" --degradation noise --pick detailed --per-pick 4 --crop 128 --crop-first \
        --zoom 2 --out docs/images/denoise_ensemble_texture.png

`--pick changed` takes the photos, as they are, that the first method changes most: the do-no-harm worst cases of a
model meant to leave good photos alone (a photo it returns exactly is never picked):

    python scripts/contact_sheet.py --data ../shared/data/benchmarks/Kodak24 --split all --every 1 \
        --methods enhance,auto_contrast --pick changed --per-pick 3 --out docs/images/enhance_kodak_worst.png

With `--degradation downscale4` the first column is the small input, shown at the output's scale with nearest
neighbour (each input pixel a 4x4 block).

`--split all` takes every image of a folder without splits (Kodak24, the natural photos). `--studio` first turns
each photo into a seeded studio shot (a cut-out on a white or light-grey background, `lightning_gan.data.studio`;
the same shots as `benchmarks/enhance_ood.py` when the photos are the same), to see what a model does to white:

    python scripts/contact_sheet.py --data ../shared/data/natural-photos/CBSD432 --split all --every 43 \
        --studio --methods enhance,clahe --pick median --per-pick 4 --out docs/images/enhance_studio.png
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import torch
import torch.nn.functional as F
from PIL import Image, ImageDraw

from lightning_gan.data.degradations import Draw, degrade
from lightning_gan.data.images import decode, list_split, read_rgb, scan, to_tensor
from lightning_gan.data.studio import studio_shot
from lightning_gan.evaluation.scores import luma_mean
from lightning_gan.inference import load_restorer


def detail_map(image: torch.Tensor) -> torch.Tensor:
    """(1, 3, H, W) in [0, 1] -> (1, 1, H-1, W-1) gradient magnitude of luma."""
    luma = image.mean(dim=1, keepdim=True)
    dx, dy = luma[..., :-1, 1:] - luma[..., :-1, :-1], luma[..., 1:, :-1] - luma[..., :-1, :-1]
    return (dx.square() + dy.square()).sqrt()


def detail_window(image: torch.Tensor, size: int) -> tuple[int, int]:
    """Top-left corner of the size x size window with the most fine detail (searched on an 8 px grid)."""
    size = min(size, *image.shape[-2:])
    energy = F.avg_pool2d(detail_map(image), size - 1, stride=8)
    row, col = divmod(int(energy.flatten().argmax()), energy.shape[-1])
    return row * 8, col * 8


def pick(paths: list[Path], lumas: list[float], how: str, count: int, details: list[float] | None = None,
         changes: list[float] | None = None) -> list[Path]:
    if how == "detailed":
        if details is None:
            raise ValueError("--pick detailed needs the photos' detail scores")
        return [paths[i] for i in sorted(range(len(paths)), key=lambda i: -details[i])[:count]]
    if how == "changed":
        if changes is None:
            raise ValueError("--pick changed needs the first method's changes")
        return [paths[i] for i in sorted(range(len(paths)), key=lambda i: -changes[i])[:count] if changes[i] > UNTOUCHED]
    order = sorted(range(len(paths)), key=lambda i: lumas[i])
    if how == "dark":
        chosen = order[:count]
    elif how == "bright":
        chosen = order[-count:]
    elif how == "median":
        middle = len(order) // 2
        chosen = order[middle - count // 2 : middle - count // 2 + count]
    else:
        raise ValueError(f"--pick: unknown choice {how!r} (dark, median, bright, detailed, changed)")
    return [paths[i] for i in chosen]


def window(cell: torch.Tensor, full_width: int, top: int, left: int, size: int) -> torch.Tensor:
    """The size x size window at (top, left) of the full-resolution photo, taken from a cell of any resolution (the
    small input of super-resolution) and shown at full resolution with nearest neighbour, so its pixels stay visible."""
    factor = full_width / cell.shape[-1]
    if factor == 1:
        return cell[..., top : top + size, left : left + size]
    row, col, side = round(top / factor), round(left / factor), max(1, round(size / factor))
    return F.interpolate(cell[..., row : row + side, col : col + side], size=(size, size), mode="nearest")


def method_label(method: str) -> str:
    """A column title: a model file's stem (sr4x_previous), a checkpoint's run and file, or the name as given."""
    path = Path(method)
    if path.suffix == ".ckpt" and len(path.parts) >= 4 and path.parts[-2] == "checkpoints":
        return f"{path.parts[-4]}/{path.stem}"  # runs/<name>/version_k/checkpoints/<file>
    return path.stem if path.suffix in (".ckpt", ".safetensors") else path.name


def label(image: Image.Image, text: str) -> Image.Image:
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 8 + 6 * len(text), 14), fill=(0, 0, 0))
    draw.text((4, 2), text, fill=(255, 255, 255))
    return image


STUDIO_SIDE = 384  # studio shots: the photo's centre square at this side, as in benchmarks/enhance_ood.py


def load(path: Path, studio_seed: int | None = None) -> torch.Tensor:
    """(1, 3, H, W) in [0, 1]; with a seed, the photo as a seeded studio shot."""
    if studio_seed is None:
        return to_tensor(read_rgb(path))[None].float().div(255)
    photo = decode(path, STUDIO_SIDE)[None].float().div(255)
    return studio_shot(photo, Draw(1, photo.device, torch.tensor([studio_seed])))


UNTOUCHED = 1e-10  # a mean squared change under this (over 100 dB PSNR) is float rounding: the photo was left alone


def changes(images: list[torch.Tensor], method: str, device: str = "cpu") -> list[float]:
    """Mean squared change (0-1 scale) that `method` makes to each photo as it is: the do-no-harm worst cases first
    with `--pick changed` (a photo it leaves alone, to float rounding, is never picked)."""
    restorer = load_restorer(method, device)
    return [float((restorer(x) - x).pow(2).mean()) for x in images]


def method_restorer(method: str, device: str = "cpu"):
    """A method of `--methods`: a model or baseline name, or `NAME xN` for the mean of N flipped copies (self-ensemble,
    as `evaluate --ensemble N` names its rows)."""
    name, copies = re.fullmatch(r"(.+?)(?: x([1248]))?", method).groups()
    restorer = load_restorer(name, device)
    return restorer if copies is None else restorer.with_copies(int(copies))


def sheet(photos: list[Path], methods: list[str], device: str = "cpu", degradation: str | None = None,
          crop: int | None = None, zoom: int = 1, studio: bool = False, crop_first: bool = False) -> Image.Image:
    restorers = [method_restorer(m, device) for m in methods]
    rows = []
    for index, path in enumerate(photos):
        clean = load(path, index if studio else None)
        if crop and crop_first:  # only the window goes through the methods
            top, left = detail_window(clean, crop)
            clean = clean[..., top : top + crop, left : left + crop]
        photo, mask = clean, None
        if degradation:  # seeded like evaluate's: the same damaged photo every time
            damaged = degrade(clean, degradation, seeds=torch.tensor([index]))
            photo, mask = damaged.image, damaged.mask
        cells = [(degradation or "photo", photo)]
        cells += [(method_label(m), r(photo, mask if r.use_mask or m == "diffusion_fill" else None)) for m, r in zip(methods, restorers)]
        if degradation:
            cells.append(("original", clean))
        if crop and not crop_first:  # the same window of every cell: the photo's most detailed one
            top, left = detail_window(clean, crop)
            cells = [(name, window(x, clean.shape[-1], top, left, crop)) for name, x in cells]
        if zoom > 1:
            cells = [(name, F.interpolate(x, scale_factor=zoom, mode="nearest")) for name, x in cells]
        rows.append([label(Image.fromarray((x[0].permute(1, 2, 0).clamp(0, 1) * 255).round().byte().numpy()), name)
                     for name, x in cells])
    gap = 4
    width = max(sum(c.width for c in row) + gap * (len(row) - 1) for row in rows)
    height = sum(max(c.height for c in row) for row in rows) + gap * (len(rows) - 1)
    canvas = Image.new("RGB", (width, height), (96, 96, 96))  # dark gaps: white photo borders stay visible
    top = 0
    for row in rows:
        left = 0
        for cell in row:
            canvas.paste(cell, (left, top))
            left += cell.width + gap
        top += max(c.height for c in row) + gap
    return canvas


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("../shared/data/grocery-store"))
    parser.add_argument("--split", default="test", help="train, val, test, or all (every image of the folder)")
    parser.add_argument("--studio", action="store_true", help="make each photo a seeded studio shot on white first")
    parser.add_argument("--methods", required=True, help="comma list of shipped models, checkpoints or baselines")
    parser.add_argument("--pick", default="dark,median",
                        help="comma list of dark, median, bright, detailed, changed (most changed by the first method)")
    parser.add_argument("--per-pick", type=int, default=3, help="photos per pick")
    parser.add_argument("--every", type=int, default=5, help="consider every k-th photo of the split (speed)")
    parser.add_argument("--degradation", help="degrade each photo first with this preset's seeded evaluation setting")
    parser.add_argument("--crop", type=int, help="show each photo's most detailed CROP x CROP window only")
    parser.add_argument("--crop-first", action="store_true",
                        help="cut the window before degrading and restoring (fast; local methods only)")
    parser.add_argument("--zoom", type=int, default=1, help="enlarge every cell by this factor (nearest neighbour)")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    paths = scan(args.data) if args.split == "all" else [r.path for r in list_split(args.data, args.split)]
    paths = paths[:: args.every]
    with torch.no_grad():
        images = [to_tensor(read_rgb(p))[None].float().div(255) for p in paths]
        lumas = [luma_mean(x).item() for x in images]
        details = [detail_map(x).mean().item() for x in images]
        changed = changes(images, args.methods.split(",")[0]) if "changed" in args.pick.split(",") else None
    photos = [p for how in args.pick.split(",") for p in pick(paths, lumas, how, args.per_pick, details, changed)]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    sheet(photos, args.methods.split(","), degradation=args.degradation, crop=args.crop, zoom=args.zoom,
          studio=args.studio, crop_first=args.crop_first).save(args.out)
    print(f"wrote {args.out}: {len(photos)} photos x {len(args.methods.split(','))} methods")
    for path in photos:
        print(f"  {path}")


if __name__ == "__main__":
    main()
