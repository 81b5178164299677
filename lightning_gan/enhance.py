"""`lightning-gan enhance`: restore one photo or a folder of photos into an output folder.

Keeps each file's format, EXIF (orientation applied, so the tag is reset) and alpha channel; never writes into
the input folder; never overwrites without --overwrite; writes to a temporary name, then renames.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps
from tqdm import tqdm

from lightning_gan.data.images import IMAGE_SUFFIXES, scan, to_rgb
from lightning_gan.files import OVERLAP, TILE, atomic_path, resolve_device
from lightning_gan.inference import ModelError, Restorer, load_restorer

SAVE_FORMAT = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".webp": "WEBP", ".bmp": "BMP"}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lightning-gan enhance", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("input", type=Path, help="an image file or a folder (searched recursively)")
    parser.add_argument("output", type=Path, help="output folder (created; must not be inside the input folder)")
    parser.add_argument("--model", required=True, help="checkpoint path, shipped model name, or baseline name")
    parser.add_argument("--mask", type=Path, help="inpainting mask: an image (white = fill) or a folder of masks "
                        "with the same relative names as the inputs")
    parser.add_argument("--device", default="auto", help="cpu, cuda, cuda:1, or auto (GPU when present)")
    parser.add_argument("--strength", type=float, default=1.0,
                        help="noise-level-aware denoisers: scale of the estimated noise level (0.5 keeps more grain, 2 removes more)")
    parser.add_argument("--half", action=argparse.BooleanOptionalAction, default=None,
                        help="fp16 network (default: on CUDA only; --no-half for fp32 there)")
    parser.add_argument("--tile", type=int, default=TILE, help=f"tile side in input pixels (memory bound; default {TILE})")
    parser.add_argument("--overlap", type=int, default=OVERLAP, help=f"tile overlap in input pixels (default {OVERLAP})")
    parser.add_argument("--overwrite", action="store_true", help="replace existing output files")
    parser.add_argument("--ext", default="auto", choices=["auto", "jpg", "png", "webp"],
                        help="output format (auto: the input's own)")
    parser.add_argument("--quality", type=int, default=95, help="JPEG / WebP quality, 1-100")
    parser.add_argument("--suffix", default="", help="appended to each output name, e.g. _enhanced")
    parser.add_argument("--outscale", type=float, default=None,
                        help="final size relative to the input (e.g. 2 with an x4 model; 4 with --model bicubic); "
                             "default: the model's own scale")
    parser.add_argument("--max-megapixels", type=float, default=50.0,
                        help="larger photos are skipped with a message before they are decoded (memory: about 60 bytes "
                             "per pixel on the CPU; raise it on a machine with the memory)")
    return parser


@dataclass
class Meta:
    """What a photo carries beside its RGB pixels, kept in the output: alpha, EXIF, ICC colour profile, mode."""

    alpha: Image.Image | None = None
    exif: bytes | None = None
    icc: bytes | None = None
    mode: str = "RGB"


def read_image(path: Path) -> tuple[Image.Image, Meta]:
    """RGB pixels (EXIF orientation applied) and what else the file carries (`Meta`)."""
    with Image.open(path) as image:
        image.load()
        meta = Meta(exif=image.info.get("exif"), icc=image.info.get("icc_profile"), mode=image.mode)
        upright = ImageOps.exif_transpose(image)
        if upright.mode in ("RGBA", "LA", "PA"):
            meta.alpha = upright.getchannel("A")
        elif "transparency" in upright.info:
            meta.alpha = upright.convert("RGBA").getchannel("A")
        return to_rgb(upright), meta


def _reset_orientation(exif_bytes: bytes | None) -> bytes | None:
    if not exif_bytes:
        return None
    exif = Image.Exif()
    exif.load(exif_bytes)
    exif[0x0112] = 1  # pixels are stored upright now
    return exif.tobytes()


def write_image(path: Path, rgb: np.ndarray, meta: Meta | None = None, quality: int = 95) -> None:
    """Save atomically in the format of the file name, with alpha, EXIF and the ICC profile when the format takes
    them (a photo that loses its profile changes colour in colour-managed viewers)."""
    meta = meta or Meta()
    image = Image.fromarray(rgb, "RGB")
    if meta.mode in ("L", "LA", "I", "I;16"):
        image = image.convert("L")
    if meta.alpha is not None:
        image.putalpha(meta.alpha.resize(image.size, Image.Resampling.BICUBIC))
    fmt = SAVE_FORMAT[path.suffix.lower()]
    if fmt == "JPEG" and image.mode in ("RGBA", "LA"):
        image = image.convert("RGB" if image.mode == "RGBA" else "L")  # JPEG has no alpha
    options = {"quality": quality} if fmt in ("JPEG", "WEBP") else {}
    exif = _reset_orientation(meta.exif)
    if exif and fmt in ("JPEG", "PNG", "WEBP"):
        options["exif"] = exif
    if meta.icc and fmt in ("JPEG", "PNG", "WEBP") and image.mode in ("RGB", "RGBA"):
        options["icc_profile"] = meta.icc
    with atomic_path(path) as temporary:
        image.save(temporary, format=fmt, **options)


def _inside(child: Path, parent: Path) -> bool:
    try:
        child.resolve().relative_to(parent.resolve())
        return True
    except ValueError:
        return False


def plan(input_path: Path, output: Path) -> list[tuple[Path, Path]]:
    """(source, destination) pairs; refuses to write into the input folder."""
    if not input_path.exists():
        raise FileNotFoundError(f"input not found: {input_path}")
    if input_path.is_dir():
        if _inside(output, input_path):
            raise ValueError(f"output folder {output} is inside the input folder {input_path}; choose another")
        return [(p, output / p.relative_to(input_path)) for p in scan(input_path)]
    if input_path.suffix.lower() not in IMAGE_SUFFIXES:
        raise ValueError(f"{input_path} is not a supported image ({', '.join(sorted(IMAGE_SUFFIXES))})")
    if output.resolve() == input_path.parent.resolve():
        raise ValueError(f"output folder {output} is the input's own folder; choose another")
    return [(input_path, output / input_path.name)]


def load_mask(mask: Path | None, source: Path, input_root: Path, size: tuple[int, int]) -> torch.Tensor | None:
    if mask is None:
        return None
    path = mask / source.relative_to(input_root) if mask.is_dir() else mask
    if not path.is_file():
        raise FileNotFoundError(f"no mask for {source}: {path} not found")
    with Image.open(path) as image:
        gray = ImageOps.exif_transpose(image).convert("L")
    if gray.size != size:
        raise ValueError(f"mask {path} is {gray.size[0]}x{gray.size[1]} but {source} is {size[0]}x{size[1]}")
    return (torch.from_numpy(np.asarray(gray).copy()) > 127).float()[None, None]


def restore_rgb(restorer: Restorer, rgb: Image.Image, mask: torch.Tensor | None, tile: int, overlap: int) -> np.ndarray:
    """An RGB photo through a restorer, as uint8 (the Python API's array path: `lightning_gan.api.Model`)."""
    from lightning_gan.api import Model

    return Model(restorer, tile, overlap)(np.asarray(rgb), mask)


@dataclass
class Report:
    """What a batch of files came to: written targets, existing targets left alone, failures with their reason."""

    written: list[Path] = field(default_factory=list)
    existing: list[Path] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def print(self, output: Path) -> int:
        print(f"wrote {len(self.written)} image(s) to {output}")
        if self.existing:
            print(f"kept {len(self.existing)} existing file(s) (use --overwrite to replace), e.g. {self.existing[0]}")
        if self.failed:
            print(f"skipped {len(self.failed)} file(s):\n  " + "\n  ".join(self.failed), file=sys.stderr)
        return 1 if self.failed and not self.written else 0


def too_large(path: Path, max_pixels: float | None) -> str | None:
    """Why `path` is refused for its size (read from the header, nothing decoded), or None."""
    if max_pixels is None:
        return None
    with Image.open(path) as image:
        pixels = image.width * image.height
    if pixels > max_pixels:
        return f"{pixels / 1e6:.1f} megapixels is over the limit of {max_pixels / 1e6:g} (--max-megapixels)"
    return None


def process_files(jobs: list[tuple[Path, Path]], convert: Callable[[Path, Image.Image], np.ndarray], overwrite: bool,
                  desc: str, progress: Callable[[int, int], None] | None = None, max_pixels: float | None = None,
                  quality: int = 95) -> Report:
    """Run `convert(source, rgb) -> uint8 array` over (source, target) pairs, keeping alpha, EXIF and format.

    Existing targets are kept unless `overwrite`; unreadable files are skipped and reported. `progress(done, total)`
    is called after each file (the web app's progress bar); the terminal gets a tqdm bar."""
    report = Report()
    for done, (source, target) in enumerate(tqdm(jobs, desc=desc, unit="img", disable=progress is not None), start=1):
        if target.exists() and not overwrite:
            report.existing.append(target)
            continue
        try:
            refused = too_large(source, max_pixels)
            if refused:
                raise ValueError(refused)
            rgb, meta = read_image(source)  # decoded once
            array = convert(source, rgb)
            target.parent.mkdir(parents=True, exist_ok=True)
            write_image(target, array, meta, quality)
            report.written.append(target)
        except (OSError, ValueError, Image.DecompressionBombError, SyntaxError) as error:
            report.failed.append(f"{source}: {error}")
        if progress is not None:
            progress(done, len(jobs))
    return report


def run(args: argparse.Namespace) -> int:
    device = resolve_device(args.device)
    restorer = load_restorer(args.model, device, args.strength, args.half)
    if restorer.use_mask and args.mask is None:
        raise ValueError(f"{args.model} inpaints: give the area to fill with --mask (an image, or a folder of masks)")
    if not 1 <= args.quality <= 100:
        raise ValueError(f"--quality must be between 1 and 100, got {args.quality}")
    if args.outscale is not None and not 0 < args.outscale <= 16:
        raise ValueError(f"--outscale must be in (0, 16], got {args.outscale}")
    if "/" in args.suffix or "\\" in args.suffix:
        raise ValueError(f"--suffix {args.suffix!r} must not contain a path separator")
    input_root = args.input if args.input.is_dir() else args.input.parent
    jobs = [(source, renamed(target, args.ext, args.suffix)) for source, target in plan(args.input, args.output)]
    unsupported = unsupported_files(args.input)
    if not jobs:
        raise ValueError(f"no images in {args.input}" + (f" ({len(unsupported)} file(s) of unsupported formats)" if unsupported else ""))

    def convert(source: Path, rgb: Image.Image) -> np.ndarray:
        mask = load_mask(args.mask, source, input_root, rgb.size)  # checked against the decoded size
        array = restore_rgb(restorer, rgb, mask, args.tile, args.overlap)
        return array if args.outscale is None else rescale(array, rgb.size, args.outscale)

    if args.max_megapixels <= 0:
        raise ValueError(f"--max-megapixels must be positive, got {args.max_megapixels}")
    report = process_files(jobs, convert, args.overwrite, f"enhance ({restorer.name})", max_pixels=args.max_megapixels * 1e6,
                           quality=args.quality)
    report.failed += [f"{p}: unsupported format (use {', '.join(sorted(IMAGE_SUFFIXES))})" for p in unsupported]
    return report.print(args.output)


def renamed(target: Path, ext: str, suffix: str) -> Path:
    """The output name: the input's, plus `suffix`, with extension `ext` (auto: the input's)."""
    extension = target.suffix if ext == "auto" else f".{ext}"
    return target.with_name(f"{target.stem}{suffix}{extension}")


def rescale(array: np.ndarray, input_size: tuple[int, int], outscale: float) -> np.ndarray:
    """Resize a result to `outscale` x the input's size (Lanczos), as Real-ESRGAN's --outscale does."""
    size = (max(1, round(input_size[0] * outscale)), max(1, round(input_size[1] * outscale)))
    if (array.shape[1], array.shape[0]) == size:
        return array
    return np.asarray(Image.fromarray(array).resize(size, Image.Resampling.LANCZOS))


def unsupported_files(input_path: Path) -> list[Path]:
    """Files of a folder that are not images of a supported format (listed as skipped, never silently dropped)."""
    if not input_path.is_dir():
        return []
    return sorted(p for p in input_path.rglob("*") if p.is_file() and not p.name.startswith(".")
                  and p.suffix.lower() not in IMAGE_SUFFIXES)


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    try:
        return run(args)
    except (ModelError, ValueError, FileNotFoundError) as error:
        print(f"lightning-gan enhance: error: {error}", file=sys.stderr)
        return 2
