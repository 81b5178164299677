"""`lightning-gan translate`: turn photos into the other domain of a CycleGAN checkpoint (e.g. store -> catalogue).

    lightning-gan translate --model runs/cyclegan_catalog/version_0/checkpoints/best-step*.ckpt photos/ catalogue/

Each photo is resized so its shorter side is --size (default: the side the model trained at; 0 = full resolution,
tiled), translated, and resized back, so the output has the input's size, format, EXIF and alpha. The same
file rules as `enhance`: never into the input folder, no overwrite without --overwrite, bad files skipped and listed.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from lightning_gan.files import OVERLAP, TILE, TOOL_ERRORS, check_number, check_tiles, resolve_device, tool_error
from lightning_gan.inference import ModelError, Restorer, load_checkpoint_model
from lightning_gan.nets.io import pad_to_multiple, to_signed, to_unit
from lightning_gan.photos import plan, process_files, restore_rgb


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lightning-gan translate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("input", type=Path, help="an image file or a folder (searched recursively)")
    parser.add_argument("output", type=Path, help="output folder (created; must not be inside the input folder)")
    parser.add_argument("--model", type=Path, required=True, help="CycleGAN checkpoint (.ckpt)")
    parser.add_argument("--direction", default="a2b", choices=["a2b", "b2a"], help="a2b: domain A to B (store -> catalogue)")
    parser.add_argument("--size", type=int, default=None, help="shorter side to translate at (default: training size; 0 = full)")
    parser.add_argument("--device", default="auto", help="cpu, cuda, or auto")
    parser.add_argument("--tile", type=int, default=TILE, help=f"tile side for large images (default {TILE})")
    parser.add_argument("--overlap", type=int, default=OVERLAP, help=f"tile overlap (default {OVERLAP})")
    parser.add_argument("--overwrite", action="store_true", help="replace existing output files")
    return parser


def load_translator(path: Path, direction: str, device: str) -> tuple[Restorer, int]:
    """The checkpoint's (EMA) generator for `direction` as a Restorer, and the side it trained at."""
    if not path.is_file():
        from lightning_gan.inference import pretrained_names

        if str(path) in pretrained_names():
            raise ModelError(f"--model {path}: a shipped enhancement or generation model, not a translator; translate "
                             "needs a CycleGAN checkpoint (.ckpt), e.g. from make train EXP=cyclegan_catalog")
        raise FileNotFoundError(f"--model: checkpoint not found: {path}")
    model = load_checkpoint_model(path)
    if not callable(getattr(model, "translator", None)):
        raise ModelError(f"{path} holds a {type(model).__name__}; translate needs a CycleGAN checkpoint")
    model = model.to(device).eval()
    generator = model.translator(direction)

    def run(x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        height, width = x.shape[-2:]
        return to_unit(generator(to_signed(pad_to_multiple(x, generator.size_multiple))))[..., :height, :width]

    return Restorer(f"cyclegan-{direction}", run, 1, False, torch.device(device)), int(model.hparams.image_size)


def translate_rgb(translator: Restorer, rgb: Image.Image, size: int, tile: int, overlap: int) -> np.ndarray:
    """Translate at shorter side `size` (0 = as is) and return the result at the input's size."""
    working = rgb
    if size and min(rgb.size) != size:
        scale = size / min(rgb.size)
        working = rgb.resize((max(1, round(rgb.width * scale)), max(1, round(rgb.height * scale))), Image.Resampling.LANCZOS)
    array = restore_rgb(translator, working, None, tile, overlap)
    if working.size != rgb.size:
        array = np.asarray(Image.fromarray(array).resize(rgb.size, Image.Resampling.BICUBIC))
    return array


def run(args: argparse.Namespace) -> int:
    check_number("--size", args.size, low=0)
    check_tiles(args.tile, args.overlap)
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
