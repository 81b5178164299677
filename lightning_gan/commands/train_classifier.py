"""`lightning-gan train-classifier`: train the product-photo classifier whose features score generators (domain FID,
KID, GAN-test) and whose card ships beside its weights (`lightning_gan.evaluation.domain`).

    lightning-gan train-classifier --data ../shared/data/grocery-store [--label coarse] [--epochs 10]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from lightning_gan.files import TOOL_ERRORS, tool_error


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lightning-gan train-classifier", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, help="labelled photo folder (Grocery Store layout or class folders)")
    parser.add_argument("--out", type=Path, default=None, help="weights to write (.safetensors; the card goes beside "
                        "it as .json); default: the shipped classifier in lightning_gan/pretrained/domain")
    parser.add_argument("--label", choices=["coarse", "fine"], default="coarse", help="which classes to learn")
    parser.add_argument("--size", type=int, default=64, help="image side")
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--blocks", type=int, default=1, help="blocks per stage")
    parser.add_argument("--arch", choices=["resnet", "plain"], default="resnet",
                        help="residual blocks, or plain VGG-style ones (an independent second judge of generators)")
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache-dir", default=None, help="decode cache folder")
    parser.add_argument("--device", default="auto", help="cpu, cuda, or auto")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing classifier at --out")
    return parser


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    try:
        from lightning_gan.evaluation.domain import train

        card = train(args)
    except TOOL_ERRORS as error:
        return tool_error("train-classifier", error)
    print(f"wrote {args.out}: val accuracy {card['val_accuracy']:.3f}, test accuracy {card['test_accuracy']:.3f}")
    return 0
