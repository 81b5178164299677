"""`lightning-gan prepare SRC DST`: an image folder (or the Grocery Store layout) as LitData chunks for streaming.

    lightning-gan prepare ../shared/data/grocery-store data/grocery-256 --size 256
    lightning-gan fit --config eagan_enhance --data.root data/grocery-256      (or s3://bucket/grocery-256 once uploaded)
"""

from __future__ import annotations

import argparse

from lightning_gan.files import TOOL_ERRORS, check_number, tool_error


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lightning-gan prepare", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", help="image folder: Grocery Store layout (train/val/test, *.txt lists) or any folder")
    parser.add_argument("destination", help="new folder for the chunks and prepared.json (refused if it holds anything else)")
    parser.add_argument("--size", type=int, default=256,
                        help="side of the stored square images, short side resized and centre cropped (default 256); "
                             "train with --data.load_size at most this")
    parser.add_argument("--format", choices=("jpeg", "png", "webp"), default="jpeg", help="stored encoding (default jpeg)")
    parser.add_argument("--quality", type=int, default=95, help="JPEG/WebP quality, 1-100 (default 95)")
    parser.add_argument("--workers", type=int, default=None, help="parallel encoder processes (default: all cores)")
    parser.add_argument("--val-fraction", type=float, default=0.1, help="validation share of folders without splits")
    parser.add_argument("--test-fraction", type=float, default=0.1, help="test share of folders without splits")
    return parser


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    from lightning_gan.data.streaming import prepare

    try:
        check_number("--workers", args.workers, low=1)
        check_number("--val-fraction", args.val_fraction, low=0, below=1)
        check_number("--test-fraction", args.test_fraction, low=0, below=1 - args.val_fraction)
        prepare(args.source, args.destination, args.size, args.format, args.quality, args.workers,
                args.val_fraction, args.test_fraction)
    except TOOL_ERRORS as error:
        return tool_error("prepare", error)
    return 0
