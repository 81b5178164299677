"""Does a whole-image inpainter keep its quality on large photos? Hole PSNR at working sizes against diffusion fill.

    python benchmarks/inpaint_resolution.py --model inpaint --split val --every 20 --upscale 3 --sizes 0,348,512

Each photo is enlarged `--upscale` x (bicubic: a stand-in for a high-resolution shot of the same scene, 348 px ->
about 1044 px), damaged by the seeded `large_holes` evaluation preset, and filled: by the model run on the whole
photo (`0` = native size), by the model at each working size (the photo is filled at that long side and only the
hole is upsampled back), and by diffusion fill. Prints a markdown table of mean PSNR / SSIM inside the holes.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch
import torch.nn.functional as F

from lightning_gan.data.degradations import degrade
from lightning_gan.data.images import list_split, read_rgb, to_tensor
from lightning_gan.evaluation.scores import hole_scores, mean_scores
from lightning_gan.inference import load_restorer
from lightning_gan.inference.baselines import diffusion_fill


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="inpaint")
    parser.add_argument("--data", type=Path, default=Path("../shared/data/grocery-store"))
    parser.add_argument("--split", default="val")
    parser.add_argument("--every", type=int, default=20)
    parser.add_argument("--upscale", type=float, default=3.0)
    parser.add_argument("--sizes", default="0,348,512", help="working sizes; 0 = the whole photo at its own size")
    parser.add_argument("--degradation", default="large_holes")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    restorer = load_restorer(args.model)
    sizes = [int(s) for s in args.sizes.split(",")]
    scores: dict[str, list[dict[str, float]]] = {f"model@{s or 'native'}": [] for s in sizes} | {"diffusion_fill": []}
    paths = [r.path for r in list_split(args.data, args.split)][:: args.every]
    side = 0
    with torch.no_grad():
        for index, path in enumerate(paths):
            clean = to_tensor(read_rgb(path))[None].float().div(255)
            clean = F.interpolate(clean, scale_factor=args.upscale, mode="bicubic", align_corners=False).clamp(0, 1)
            side = max(side, *clean.shape[-2:])
            damaged = degrade(clean, args.degradation, seeds=torch.tensor([index]))
            for size in sizes:
                restorer.working_size = size or None
                out = restorer(damaged.image, damaged.mask)
                scores[f"model@{size or 'native'}"].append(hole_scores(out, clean, damaged.mask))
            fill = diffusion_fill(damaged.image, damaged.mask)
            scores["diffusion_fill"].append(hole_scores(fill, clean, damaged.mask))
    table = {name: mean_scores(v) for name, v in scores.items()}
    print(f"{len(paths)} photos of {args.split}, enlarged x{args.upscale} (long side up to {side} px), {args.degradation}\n")
    print("| method | PSNR in holes | SSIM in holes | detail in holes |\n|---|---|---|---|")
    for name, row in table.items():
        print(f"| {name} | {row['psnr_hole']:.2f} | {row['ssim_hole']:.4f} | {row['detail_hole']:.3f} |")
    if args.out:
        args.out.write_text(json.dumps({"model": args.model, "split": args.split, "every": args.every, "upscale": args.upscale,
                                        "photos": len(paths), "rows": table}, indent=2))


if __name__ == "__main__":
    main()
