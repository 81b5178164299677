"""x2 enlargement of small JPEG files, quality by quality: which x2 model `fix` should give a JPEG of each quality.

    python benchmarks/jpeg_sr_bench.py --model sr2x --model sr2x-jpeg --out results/jpeg_sr_bench.json

Kodak24 (../shared/data/benchmarks; 768 x 512, never used in training) halved with Pillow's antialiased bicubic and
saved as a JPEG (Pillow, 4:2:0) at each `--qualities`, then enlarged x2 by each model (its own JPEG repair first when
it has one) and by bicubic: RGB and Y (BT.601) PSNR against the original, and on how many photos each model beats
the first one. `fix` sends a JPEG of quality 90 or less to `sr2x-jpeg` (`autofix.UPSCALE_X2_JPEG`): this table is
the check that the model does no worse than `sr2x` at every quality it gets.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from lightning_gan.data.images import thumbnail
from lightning_gan.evaluation.scores import luma
from lightning_gan.inference import load_restorer
from lightning_gan.inference.autofix import psnr

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def to_tensor(image: Image.Image) -> torch.Tensor:
    return torch.from_numpy(np.asarray(image.convert("RGB")).copy()).permute(2, 0, 1).float() / 255


def small_jpeg(image: Image.Image, quality: int) -> torch.Tensor:
    """`image` halved and saved as a JPEG of `quality`, decoded: (3, H/2, W/2) in [0, 1]."""
    return to_tensor(thumbnail(image, 2, quality))


def scores(out: torch.Tensor, x: torch.Tensor) -> dict[str, float]:
    """RGB PSNR and Y PSNR (a 2 px border cropped, the SR protocol at x2) of (3, H, W) `out` against `x`."""
    y_out, y_x = (luma(t[None])[..., 2:-2, 2:-2] for t in (out.clamp(0, 1), x))
    return {"psnr": psnr(out.clamp(0, 1), x), "psnr_y": float(10 * torch.log10(1 / F.mse_loss(y_out, y_x)))}


def run(photos: list[tuple[str, Image.Image]], models: dict, qualities: list[int]) -> dict:
    """{quality: {method: {"psnr", "psnr_y", "photos": per-photo RGB PSNR}}} with bicubic as a method."""
    table: dict = {}
    for quality in qualities:
        rows: dict = {name: [] for name in ("bicubic", *models)}
        for _, image in photos:
            x, small = to_tensor(image), small_jpeg(image, quality)
            size = (small.shape[1] * 2, small.shape[2] * 2)
            x = x[:, : size[0], : size[1]]
            rows["bicubic"].append(scores(F.interpolate(small[None], size=size, mode="bicubic", align_corners=False)[0], x))
            with torch.no_grad():
                for name, restorer in models.items():
                    rows[name].append(scores(restorer(small[None])[0].cpu(), x))
        table[quality] = {name: {"psnr": statistics.fmean(r["psnr"] for r in rs),
                                 "psnr_y": statistics.fmean(r["psnr_y"] for r in rs),
                                 "photos": [r["psnr"] for r in rs]} for name, rs in rows.items()}
        print(f"quality {quality}: " + ", ".join(f"{k} {v['psnr']:.2f}" for k, v in table[quality].items()),
              file=sys.stderr, flush=True)
    return table


def markdown(table: dict, first: str) -> list[str]:
    methods = list(next(iter(table.values())))
    lines = ["| quality | " + " | ".join(methods) + f" | photos better than {first} |",
             "|---" * (len(methods) + 2) + "|"]
    for quality, rows in table.items():
        cells = [f"{r['psnr']:.2f} ({r['psnr_y']:.2f})" for r in rows.values()]
        better = ", ".join(f"{m} {sum(a > b for a, b in zip(rows[m]['photos'], rows[first]['photos']))}/{len(rows[first]['photos'])}"
                           for m in methods if m not in ("bicubic", first))
        lines.append(f"| {quality} | " + " | ".join(cells) + f" | {better} |")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kodak", type=Path, default=SHARED / "benchmarks" / "Kodak24")
    parser.add_argument("--model", action="append", help="an x2 model spec (repeatable); default: sr2x and sr2x-jpeg")
    parser.add_argument("--qualities", default="20,30,40,50,70,90", help="comma-separated JPEG qualities")
    parser.add_argument("--limit", type=int, default=None, help="first N photos only (a quick look)")
    parser.add_argument("--out", type=Path, help="JSON results")
    args = parser.parse_args(argv)
    if not args.kodak.is_dir():
        print(f"Kodak24 not found at {args.kodak}", file=sys.stderr)
        return 2
    try:
        qualities = [int(q) for q in args.qualities.split(",")]
    except ValueError:
        print(f"--qualities {args.qualities!r}: give whole numbers separated by commas, e.g. 20,30,90", file=sys.stderr)
        return 2
    if not all(1 <= q <= 100 for q in qualities):
        print(f"--qualities {args.qualities!r}: each must be 1-100", file=sys.stderr)
        return 2
    names = args.model or ["sr2x", "sr2x-jpeg"]
    models = {name: load_restorer(name) for name in names}
    bad = [name for name, r in models.items() if r.scale != 2]
    if bad:
        print(f"--model {bad[0]}: upscales x{models[bad[0]].scale}, this benchmark needs x2 models", file=sys.stderr)
        return 2
    photos = [(p.stem, Image.open(p).convert("RGB")) for p in sorted(args.kodak.glob("*.png"))[: args.limit]]
    table = run(photos, models, qualities)
    print(f"Kodak24 ({len(photos)} photos) halved, saved as JPEG, enlarged x2: RGB PSNR (Y PSNR)\n")
    print("\n".join(markdown(table, names[0])))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"photos": [n for n, _ in photos], "qualities": table}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
