"""Colour denoising on Kodak24 (../shared/data/benchmarks) beside BM3D run here and the published table.

    python benchmarks/denoise_bench.py --model denoise --bm3d-photos 8 --out results/denoise_bench.json

The protocol of the FFDNet paper's colour table (Zhang et al., TIP 2018): the 24 Kodak 500x500 crops, additive white
Gaussian noise of sigma 15, 25 and 50 (8-bit units) on every channel, RGB PSNR. Here the noisy photo is also rounded
and clipped to 8 bits, what a saved file holds (the published figures use unclipped noise, a few hundredths of a dB
easier at sigma 50); the noise is seeded per photo and sigma, so every method sees the same noisy photos.
Rows:
- each `--model` twice: told the true sigma (the noise-level map, as FFDNet is evaluated) and blind (its own
  estimate, what `lightning-gan enhance` does with a user's photo);
- CBM3D (the `bm3d` package, `bm3d_rgb` told the true sigma) on the first `--bm3d-photos` photos only (about 100 s a
  photo on a 2-core CPU); the models' means on the same photos are printed beside it;
- the published figures (CBM3D, CDnCNN, FFDNet).
Also: `texture_kept` at sigma 25 (`lightning_gan.evaluation.scores.texture_scores`: 1 = the texture is there, 0 =
painted over), wall seconds per megapixel of each method at the threads torch uses, and do-no-harm: each model, blind,
on the clean photos (PSNR against themselves, mean and worst) and on `--studio N` seeded studio shots (natural
photos cut out on a white or light-grey seamless background, `lightning_gan.data.studio`): mean and worst PSNR, and
how far the background moved (largest mean shift of a channel, 8-bit levels). The bars (issue 32): sigma 25 >= 31.7 dB, clean mean
>= 42 and worst >= 36 dB, seconds per megapixel <= 1/10 of BM3D's.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch

from lightning_gan.data.images import read_rgb, to_tensor
from lightning_gan.data.studio import background_shift, seeded_studio_shots
from lightning_gan.evaluation.scores import texture_scores
from lightning_gan.inference import load_restorer
from lightning_gan.inference.autofix import psnr  # identical images: 100 dB, as evaluate
from lightning_gan.inference.baselines import BM3D_MISSING, bm3d_available, bm3d_known

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
SIGMAS = (15, 25, 50)
# Kodak24 colour denoising, RGB PSNR (FFDNet, Zhang et al. TIP 2018, its colour table; sigma 25 also in
# ../shared/data/benchmarks/SOURCE.md).
PUBLISHED = {
    "CBM3D": {15: 34.28, 25: 31.68, 50: 28.46},
    "CDnCNN": {15: 34.48, 25: 32.03, 50: 28.85},
    "FFDNet": {15: 34.63, 25: 32.13, 50: 28.98},
}


def quantised(x: torch.Tensor) -> torch.Tensor:
    """What a saved 8-bit photo holds."""
    return (x.clamp(0, 1) * 255).round() / 255


def noisy(clean: torch.Tensor, sigma: int, seed: int) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return quantised(clean + sigma / 255 * torch.randn(clean.shape, generator=generator))


class Timed:
    """A denoiser with its wall seconds and megapixels summed over every call."""

    def __init__(self, fn):
        self.fn, self.seconds, self.megapixels = fn, 0.0, 0.0

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        start = time.perf_counter()
        out = quantised(self.fn(x))
        self.seconds += time.perf_counter() - start
        self.megapixels += x.shape[-1] * x.shape[-2] / 1e6
        return out

    @property
    def per_megapixel(self) -> float | None:
        return self.seconds / self.megapixels if self.megapixels else None


def model_rows(spec: str, ensemble: int = 1) -> dict[str, Timed]:
    """`spec` told the true sigma, and blind (one restorer; `denoise` sets its noise level before each call)."""
    restorer = load_restorer(spec).with_copies(ensemble)  # named `spec xN` with N > 1 copies
    if restorer.set_noise_level is None:
        raise SystemExit(f"{spec}: not a noise-level-aware denoiser (no noise-level map); denoise_bench needs one")
    return {f"{restorer.name} (sigma known)": Timed(restorer), f"{restorer.name} (blind)": Timed(restorer)}


def denoise(row: str, timed: Timed, degraded: torch.Tensor, sigma: int) -> torch.Tensor:
    set_level = getattr(timed.fn, "set_noise_level", None)
    if set_level is not None:
        set_level(sigma / 255 if "known" in row else None)
    return timed(degraded)


def run(photos: list[tuple[str, torch.Tensor]], specs: list[str], bm3d_photos: int, sigmas=SIGMAS,
        ensemble: int = 1) -> dict:
    """Every row on every photo and sigma (CBM3D on the first `bm3d_photos`); then the models on the clean photos."""
    rows: dict[str, Timed] = {}
    for spec in specs:
        rows.update(model_rows(spec, ensemble))
    bm3d_photos = min(bm3d_photos, len(photos)) if bm3d_available() else 0
    if bm3d_photos:
        rows["CBM3D (sigma known)"] = Timed(None)
    psnrs: dict[str, dict[int, list[float]]] = {"noisy input": {}}
    texture: dict[str, list[float]] = {}
    for sigma in sigmas:
        if bm3d_photos:
            rows["CBM3D (sigma known)"].fn = bm3d_known(sigma / 255)
        for index, (_, clean) in enumerate(photos):
            degraded = noisy(clean, sigma, seed=1000 * sigma + index)
            psnrs["noisy input"].setdefault(sigma, []).append(psnr(degraded, clean))
            for row, timed in rows.items():
                if row.startswith("CBM3D") and index >= bm3d_photos:
                    continue
                out = denoise(row, timed, degraded, sigma)
                psnrs.setdefault(row, {}).setdefault(sigma, []).append(psnr(out, clean))
                if sigma == 25:
                    texture.setdefault(row, []).append(texture_scores(out, clean)["texture_kept"])
    results: dict = {"photos": len(photos), "bm3d_photos": bm3d_photos, "threads": torch.get_num_threads(),
                     "rows": {}, "clean": {}, "published": PUBLISHED}
    for row, per_sigma in psnrs.items():
        results["rows"][row] = {
            "psnr": {s: statistics.fmean(v) for s, v in per_sigma.items()},
            "psnr_bm3d_photos": {s: statistics.fmean(v[:bm3d_photos]) for s, v in per_sigma.items() if bm3d_photos},
            "texture_kept_sigma25": statistics.fmean(texture[row]) if row in texture else None,
            "seconds_per_megapixel": rows[row].per_megapixel if row in rows else None,
        }
    for row, timed in rows.items():
        if row.endswith("(blind)"):
            scores = [psnr(denoise(row, timed, clean, 0), clean) for _, clean in photos]
            worst = min(range(len(scores)), key=scores.__getitem__)
            results["clean"][row.removesuffix(" (blind)")] = {
                "mean": statistics.fmean(scores), "worst": scores[worst], "worst_photo": photos[worst][0]}
    return results


def studio_rows(specs: list[str], shots: list, ensemble: int = 1) -> dict[str, dict]:
    """Each model, blind, on clean studio shots: PSNR against the shot, and the background's largest mean shift."""
    rows = {}
    for spec in specs:
        restorer = load_restorer(spec).with_copies(ensemble)
        restorer.set_noise_level(None)
        values, shifts = [], []
        for _, shot, background in shots:
            shot = quantised(shot)
            out = quantised(restorer(shot))
            values.append(psnr(out, shot))
            shifts.append(background_shift(out, shot, background))
        rows[restorer.name] = {"mean": statistics.fmean(values), "worst": min(values),
                               "background_shift_max": max(shifts)}
    return rows


def report(results: dict) -> str:
    """Markdown tables: every row on all photos; then every row on the photos CBM3D ran on; then do no harm."""
    rows = {name: {key: ({int(s): v for s, v in value.items()} if isinstance(value, dict) else value)
                   for key, value in row.items()} for name, row in results["rows"].items()}  # JSON keys are strings
    sigmas = sorted({s for r in rows.values() for s in r["psnr"]})
    subset, photos = results["bm3d_photos"], results["photos"]
    head = "| method | " + " | ".join(f"sigma {s}" for s in sigmas) + " |"
    rule = "|---" * (len(sigmas) + 1) + "|"
    lines = [f"Kodak24 ({photos} photos), RGB PSNR (dB); {results['threads']} threads", "",
             head[:-1] + "| texture kept (sigma 25) | s/MP |", rule + "---|---|"]
    for row, r in rows.items():
        if row.startswith("CBM3D") and subset < photos:
            continue  # its mean is over the first photos only: in the next table
        cells = [f"{r['psnr'][s]:.2f}" for s in sigmas]
        texture = f"{r['texture_kept_sigma25']:.2f}" if r["texture_kept_sigma25"] is not None else ""
        seconds = f"{r['seconds_per_megapixel']:.1f}" if r["seconds_per_megapixel"] is not None else ""
        lines.append(f"| {row} | " + " | ".join(cells + [texture, seconds]) + " |")
    for name, figures in results["published"].items():
        cells = [f"{figures[str(s)] if str(s) in figures else figures.get(s, float('nan')):.2f}" for s in sigmas]
        lines.append(f"| {name}, published (all 24, unclipped noise) | " + " | ".join(cells + ["", ""]) + " |")
    if subset and subset < photos:
        lines += ["", f"The first {subset} photos, where CBM3D ran (RGB PSNR, dB)", "",
                  head[:-1] + "| texture kept (sigma 25) | s/MP |", rule + "---|---|"]
        for row, r in rows.items():
            cells = [f"{r['psnr_bm3d_photos'][s]:.2f}" for s in sigmas]
            texture = f"{r['texture_kept_sigma25']:.2f}" if row.startswith("CBM3D") else ""
            seconds = f"{r['seconds_per_megapixel']:.1f}" if r["seconds_per_megapixel"] is not None else ""
            lines.append(f"| {row} | " + " | ".join(cells + [texture, seconds]) + " |")
    lines += ["", "Clean photos in (do no harm, blind): PSNR against themselves", "", "| model | mean | worst |",
              "|---|---|---|"]
    for model, r in results["clean"].items():
        lines.append(f"| {model} | {r['mean']:.2f} | {r['worst']:.2f} ({r['worst_photo']}) |")
    if results.get("studio"):
        lines += ["", f"{results['studio_shots']} studio shots in (clean, blind): PSNR against themselves, background shift",
                  "", "| model | mean | worst | background moved (levels, largest) |", "|---|---|---|---|"]
        for model, r in results["studio"].items():
            lines.append(f"| {model} | {r['mean']:.2f} | {r['worst']:.2f} | {r['background_shift_max']:.2f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", action="append", help="shipped name, exported .safetensors or checkpoint "
                        "(repeatable; default denoise)")
    parser.add_argument("--kodak", type=Path, default=SHARED / "benchmarks" / "Kodak24")
    parser.add_argument("--sigma", type=int, action="append", help=f"noise levels in 8-bit units (default {SIGMAS})")
    parser.add_argument("--limit", type=int, default=None, help="first N photos only (a quick look)")
    parser.add_argument("--bm3d-photos", type=int, default=8, help="CBM3D on the first N photos (0: none)")
    parser.add_argument("--natural", type=Path, default=SHARED / "natural-photos", help="studio shots are made from these")
    parser.add_argument("--studio", type=int, default=12, help="clean studio shots for do-no-harm (0: none)")
    parser.add_argument("--ensemble", type=int, default=1, choices=[1, 2, 4, 8],
                        help="each model as the mean of this many flipped copies (self-ensemble; rows named MODEL xN)")
    parser.add_argument("--out", type=Path, help="JSON of every number")
    parser.add_argument("--report", type=Path, help="print the tables of a JSON this wrote, and run nothing")
    args = parser.parse_args(argv)
    if args.report:
        print(report(json.loads(args.report.read_text())))
        return 0
    if not args.kodak.is_dir():
        print(f"Kodak24 not found at {args.kodak}", file=sys.stderr)
        return 2
    if args.bm3d_photos and not bm3d_available():
        print(f"no CBM3D rows: {BM3D_MISSING}", file=sys.stderr)
    photos = [(p.stem, to_tensor(read_rgb(p))[None].float() / 255) for p in sorted(args.kodak.glob("*.png"))[: args.limit]]
    specs = args.model or ["denoise"]
    results = run(photos, specs, args.bm3d_photos, tuple(args.sigma or SIGMAS), args.ensemble)
    if args.studio and args.natural.is_dir():
        results["studio_shots"] = args.studio
        results["studio"] = studio_rows(specs, seeded_studio_shots(args.natural, args.studio), args.ensemble)
    print(report(results))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
