"""JPEG repair on Kodak24 (../shared/data/benchmarks): the model against the JPEG it was given, seeded by nothing (a
JPEG file is deterministic: Pillow / libjpeg, 4:2:0 chroma, the IJG quality scale).

    python benchmarks/dejpeg_bench.py --model dejpeg --out results/dejpeg_bench.json --sheets docs/images

Two protocols:
- `colour`: each PNG saved as a colour JPEG at quality 10, 20, 30, 40 and 95; RGB PSNR and Y PSNR (BT.601 luma, no
  border) of the JPEG and of the model's output against the PNG. The bar: +1.0 dB at 20 and 40, >= -0.1 dB at 95.
- `gray`: the PNG's luma saved as a grayscale JPEG (the protocol of the published LIVE1 / Classic5 tables: ARCNN,
  Dong et al. ICCV 2015; FBCNN, Jiang et al. ICCV 2021), the model run on it as a gray RGB photo, PSNR of its luma.
  Kodak24 is not LIVE1: compare the gain over the JPEG, not the absolute figures.
- `clean` (do no harm): the PNGs as they are (no JPEG: off every quantisation grid, so the network's output is all
  there is) and `--studio N` seeded studio shots on white / light grey (`lightning_gan.data.studio`): PSNR of the
  output against the input (mean and worst), and for the studio shots how far the background moved (8-bit levels).
Prints Markdown tables; `--sheets` writes dejpeg_kodak_q20.jpg and dejpeg_kodak_q40.jpg (JPEG / model / original, the
most detailed 160 px window of each photo at 1:1, then enlarged 2x so that blocking is visible).
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageDraw

from lightning_gan.data.studio import background_shift, seeded_studio_shots
from lightning_gan.inference import load_restorer

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
QUALITIES = (10, 20, 30, 40, 95)
# Published gray-JPEG Y PSNR on LIVE1 (FBCNN, Jiang et al. ICCV 2021, Table 1; its ARCNN column is ARCNN trained per
# quality): quality -> (JPEG, ARCNN, FBCNN)
LIVE1_GRAY = {10: (27.77, 28.96, 29.75), 20: (30.07, 31.29, 32.13), 30: (31.41, 32.67, 33.54), 40: (32.35, 33.61, 34.53)}


def as_jpeg(image: Image.Image, quality: int) -> Image.Image:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    buffer.seek(0)
    return Image.open(buffer).convert(image.mode)


def tensor(image: Image.Image) -> torch.Tensor:
    array = np.asarray(image.convert("RGB")).astype(np.float32) / 255
    return torch.from_numpy(array).permute(2, 0, 1)[None]


def luma(x: torch.Tensor) -> torch.Tensor:
    return 0.299 * x[:, 0] + 0.587 * x[:, 1] + 0.114 * x[:, 2]


def psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    return float(10 * torch.log10(1 / F.mse_loss(a, b).clamp_min(1e-10)))


def quantised(x: torch.Tensor) -> torch.Tensor:
    """What a saved 8-bit result holds."""
    return (x.clamp(0, 1) * 255).round() / 255


def detailed_window(x: torch.Tensor, side: int = 160) -> tuple[int, int]:
    """Top-left corner of the `side` px window with the most gradient energy."""
    gray = luma(x)[0]
    energy = (gray.diff(dim=0)[:, :-1] ** 2 + gray.diff(dim=1)[:-1] ** 2)[None, None]
    pooled = F.avg_pool2d(energy, side, stride=side // 4)
    index = int(pooled.flatten().argmax())
    return (index // pooled.shape[-1]) * (side // 4), (index % pooled.shape[-1]) * (side // 4)


def sheet(rows: list[list[torch.Tensor]], names: list[str], path: Path, titles: list[str], side: int = 160) -> None:
    cell = side * 2
    canvas = Image.new("RGB", (cell * len(titles), 20 + (cell + 16) * len(rows)), "white")
    draw = ImageDraw.Draw(canvas)
    draw.text((4, 4), " | ".join(titles), fill="black")
    for r, (images, name) in enumerate(zip(rows, names)):
        top, left = detailed_window(images[-1], side)
        for c, image in enumerate(images):
            crop = image[0, :, top : top + side, left : left + side].clamp(0, 1)
            pixels = Image.fromarray((crop.permute(1, 2, 0).numpy() * 255 + 0.5).astype(np.uint8))
            canvas.paste(pixels.resize((cell, cell), Image.Resampling.NEAREST), (c * cell, 20 + r * (cell + 16)))
        draw.text((4, 20 + r * (cell + 16) + cell + 2), name, fill="black")
    path.parent.mkdir(parents=True, exist_ok=True)
    canvas.save(path, quality=95)


def clean_rows(model, photos: list, shots: list) -> dict:
    """Do no harm: clean photos in, PSNR of the output against them; the studio shots' largest background shift."""
    kodak = {name: psnr(quantised(model(tensor(image))), tensor(image)) for name, image in photos}
    studio, shifts = {}, []
    for name, shot, background in shots:
        shot = quantised(shot)
        out = quantised(model(shot))
        studio[name] = psnr(out, shot)
        shifts.append(background_shift(out, shot, background))
    summary = {}
    for key, values in (("kodak", kodak), ("studio", studio)):
        if values:
            worst = min(values, key=values.get)
            summary[key] = {"mean": statistics.fmean(values.values()), "worst": values[worst], "worst_photo": worst}
    if shifts:
        summary["studio"]["background_shift_max"] = max(shifts)
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="dejpeg", help="shipped name, exported .safetensors or checkpoint")
    parser.add_argument("--kodak", type=Path, default=SHARED / "benchmarks" / "Kodak24")
    parser.add_argument("--limit", type=int, default=None, help="first N photos only (a quick look)")
    parser.add_argument("--natural", type=Path, default=SHARED / "natural-photos", help="studio shots are made from these")
    parser.add_argument("--studio", type=int, default=12, help="studio shots for the do-no-harm check (0: none)")
    parser.add_argument("--clean-only", action="store_true", help="only the do-no-harm protocol")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--sheets", type=Path, help="folder for dejpeg_kodak_q20.jpg / _q40.jpg")
    args = parser.parse_args(argv)
    if not args.kodak.is_dir():
        print(f"Kodak24 not found at {args.kodak}", file=sys.stderr)
        return 2
    model = load_restorer(args.model)
    photos = [(p.stem, Image.open(p).convert("RGB")) for p in sorted(args.kodak.glob("*.png"))[: args.limit]]
    results: dict = {"model": args.model, "colour": {}, "gray": {}}
    seconds, pixels = 0.0, 0
    for quality in () if args.clean_only else QUALITIES:
        scores = {k: [] for k in ("jpeg_rgb", "model_rgb", "jpeg_y", "model_y")}
        rows, names = [], []
        for name, image in photos:
            clean, jpeg = tensor(image), tensor(as_jpeg(image, quality))
            start = time.perf_counter()
            out = quantised(model(jpeg))
            seconds, pixels = seconds + time.perf_counter() - start, pixels + jpeg.shape[-1] * jpeg.shape[-2]
            scores["jpeg_rgb"].append(psnr(jpeg, clean))
            scores["model_rgb"].append(psnr(out, clean))
            scores["jpeg_y"].append(psnr(luma(jpeg), luma(clean)))
            scores["model_y"].append(psnr(luma(out), luma(clean)))
            if len(rows) < 6:
                rows.append([jpeg, out, clean])
                names.append(f"{name}: JPEG {scores['jpeg_rgb'][-1]:.2f} dB, model {scores['model_rgb'][-1]:.2f} dB")
        results["colour"][quality] = {k: statistics.fmean(v) for k, v in scores.items()}
        if args.sheets and quality in (20, 40):
            sheet(rows, names, args.sheets / f"dejpeg_kodak_q{quality}.jpg",
                  [f"JPEG quality {quality}", args.model, "original"])
    for quality in () if args.clean_only else QUALITIES[:4]:
        jpeg_y, model_y = [], []
        for _, image in photos:
            gray = image.convert("L")
            clean, jpeg = tensor(gray), tensor(as_jpeg(gray, quality))
            jpeg_y.append(psnr(luma(jpeg), luma(clean)))
            model_y.append(psnr(luma(quantised(model(jpeg))), luma(clean)))
        results["gray"][quality] = {"jpeg_y": statistics.fmean(jpeg_y), "model_y": statistics.fmean(model_y)}
    results["seconds_per_megapixel"] = seconds / max(pixels / 1e6, 1e-9)
    shots = seeded_studio_shots(args.natural, args.studio) if args.studio and args.natural.is_dir() else []
    results["clean"] = clean_rows(model, photos, shots)

    print(f"## Kodak24 ({len(photos)} photos), colour JPEG (Pillow, 4:2:0): PSNR against the PNG, `{args.model}`")
    print("| quality | JPEG RGB | model RGB | gain | JPEG Y | model Y | gain Y |\n|---|---|---|---|---|---|---|")
    for q, r in results["colour"].items():
        print(f"| {q} | {r['jpeg_rgb']:.2f} | {r['model_rgb']:.2f} | {r['model_rgb'] - r['jpeg_rgb']:+.2f} | "
              f"{r['jpeg_y']:.2f} | {r['model_y']:.2f} | {r['model_y'] - r['jpeg_y']:+.2f} |")
    print("\n## Gray JPEG (the LIVE1 / Classic5 protocol) on Kodak24, Y PSNR; LIVE1 published beside it")
    print("| quality | JPEG | model | gain | LIVE1: JPEG / ARCNN / FBCNN (gains) |\n|---|---|---|---|---|")
    for q, r in results["gray"].items():
        jpeg, arcnn, fbcnn = LIVE1_GRAY[q]
        print(f"| {q} | {r['jpeg_y']:.2f} | {r['model_y']:.2f} | {r['model_y'] - r['jpeg_y']:+.2f} | "
              f"{jpeg} / {arcnn} / {fbcnn} ({arcnn - jpeg:+.2f} / {fbcnn - jpeg:+.2f}) |")
    print(f"\n{results['seconds_per_megapixel']:.2f} s per megapixel (this machine, {torch.get_num_threads()} threads)")
    print("\n## Do no harm: clean photos in, PSNR of the output against them (100 dB = returned exactly)")
    print("| set | mean | worst | background shift (levels) |\n|---|---|---|---|")
    for key, row in results["clean"].items():
        shift = f"{row['background_shift_max']:.2f}" if "background_shift_max" in row else ""
        print(f"| {key} | {row['mean']:.2f} | {row['worst']:.2f} ({row['worst_photo']}) | {shift} |")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
