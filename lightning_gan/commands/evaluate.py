"""`lightning-gan evaluate`: score models and classical baselines on the same seeded degraded photos.

    lightning-gan evaluate --model denoise --data ../shared/data/grocery-store --degradation noise --baselines all

Whole images (not crops), each degraded with the preset's fixed evaluation setting and its own seed. PSNR and SSIM
on RGB in [0, 1]; for super-resolution also on the Y channel (BT.601) with a border of `scale` pixels cropped, the
protocol of the SR papers; LPIPS when its backbone weights are in the torch hub cache. Writes a JSON file (with each
photo's PSNR by method, `photos`, Y for super-resolution: which photos a change moved), prints a Markdown table, and
saves a PNG of the worst and best case of the first model.

`--degradation none` feeds the clean photos themselves: the do-no-harm check (a good photo should come out nearly
unchanged). `--no-reference` needs no clean photos at all, for a shop's own pictures: per method the mean luma change,
the detail ratio (variance of the Laplacian of luma, output over input; below 1 = detail lost) and the colour-cast
change (distance between the rg-chromaticities of the mean colour of output and input; 0 for a pure brightness gain),
new clipping (percentage points of pixels with a channel at 255, output minus input) and the share of pixels at
black (luma <= 2/255, output):

    lightning-gan evaluate --no-reference --data my_photos/ --model enhance --baselines clahe,auto_contrast
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from lightning_gan.files import TILE, TOOL_ERRORS, atomic_path, tool_error

SAMPLE = "the embedded sample"  # --data's default; the photos themselves load with the evaluation


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lightning-gan evaluate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", action="append", default=[], help="checkpoint, shipped model or baseline name (repeatable)")
    parser.add_argument("--data", type=Path, default=None, help=f"image folder (default: {SAMPLE})")
    parser.add_argument("--split", default="test", choices=["train", "val", "test"], help="split of a folder that has splits")
    parser.add_argument("--degradation", help="a degradation preset, e.g. noise, camera_noise, jpeg, downscale4, lowlight, "
                        "none (the do-no-harm check); a wrong name lists them all (required unless --no-reference)")
    parser.add_argument("--no-reference", action="store_true",
                        help="score what each method does to the photos, without clean references: luma change, detail ratio, "
                             "colour cast (with --degradation: to the degraded photos)")
    parser.add_argument("--baselines", default="", help="'all' (those that fit the task) or a comma list")
    parser.add_argument("--strength", type=float, default=1.0, help="noise-level-aware --model(s): scale of the estimated "
                        "noise level, as `enhance --strength` (the rows are named MODEL@S when S is not 1)")
    parser.add_argument("--ensemble", type=int, default=1, choices=[1, 2, 4, 8],
                        help="--model(s): flipped copies averaged (self-ensemble; the rows are named MODEL xN)")
    parser.add_argument("--every", type=int, default=1, help="use every k-th image of the split (a fixed subset)")
    parser.add_argument("--limit", type=int, default=None, help="use at most this many images")
    parser.add_argument("--eval-seed", type=int, default=0, help="seed of the evaluation degradations")
    parser.add_argument("--device", default="auto", help="cpu, cuda, or auto")
    parser.add_argument("--tile", type=int, default=TILE, help=f"tile side for large images (default {TILE})")
    parser.add_argument("--out", type=Path, default=Path("results.json"), help="JSON output (not overwritten without --overwrite)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --out file")
    parser.add_argument("--wandb", default=os.environ.get("WANDB_MODE", "offline"), choices=["offline", "online", "disabled"],
                        help="log the table as a W&B run (job_type eval) beside --out; default $WANDB_MODE or offline")
    parser.add_argument("--wandb-project", default="lightning-gan", help="W&B project")
    return parser


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    try:
        from lightning_gan.evaluation.restoration import evaluate, log_to_wandb, markdown, save_cases

        result = evaluate(args)
    except TOOL_ERRORS as error:
        return tool_error("evaluate", error)
    cases = result.pop("_cases")
    if result["skipped"]:
        print(f"skipped {len(result['skipped'])} image(s):\n  " + "\n  ".join(result["skipped"]), file=sys.stderr)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    picture = args.out.with_name(args.out.stem + "_worst_best.png")
    save_cases(cases, picture)
    result["cases"] = {"worst": min(cases, key=lambda c: c[0])[4], "best": max(cases, key=lambda c: c[0])[4], "png": str(picture)}
    with atomic_path(args.out) as temporary:
        temporary.write_text(json.dumps(result, indent=2))
    print(markdown(result))
    print(f"\nwrote {args.out} and {picture}")
    log_to_wandb(result, args)
    return 0
