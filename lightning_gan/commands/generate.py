"""`lightning-gan generate`: product images from the shipped `grocery` generator, or a DCGAN / conditional GAN
checkpoint of your own (its EMA generator).

    lightning-gan generate out/ --model grocery --label Banana -n 16
    lightning-gan generate out/ --model runs/cgan_generate/version_0/checkpoints/last.ckpt --grid
    lightning-gan generate out/ --model grocery --label Banana -n 8 --upscale sr4x-clean   (256 px)
    lightning-gan generate out/ --model grocery --label Banana --truncation 1.0   (more typical, less varied)

The same --seed gives the same images again (noise is drawn on the CPU). --grid writes one contact sheet instead
of single files; --interpolate writes a strip that walks between two latent points. Existing files are kept
unless --overwrite; files are written under a temporary name, then renamed.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from lightning_gan.files import TOOL_ERRORS, resolve_device, tool_error


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lightning-gan generate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("output", type=Path, help="output folder (created)")
    parser.add_argument("--model", required=True, help="shipped generator (grocery), exported .safetensors, or a "
                        "DCGAN / ConditionalGAN checkpoint (.ckpt)")
    parser.add_argument("-n", "--count", type=int, default=16, help="number of images (frames with --interpolate)")
    parser.add_argument("--label", help="class to generate (conditional models); default: the classes in turn")
    parser.add_argument("--seed", type=int, default=0, help="noise seed: the same seed gives the same images")
    parser.add_argument("--grid", action="store_true", help="write one contact sheet (grid.png) instead of single files")
    parser.add_argument("--interpolate", action="store_true", help="write a strip walking between two latent points")
    parser.add_argument("--truncation", type=float, default=None, metavar="T",
                        help="redraw noise values beyond +-T (the truncation trick): more typical, less varied "
                        "samples; e.g. 1.0 (default: none)")
    parser.add_argument("--upscale", metavar="MODEL", help="enlarge every sample with this super-resolution model "
                        "(sr4x-clean: 64 px samples become 256 px, catalogue size)")
    parser.add_argument("--device", default="auto", help="cpu, cuda, or auto")
    parser.add_argument("--overwrite", action="store_true", help="replace existing files")
    return parser


def run(args: argparse.Namespace) -> int:
    if args.count < 1:
        raise ValueError(f"--count must be at least 1, got {args.count}")
    from torchvision.utils import make_grid

    from lightning_gan.inference.generation import enlarged, images, labels_for, load_generator_model, save_png, upscaler

    device = resolve_device(args.device)
    model = load_generator_model(args.model, device)
    enlarge = upscaler(args.upscale, device) if args.upscale else None  # a bad name fails before any work
    labels = labels_for(model, args.label, args.count)
    batch = images(model, args.count, args.seed, labels, args.interpolate, args.truncation)
    if enlarge is not None:
        batch = enlarged(batch.cpu(), enlarge)
    if args.interpolate or args.grid:
        name = "interpolation.png" if args.interpolate else "grid.png"
        pictures = {name: make_grid(batch, nrow=args.count if args.interpolate else 8, padding=2)}
    else:
        classes = getattr(model, "classes", None)
        tag = (lambda i: f"{classes[int(labels[i])]}_") if classes else (lambda i: "")  # noqa: E731
        pictures = {f"{tag(i)}{args.seed}_{i:04d}.png": image for i, image in enumerate(batch)}
    existing = [name for name in pictures if (args.output / name).exists()]
    if existing and not args.overwrite:
        raise FileExistsError(f"{args.output / existing[0]} exists ({len(existing)} file(s) in all); "
                              "use --overwrite, another --seed or another folder")
    args.output.mkdir(parents=True, exist_ok=True)
    for name, image in pictures.items():
        save_png(image, args.output / name)
    print(f"wrote {len(pictures)} file(s) to {args.output}")
    return 0


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    try:
        return run(args)
    except TOOL_ERRORS as error:
        return tool_error("generate", error)
