"""`lightning-gan fix`: one command for a folder of shop photos. Each photo is analysed without a reference, then only
the stages it needs run (JPEG repair, exposure, noise, upscaling), each one undone when a no-reference check finds
that it did harm (`lightning_gan.inference.autofix`). Good photos come out as they went in. Prints what was found, done and
skipped per photo; `--report` writes it as JSON; `--plan-only` analyses and writes no image.

Files are handled as by `enhance`: format, EXIF, ICC profile and alpha kept; never writes into the input folder;
never overwrites without --overwrite; writes to a temporary name, then renames.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from lightning_gan.files import OVERLAP, TILE, TOOL_ERRORS, atomic_path, check_number, check_tiles, resolve_device, tool_error

if TYPE_CHECKING:  # torch, numpy and Pillow are imported when a photo is processed: `--help` starts at once
    from lightning_gan.inference.autofix import FixReport


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lightning-gan fix", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("input", type=Path, help="an image file or a folder (searched recursively)")
    parser.add_argument("output", type=Path, nargs="?", help="output folder (created; not inside the input folder); "
                        "not needed with --plan-only")
    parser.add_argument("--min-size", type=int, default=None,
                        help="enlarge photos whose short side is under this many pixels (up to x4); default: no upscaling")
    parser.add_argument("--ensemble", type=int, default=None, choices=[1, 2, 4, 8],
                        help="flipped copies averaged in denoising, JPEG repair and upscaling (self-ensemble; this many "
                             "times the model time); default: 4 for photos of 0.5 MP or less that are enlarged, else 1")
    parser.add_argument("--report", type=Path, help="write what was found, done and skipped per photo as JSON")
    parser.add_argument("--plan-only", action="store_true", help="analyse and print the plans; write no image")
    parser.add_argument("--device", default="auto", help="cpu, cuda, cuda:1, or auto (GPU when present)")
    parser.add_argument("--tile", type=int, default=TILE, help=f"tile side in input pixels (memory bound; default {TILE})")
    parser.add_argument("--overlap", type=int, default=OVERLAP, help=f"tile overlap in input pixels (default {OVERLAP})")
    parser.add_argument("--overwrite", action="store_true", help="replace existing output files (and --report)")
    parser.add_argument("--ext", default="auto", choices=["auto", "jpg", "png", "webp"], help="output format (auto: the input's own)")
    parser.add_argument("--quality", type=int, default=95, help="JPEG / WebP quality, 1-100")
    parser.add_argument("--suffix", default="", help="appended to each output name, e.g. _fixed")
    parser.add_argument("--max-megapixels", type=float, default=50.0,
                        help="larger photos are skipped with a message before they are decoded")
    return parser


def table(reports: dict[str, FixReport]) -> str:
    """Per photo: what was done, what was found, and each stage's reason (done, planned or skipped)."""
    lines = []
    for name, report in reports.items():
        lines += [f"{name}: {report.summary()}", f"    found: {report.found_text()}"]
        lines += [f"    {'plan' if s.planned else 'done' if s.done else 'skip'} {s.stage}: {s.why}" for s in report.steps]
        lines += [f"    note: {note}" for note in report.found.get("notes", [])]
    return "\n".join(lines)


def check_options(args: argparse.Namespace) -> None:
    check_tiles(args.tile, args.overlap)
    check_number("--max-megapixels", args.max_megapixels, low=1e-6)
    check_number("--min-size", args.min_size, low=1, high=100_000)
    if not 1 <= args.quality <= 100:
        raise ValueError(f"--quality must be between 1 and 100, got {args.quality}")
    if "/" in args.suffix or "\\" in args.suffix:
        raise ValueError(f"--suffix {args.suffix!r} must not contain a path separator")
    if args.output is None and not args.plan_only:
        raise ValueError("give an output folder (or --plan-only to see the plans without writing images)")
    if args.report is not None and args.report.exists() and not args.overwrite:
        raise FileExistsError(f"--report {args.report} exists; use --overwrite to replace it")


def run(args: argparse.Namespace) -> int:
    from lightning_gan.inference.autofix import Fixer

    check_options(args)
    fixer = Fixer(resolve_device(args.device), args.min_size, tile=args.tile, overlap=args.overlap,
                  ensemble=args.ensemble)
    reports: dict[str, FixReport] = {}
    if args.plan_only:
        code = plan_only(args, fixer, reports)
    else:
        code = fix_files(args, fixer, reports)
    print(table(reports))
    if args.report is not None:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(args.report, args.overwrite) as partial:
            partial.write_text(json.dumps({name: r.as_dict() for name, r in reports.items()}, indent=1))
        print(f"report: {args.report}")
    return code


def fix_files(args: argparse.Namespace, fixer, reports: dict[str, FixReport]) -> int:
    from lightning_gan.data.images import IMAGE_SUFFIXES
    from lightning_gan.inference.autofix import file_quality, fix_rgb
    from lightning_gan.inference.photos import plan, process_files, renamed, unsupported_files

    jobs = [(source, renamed(target, args.ext, args.suffix)) for source, target in plan(args.input, args.output)]
    unsupported = unsupported_files(args.input)
    if not jobs:
        raise ValueError(f"no images in {args.input}" + (f" ({len(unsupported)} file(s) of unsupported formats)" if unsupported else ""))

    def convert(source: Path, rgb):
        array, reports[str(source)] = fix_rgb(fixer, rgb, file_quality(source))
        return array

    report = process_files(jobs, convert, args.overwrite, "fix", max_pixels=args.max_megapixels * 1e6, quality=args.quality)
    report.skipped += [f"{p}: unsupported format (use {', '.join(sorted(IMAGE_SUFFIXES))})" for p in unsupported]
    return report.print(args.output)


def plan_only(args: argparse.Namespace, fixer, reports: dict[str, FixReport]) -> int:
    import numpy as np
    import torch

    from lightning_gan.data.images import scan
    from lightning_gan.inference.autofix import file_quality
    from lightning_gan.inference.photos import read_image, too_large

    if not args.input.exists():
        raise FileNotFoundError(f"input not found: {args.input}")
    sources = scan(args.input) if args.input.is_dir() else [args.input]
    if not sources:
        raise ValueError(f"no images in {args.input}")
    failed = 0
    for source in sources:
        try:
            refused = too_large(source, args.max_megapixels * 1e6)
            if refused:
                raise ValueError(refused)
            rgb, _ = read_image(source)
            photo = torch.from_numpy(np.asarray(rgb).copy()).permute(2, 0, 1).float() / 255
            reports[str(source)] = fixer.fix(photo, file_quality(source), plan_only=True)[1]
        except (OSError, ValueError) as error:
            print(f"failed {source}: {error}")
            failed += 1
    return 1 if failed else 0


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    try:
        return run(args)
    except TOOL_ERRORS as error:
        return tool_error("fix", error)
