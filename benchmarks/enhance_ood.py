"""Out-of-domain checks of an enhancement model: photos nobody here trained on, and the harm it may do to them.

    python benchmarks/enhance_ood.py --model enhance --baselines clahe,auto_contrast,gamma_correction \
        --out results/enhance_ood.json

Three sets, all seeded (the same photos and damage every run):
- `kodak_clean`: Kodak24 (../shared/data/benchmarks) as they are: PSNR of the output against the photo (do no
  harm; an untouched photo counts as 100 dB), mean, median and worst photo, photos under 30 dB, photos untouched.
- `studio`: `--studio` studio shots made from the natural photos (`lightning_gan.data.studio`, seed = photo number): a
  cut-out on a neutral white or light-grey background with a soft shadow. Background shift: the largest per-channel
  change of the background's mean, in 8-bit grey levels (a tint moves one channel); `bg_p99`: the 99th percentile of
  the per-pixel change there; PSNR of the whole shot against itself.
- `darkened`: Kodak24 darkened by the `lowlight` preset's seeded evaluation setting (-2 EV with sensor noise): PSNR
  against the original, new clipping (percentage points of pixels at 255, output minus input), pixels at black (%,
  luma <= 2/255), detail ratio (variance of the Laplacian, output over input: < 1 means detail was smoothed away),
  and colour cast: the CIELAB a*b* distance between the mean colours of the output and of the original.

The Grocery Store test table is `lightning-gan evaluate --split test` (docs/results.md). Prints Markdown tables.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import kornia
import torch
from torchmetrics.functional.image import peak_signal_noise_ratio

from lightning_gan.data.degradations import degrade
from lightning_gan.data.images import read_rgb, scan, to_tensor
from lightning_gan.data.studio import seeded_studio_shots
from lightning_gan.evaluation.scores import black_share, clipped_share, detail
from lightning_gan.inference import load_restorer

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    return peak_signal_noise_ratio(a.clamp(0, 1), b, data_range=1.0).item()


def ab_distance(a: torch.Tensor, b: torch.Tensor) -> float:
    """CIELAB a*b* distance between the mean colours of two photos (lightness left out)."""
    lab_a, lab_b = kornia.color.rgb_to_lab(a.clamp(0, 1)), kornia.color.rgb_to_lab(b.clamp(0, 1))
    return (lab_a[:, 1:].mean(dim=(2, 3)) - lab_b[:, 1:].mean(dim=(2, 3))).norm(dim=1).item()


def kodak(folder: Path) -> list[tuple[str, torch.Tensor]]:
    return [(p.stem, to_tensor(read_rgb(p))[None].float().div(255)) for p in scan(folder)]


def kodak_clean_rows(methods, photos) -> dict[str, dict]:
    rows = {}
    for method in methods:
        scores = [(psnr(method(x), x), name) for name, x in photos]
        worst = min(scores)
        values = sorted(min(s, 100.0) for s, _ in scores)  # an untouched photo scores inf: counted as 100 dB
        rows[method.name] = {"psnr_mean": sum(values) / len(values), "psnr_median": values[len(values) // 2],
                             "psnr_worst": worst[0], "worst_photo": worst[1], "under_30db": sum(v < 30 for v in values),
                             "untouched": sum(v >= 100 for v in values)}
    return rows


def studio_rows(methods, shots) -> dict[str, dict]:
    rows = {}
    for method in methods:
        shifts, p99s, psnrs = [], [], []
        for _, shot, background in shots:
            out = method(shot)
            change = (out - shot) * 255
            region = background.expand_as(change)
            per_channel = torch.stack([change[:, c][region[:, c]].mean() for c in range(3)])
            shifts.append(per_channel.abs().max().item())
            p99s.append(change[region].abs().quantile(0.99).item())
            psnrs.append(psnr(out, shot))
        rows[method.name] = {"bg_shift_max": max(shifts), "bg_shift_mean": sum(shifts) / len(shifts),
                             "bg_p99_max": max(p99s), "psnr_mean": sum(psnrs) / len(psnrs), "psnr_worst": min(psnrs)}
    return rows


def darkened_rows(methods, photos) -> dict[str, dict]:
    rows = {}
    dark = [(name, degrade(x, "lowlight", seeds=torch.tensor([i])).image, x) for i, (name, x) in enumerate(photos)]
    for method in [None, *methods]:
        per = []
        for _, x, clean in dark:
            out = x if method is None else method(x)
            per.append({
                "psnr": psnr(out, clean),
                "new_clipping_pp": 100 * (clipped_share(out) - clipped_share(x)).item(),
                "black_percent": 100 * black_share(out).item(),
                "detail_ratio": (detail(out) / detail(x).clamp_min(1e-8)).item(),
                "cast": ab_distance(out, clean),
            })
        rows["input" if method is None else method.name] = {k: sum(r[k] for r in per) / len(per) for k in per[0]}
    return rows


def table(title: str, rows: dict[str, dict]) -> str:
    keys = list(next(iter(rows.values())))
    lines = [f"\n{title}\n", "| method | " + " | ".join(keys) + " |", "|---" * (len(keys) + 1) + "|"]
    for name, row in rows.items():
        cells = [f"{v:.2f}" if isinstance(v, float) else str(v) for v in row.values()]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", action="append", help="model (shipped name, .safetensors or checkpoint); repeatable")
    parser.add_argument("--baselines", default="clahe,auto_contrast,gamma_correction", help="comma list, '' for none")
    parser.add_argument("--kodak", type=Path, default=SHARED / "benchmarks" / "Kodak24")
    parser.add_argument("--natural", type=Path, default=SHARED / "natural-photos" / "CBSD432")
    parser.add_argument("--studio", type=int, default=30, help="studio shots made from the natural photos")
    parser.add_argument("--limit", type=int, help="first N Kodak photos only (quick runs)")
    parser.add_argument("--out", type=Path, help="write the tables as JSON here")
    args = parser.parse_args(argv)
    for folder, option in ((args.kodak, "--kodak"), (args.natural, "--natural")):
        if not folder.is_dir():
            print(f"error: {option}: folder not found: {folder}", file=sys.stderr)
            return 2
    specs = (args.model or ["enhance"]) + [b for b in args.baselines.split(",") if b]
    methods = [load_restorer(spec, "cpu") for spec in specs]
    photos = kodak(args.kodak)[: args.limit]
    result = {
        "kodak_clean": kodak_clean_rows(methods, photos),
        "studio": studio_rows(methods, seeded_studio_shots(args.natural, args.studio)),
        "darkened": darkened_rows(methods, photos),
        "photos": {"kodak": len(photos), "studio": args.studio},
    }
    print(table(f"Kodak24 clean ({len(photos)} photos): do no harm, PSNR against the photo", result["kodak_clean"]))
    print(table(f"Studio shots ({args.studio}, from the natural photos): background shift in grey levels", result["studio"]))
    print(table(f"Kodak24 darkened (lowlight, {len(photos)} photos)", result["darkened"]))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
