"""`fix` against the shipped single models and bicubic on Kodak24 (../shared/data/benchmarks), all seeded.

    python benchmarks/fix_bench.py --out results/fix_bench.json [--sheets docs/images]

Three sets:
- `clean`: Kodak24 as they are: PSNR of `fix`'s output against the photo (an untouched photo counts 100 dB), mean,
  median, worst, untouched photos (do no harm: the bar is a mean >= 40 dB).
- `dark_noisy`: Kodak24 through the `lowlight` then the `camera_noise` presets' seeded evaluation settings (-2 EV, a
  phone's noise, JPEG 85): PSNR of `fix`, of each shipped single model (`enhance`, `denoise`) and of the two in a row
  with their own blind settings; noise lift: flat-area noise of the output over the input's, divided by the
  brightness gain (flat areas: the quarter of 16 px blocks with the least high-pass in the original; noise: the
  high-pass standard deviation there). Under 1: the noise rose less than the brightness.
- `small_jpeg`: Kodak24 halved (bicubic, antialiased) and saved as JPEG quality 30, then `fix --min-size 500` (back
  to 500 px) against bicubic enlargement of the JPEG.
  Where the decibels go (`breakdown`, per photo and mean): at the small size the JPEG and `dejpeg`'s repair against
  the clean halving; at full size bicubic of the repair, the x2 upscaler alone on the repair and on the clean
  halving (the ceiling if the repair were perfect), and bicubic of the clean halving.
- `studio_thumbnails`: the same 30 studio shots halved and saved as JPEG quality 85, `fix` back to full size against
  bicubic: PSNR and the largest shift of the background (where a JPEG upscaler meets white).
- `do_no_harm`: clean photos of other kinds, PSNR of `fix`'s output against the photo: 30 studio shots on white or
  light grey made from the natural photos (`benchmarks/enhance_ood.py`'s seeded set; the largest shift of the
  background's mean colour too, in 8-bit levels) and every 25th Grocery Store test photo (shelf photos, JPEG files:
  their quality is read from the file as `fix` does).
Prints Markdown tables; `--sheets` writes contact sheets with each photo's plan printed under it.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageDraw

from lightning_gan.data.degradations import degrade
from lightning_gan.data.images import as_jpeg, thumbnail
from lightning_gan.inference import load_restorer
from lightning_gan.inference.autofix import Fixer, psnr
from lightning_gan.nets.io import gaussian_blur
from lightning_gan.nets.tone import luma_of

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def kodak(folder: Path, limit: int | None) -> list[tuple[str, torch.Tensor, Image.Image]]:
    paths = sorted(folder.glob("*.png"))[:limit]
    out = []
    for p in paths:
        image = Image.open(p).convert("RGB")
        out.append((p.stem, torch.from_numpy(np.asarray(image).copy()).permute(2, 0, 1).float() / 255, image))
    return out


def flat_noise_lift(original: torch.Tensor, before: torch.Tensor, after: torch.Tensor) -> float:
    """(output's flat-area noise / input's) / brightness gain."""
    block = 16
    h, w = original.shape[1] // block, original.shape[2] // block

    def block_std(x):
        high = (x - gaussian_blur(x[None], 2.0)[0])[:, : h * block, : w * block]
        return high.unfold(1, block, block).unfold(2, block, block).flatten(-2).std(-1).mean(0)

    clean = block_std(original)
    flat = clean <= torch.quantile(clean.flatten(), 0.25)
    gain = float(luma_of(after[None]).mean() / luma_of(before[None]).mean())
    return float(block_std(after)[flat].mean() / block_std(before)[flat].mean()) / gain


def to_pil(x: torch.Tensor) -> Image.Image:
    return Image.fromarray((x.clamp(0, 1).permute(1, 2, 0).numpy() * 255 + 0.5).astype(np.uint8))


def sheet(rows: list[tuple[str, list[torch.Tensor], str]], titles: list[str], path: Path, crop: int = 256) -> None:
    """One row per photo: a crop of each image at 1:1 (the centre `crop` px), the plan printed under the row."""
    width, text = crop * len(titles), 34
    canvas = Image.new("RGB", (width, (crop + text) * len(rows) + 20), "white")
    draw = ImageDraw.Draw(canvas)
    draw.text((4, 4), " | ".join(titles), fill="black")
    for r, (name, images, plan) in enumerate(rows):
        top = 20 + r * (crop + text)
        for c, image in enumerate(images):
            h, w = image.shape[1:]
            t, s = max(0, (h - crop) // 2), max(0, (w - crop) // 2)
            canvas.paste(to_pil(image[:, t : t + crop, s : s + crop]), (c * crop, top))
        for k, line in enumerate(textwrap.wrap(f"{name}: {plan}", width=width // 6)[:2]):
            draw.text((4, top + crop + 2 + 14 * k), line, fill="black")
    path.parent.mkdir(parents=True, exist_ok=True)
    canvas.save(path, quality=92)


def plan_text(report) -> str:
    """The plan under a photo in a contact sheet: what was done, then each stage's measurements."""
    return report.summary() + " | " + "; ".join(f"{s.stage}: {s.why}" for s in report.steps)


def halved_jpeg(image: Image.Image, quality: int) -> tuple[Image.Image, torch.Tensor]:
    """`image` halved and that halving saved as a JPEG of `quality`, decoded: (the halving, the JPEG as (3, H/2, W/2)
    in [0, 1])."""
    half = thumbnail(image, 2)
    jpeg = np.asarray(as_jpeg(half, quality))
    return half, torch.from_numpy(jpeg.copy()).permute(2, 0, 1).float() / 255


def summary(values: list[float]) -> dict:
    return {"mean": statistics.fmean(values), "median": statistics.median(values), "worst": min(values)}


def breakdown(half: torch.Tensor, jpeg: torch.Tensor, x: torch.Tensor, repair, upscale) -> dict:
    """PSNR of each piece of the small-JPEG path (see the module docstring): small-size rows against the clean
    halving `half`, full-size rows against the original `x`."""
    def bicubic(small: torch.Tensor) -> torch.Tensor:
        return F.interpolate(small[None], size=x.shape[1:], mode="bicubic", align_corners=False)[0].clamp(0, 1)

    with torch.no_grad():
        repaired = repair(jpeg[None])[0].cpu()
        return {"small_jpeg": psnr(jpeg, half), "small_repaired": psnr(repaired, half),
                "bicubic_of_repaired": psnr(bicubic(repaired), x), "upscaler_on_repaired": psnr(upscale(repaired[None])[0].cpu(), x),
                "bicubic_of_clean_half": psnr(bicubic(half), x), "upscaler_on_clean_half": psnr(upscale(half[None])[0].cpu(), x)}


def do_no_harm(fixer: Fixer, natural: Path, grocery: Path) -> dict:
    """`fix` on clean studio shots and clean shelf photos: PSNR against themselves (untouched = 100 dB)."""
    from lightning_gan.data.studio import background_shift, seeded_studio_shots
    from lightning_gan.inference.autofix import file_quality

    out: dict = {}
    if natural.is_dir():
        rows, shifts = {}, []
        for name, shot, background in seeded_studio_shots(natural, 30):
            fixed, report = fixer.fix(shot[0])
            shifts.append(background_shift(fixed[None], shot, background))
            rows[name] = {"psnr": 100.0 if torch.equal(fixed, shot[0]) else min(100.0, psnr(fixed, shot[0])),
                          "done": report.done}
        out["studio"] = {"photos": rows, "summary": {**summary([r["psnr"] for r in rows.values()]), "photos": len(rows),
                         "untouched": sum(r["psnr"] >= 100 for r in rows.values()), "background_shift": round(max(shifts), 2)}}
    if grocery.is_dir():
        rows = {}
        for path in sorted((grocery / "test").rglob("*.jpg"))[::25]:
            image = Image.open(path).convert("RGB")
            x = torch.from_numpy(np.asarray(image).copy()).permute(2, 0, 1).float() / 255
            fixed, report = fixer.fix(x, file_quality(path))
            rows[path.stem] = {"psnr": 100.0 if torch.equal(fixed, x) else min(100.0, psnr(fixed, x)), "done": report.done}
        out["grocery_test"] = {"photos": rows, "summary": {**summary([r["psnr"] for r in rows.values()]), "photos": len(rows),
                               "untouched": sum(r["psnr"] >= 100 for r in rows.values())}}
    return out


def studio_thumbnails(natural: Path, quality: int = 85) -> dict:
    """The same studio shots halved and saved as a JPEG of `quality` (a shop's thumbnail: its studio JPEGs are
    80-88), then `fix --min-size` back to full size, against bicubic: RGB PSNR against the shot and how far the white
    or grey background moved (8-bit levels), so a model that enlarges JPEGs is checked where white must stay white."""
    from lightning_gan.data.studio import STUDIO_SIZE, background_shift, seeded_studio_shots

    fixer = Fixer(min_size=STUDIO_SIZE)
    rows, upscalers = {}, set()
    for name, shot, background in seeded_studio_shots(natural, 30):
        _, small = halved_jpeg(to_pil(shot[0]), quality)
        upscalers.add(str(fixer.upscaler(small, quality)))
        fixed, _ = fixer.fix(small, quality=quality)
        bicubic = F.interpolate(small[None], size=shot.shape[-2:], mode="bicubic", align_corners=False)[0].clamp(0, 1)
        rows[name] = {k: {"psnr": psnr(v, shot[0]), "background_shift": background_shift(v[None], shot, background)}
                      for k, v in (("bicubic", bicubic), ("fix", fixed))}
    return {"photos": rows, "quality": quality, "upscaler": sorted(upscalers),
            "summary": {k: {"psnr": statistics.fmean(r[k]["psnr"] for r in rows.values()),
                            "background_shift": max(r[k]["background_shift"] for r in rows.values())}
                        for k in ("bicubic", "fix")}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kodak", type=Path, default=SHARED / "benchmarks" / "Kodak24")
    parser.add_argument("--natural", type=Path, default=SHARED / "natural-photos", help="studio shots are made from these")
    parser.add_argument("--grocery", type=Path, default=SHARED / "grocery-store", help="its test split: clean shelf photos")
    parser.add_argument("--limit", type=int, default=None, help="first N photos only (a quick look)")
    parser.add_argument("--out", type=Path, help="JSON results")
    parser.add_argument("--sheets", type=Path, help="folder for the contact sheets (fix_*.jpg)")
    args = parser.parse_args(argv)
    if not args.kodak.is_dir():
        print(f"Kodak24 not found at {args.kodak}", file=sys.stderr)
        return 2
    torch.manual_seed(0)
    photos = kodak(args.kodak, args.limit)
    fixer, fixer_500 = Fixer(), Fixer(min_size=500)
    singles = {name: load_restorer(name) for name in ("enhance", "denoise")}
    results: dict = {"clean": {}, "dark_noisy": {}, "small_jpeg": {}}

    clean_rows, scores, untouched = [], [], 0
    for name, x, _ in photos:
        out, report = fixer.fix(x)
        score = 100.0 if torch.equal(out, x) else min(100.0, psnr(out, x))
        untouched += torch.equal(out, x)
        scores.append(score)
        clean_rows.append((name, [x, out], plan_text(report)))
        results["clean"][name] = {"psnr": score, "report": report.as_dict()}
    clean = {**summary(scores), "untouched": untouched, "photos": len(scores)}

    dark_rows, table = [], {k: [] for k in ("input", "enhance", "denoise", "enhance then denoise", "fix")}
    lifts = {"enhance": [], "fix": []}
    for i, (name, x, _) in enumerate(photos):
        seeds = torch.tensor([i])
        noisy = degrade(degrade(x[None], "lowlight", seeds=seeds).image, "camera_noise", seeds=seeds).image[0]
        outs = {"input": noisy, **{k: r(noisy[None])[0] for k, r in singles.items()}}
        outs["enhance then denoise"] = singles["denoise"](outs["enhance"][None])[0]
        outs["fix"], report = fixer.fix(noisy)
        for k, v in outs.items():
            table[k].append(psnr(v, x))
        for k in lifts:
            lifts[k].append(flat_noise_lift(x, noisy, outs[k]))
        dark_rows.append((name, [noisy, outs["enhance"], outs["fix"], x], plan_text(report)))
        results["dark_noisy"][name] = {k: v[-1] for k, v in table.items()} | {"report": report.as_dict()}
    dark = {k: statistics.fmean(v) for k, v in table.items()}
    dark_lift = {k: statistics.fmean(v) for k, v in lifts.items()}

    small_rows, small, pieces, seconds = [], {"bicubic": [], "fix": []}, [], []  # seconds: wall time of each fix
    upscaler = None  # what fix runs on these photos (`Fixer.upscaler`), with its own repair when it has one
    for name, x, image in photos:
        quality = 30
        half, small_x = halved_jpeg(image, quality)
        bicubic = F.interpolate(small_x[None], size=x.shape[1:], mode="bicubic", align_corners=False)[0].clamp(0, 1)
        start = time.perf_counter()
        fixed, report = fixer_500.fix(small_x, quality=quality)
        seconds.append(time.perf_counter() - start)
        if fixed.shape != x.shape:
            fixed = F.interpolate(fixed[None], size=x.shape[1:], mode="bicubic", align_corners=False)[0].clamp(0, 1)
        small["bicubic"].append(psnr(bicubic, x))
        small["fix"].append(psnr(fixed, x))
        small_rows.append((name, [bicubic, fixed, x], plan_text(report)))
        half_x = torch.from_numpy(np.asarray(half).copy()).permute(2, 0, 1).float() / 255
        if upscaler is None:
            upscaler = load_restorer(fixer_500.upscaler(small_x, quality))
            repair, upscale = upscaler.before or load_restorer("dejpeg"), upscaler.alone()
            print(f"breakdown with {upscaler.name} (repair: {repair.name})", file=sys.stderr)
        pieces.append(breakdown(half_x, small_x, x, repair, upscale))
        results["small_jpeg"][name] = {"bicubic": small["bicubic"][-1], "fix": small["fix"][-1], "report": report.as_dict(),
                                       "breakdown": pieces[-1]}
    small_mean = {k: statistics.fmean(v) for k, v in small.items()}
    small_pieces = {k: statistics.fmean(p[k] for p in pieces) for k in pieces[0]} if pieces else {}

    harm = do_no_harm(fixer, args.natural, args.grocery)
    results["do_no_harm"] = harm
    thumbnails = studio_thumbnails(args.natural) if args.natural.is_dir() else None
    results["studio_thumbnails"] = thumbnails
    results["summary"] = {"clean": clean, "dark_noisy": dark, "dark_noisy_noise_lift": dark_lift, "small_jpeg": small_mean,
                          "small_jpeg_breakdown": small_pieces, "small_jpeg_upscaler": upscaler.name if upscaler else None,
                          "small_jpeg_fix_seconds": statistics.fmean(seconds) if seconds else None,
                          "do_no_harm": {k: v["summary"] for k, v in harm.items()},
                          "studio_thumbnails": thumbnails["summary"] if thumbnails else None}
    print(f"## Kodak24 clean ({clean['photos']} photos): fix against the photo itself")
    print(f"mean {clean['mean']:.2f} dB, median {clean['median']:.2f}, worst {clean['worst']:.2f}, untouched {untouched}")
    print("\n## Kodak24 -2 EV + camera noise (seeded): PSNR against the original, noise lift (<= 0.7 wanted)")
    print("| method | PSNR | noise lift |\n|---|---|---|")
    for k, v in dark.items():
        print(f"| {k} | {v:.2f} | {dark_lift[k]:.2f} |" if k in dark_lift else f"| {k} | {v:.2f} | |")
    print("\n## Kodak24 halved, JPEG quality 30, back to 500 px: PSNR against the original")
    print(f"| bicubic | {small_mean['bicubic']:.2f} |\n| fix --min-size 500 | {small_mean['fix']:.2f} |")
    if seconds:  # the first photo's includes loading the models
        print(f"fix: {statistics.fmean(seconds):.1f} s per photo (wall, {torch.get_num_threads()} threads, models loaded on the first)")
    print("\nwhere the decibels go (small: against the clean halving; full: against the original):")
    print("| piece | PSNR |\n|---|---|")
    for k, v in small_pieces.items():
        print(f"| {k} | {v:.2f} |")
    print("\n## Do no harm: clean photos of other kinds, fix against the photo itself")
    print("| set | photos | mean PSNR | worst | untouched | largest background shift |\n|---|---|---|---|---|---|")
    for key, part in harm.items():
        r = part["summary"]
        print(f"| {key} | {r['photos']} | {r['mean']:.2f} | {r['worst']:.2f} | {r['untouched']} | {r.get('background_shift', '')} |")
    if thumbnails:
        print(f"\n## Studio shots halved, JPEG quality {thumbnails['quality']}, fix back to full size "
              f"({', '.join(thumbnails['upscaler'])}): against the shot")
        print("| method | PSNR | largest background shift (levels) |\n|---|---|---|")
        for k, r in thumbnails["summary"].items():
            print(f"| {k} | {r['psnr']:.2f} | {r['background_shift']:.2f} |")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=1))
    if args.sheets:
        sheet(clean_rows[:8], ["clean photo", "fix"], args.sheets / "fix_clean.jpg")
        sheet(dark_rows[:8], ["-2 EV + camera noise", "enhance", "fix", "original"], args.sheets / "fix_dark_noisy.jpg")
        sheet(small_rows[:8], ["bicubic of the JPEG", "fix --min-size 500", "original"], args.sheets / "fix_small_jpeg.jpg")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
