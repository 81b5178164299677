"""`lightning-gan translate`: turn photos into the other domain of a CycleGAN checkpoint (e.g. store -> catalogue).

    lightning-gan translate --model runs/cyclegan_catalog/version_0/checkpoints/best-step*.ckpt photos/ catalogue/

Each photo is resized so its shorter side is --size (default: the side the model trained at; 0 = full resolution,
tiled), translated, and resized back, so the output has the input's size, format, EXIF and alpha. The same
file rules as `enhance`: never into the input folder, no overwrite without --overwrite, bad files skipped and listed.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from lightning_gan.files import OVERLAP, TILE, TOOL_ERRORS, check_number, check_tiles, resolve_device, tool_error


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lightning-gan translate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("input", type=Path, help="an image file or a folder (searched recursively)")
    parser.add_argument("output", type=Path, help="output folder (created; must not be inside the input folder)")
    parser.add_argument("--model", type=Path, required=True, help="CycleGAN checkpoint (.ckpt) or exported .safetensors")
    parser.add_argument("--direction", default="a2b", choices=["a2b", "b2a"], help="a2b: domain A to B (store -> catalogue)")
    parser.add_argument("--size", type=int, default=None, help="shorter side to translate at (default: training size; 0 = full)")
    parser.add_argument("--device", default="auto", help="cpu, cuda, or auto")
    parser.add_argument("--tile", type=int, default=TILE, help=f"tile side for large images (default {TILE})")
    parser.add_argument("--overlap", type=int, default=OVERLAP, help=f"tile overlap (default {OVERLAP})")
    parser.add_argument("--overwrite", action="store_true", help="replace existing output files")
    return parser


def run(args: argparse.Namespace) -> int:
    check_number("--size", args.size, low=0)
    check_tiles(args.tile, args.overlap)
    from lightning_gan.inference.photos import plan, process_files
    from lightning_gan.inference.translation import load_translator, translate_rgb

    device = resolve_device(args.device)
    translator, trained_size = load_translator(args.model, args.direction, device)
    size = trained_size if args.size is None else args.size
    jobs = plan(args.input, args.output)
    if not jobs:
        raise ValueError(f"no images in {args.input}")
    convert = lambda source, rgb: translate_rgb(translator, rgb, size, args.tile, args.overlap)  # noqa: E731
    return process_files(jobs, convert, args.overwrite, f"translate ({args.direction})").print(args.output)


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    try:
        return run(args)
    except TOOL_ERRORS as error:
        return tool_error("translate", error)
