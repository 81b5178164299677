"""`lightning-gan enhance`: restore one photo or a folder of photos into an output folder.

Keeps each file's format, EXIF (orientation applied, so the tag is reset) and alpha channel; never writes into
the input folder; never overwrites without --overwrite; writes to a temporary name, then renames.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from lightning_gan.files import OVERLAP, TILE, TOOL_ERRORS, check_number, check_tiles, resolve_device, tool_error

if TYPE_CHECKING:  # torch, numpy and Pillow load when a photo is processed: `--help` starts at once
    import numpy as np
    from PIL import Image


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
    parser.add_argument("--ensemble", type=int, default=1, choices=[1, 2, 4, 8],
                        help="flipped / transposed copies averaged (self-ensemble, Lim et al. 2017), this many times "
                             "the time; for denoise at sigma 25 on Grocery val +0.24 dB with 4, +0.28 with 8 (default 1)")
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


def check_numbers(args: argparse.Namespace) -> None:
    """Every numeric option finite and in range, before any model is loaded (NaN passes every `<` test)."""
    check_number("--strength", args.strength, low=0)
    check_tiles(args.tile, args.overlap)
    check_number("--max-megapixels", args.max_megapixels, low=1e-6)
    check_number("--outscale", args.outscale, low=1e-3, high=16)


def run(args: argparse.Namespace) -> int:
    from lightning_gan.data.images import IMAGE_SUFFIXES
    from lightning_gan.inference import load_restorer
    from lightning_gan.inference.photos import load_mask, plan, process_files, renamed, rescale, restore_rgb, unsupported_files

    check_numbers(args)
    device = resolve_device(args.device)
    restorer = load_restorer(args.model, device, args.strength, args.half)
    if args.ensemble != 1:
        restorer = replace(restorer, ensemble=args.ensemble)  # refused, naming the model, for whole-photo operators
    if restorer.use_mask and args.mask is None:
        raise ValueError(f"{args.model} inpaints: give the area to fill with --mask (an image, or a folder of masks)")
    if not 1 <= args.quality <= 100:
        raise ValueError(f"--quality must be between 1 and 100, got {args.quality}")
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

    report = process_files(jobs, convert, args.overwrite, f"enhance ({restorer.name})", max_pixels=args.max_megapixels * 1e6,
                           quality=args.quality)
    report.skipped += [f"{p}: unsupported format (use {', '.join(sorted(IMAGE_SUFFIXES))})" for p in unsupported]
    return report.print(args.output)


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    try:
        return run(args)
    except TOOL_ERRORS as error:
        return tool_error("enhance", error)
