"""x4 (or x2) super-resolution on Set14 (../shared/data/benchmarks), clean and compressed, against bicubic.

    python benchmarks/sr_bench.py --model sr4x --model sr4x-clean --out results/sr_bench.json --sheets docs/images
    python benchmarks/sr_bench.py --scale 2 --model sr2x --out results/sr2x_bench.json --sheets docs/images

Each HR image is cropped to a multiple of the scale and downscaled by it with Pillow's bicubic (antialiased, Keys a = -0.5:
MATLAB's `imresize`, the protocol of the published tables). Two inputs:
- `clean`: that downscale as it is;
- `jpeg40`: that downscale saved as a JPEG at quality 40 (4:2:0, libjpeg), what a marketplace thumbnail is.
Scores: PSNR of the luma (BT.601 Y, as MATLAB's rgb2ycbcr) with a border as wide as the scale cropped, and RGB PSNR. The bars
(issue 31): jpeg40 `sr4x` >= bicubic + 0.5 dB; clean `sr4x-clean` >= bicubic + 2.0, `sr4x` >= bicubic + 1.0.
A do-no-harm set as well: `--studio N` (default 12) seeded studio shots (natural photos cut out on a white or
light-grey seamless background, `lightning_gan.data.studio`) reduced x4 the same way: Y PSNR, and how far the
background moved (mean per channel over the background, the largest over shots, in 8-bit levels).
`--sheets` writes sr4x_set14_jpeg40.jpg (sr2x_... at x2): input (nearest x4) / each model / bicubic / original, the most detailed
128 px window of each image at 1:1.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageDraw

from lightning_gan.data.images import thumbnail
from lightning_gan.data.studio import background_shift, seeded_studio_shots
from lightning_gan.evaluation.scores import luma
from lightning_gan.inference import load_restorer
from lightning_gan.inference.loading import baseline_restorer

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
# Published Set14 Y PSNR of clean bicubic reductions. x4: bicubic, SRCNN, SRResNet, EDSR (see
# ../shared/data/benchmarks/SOURCE.md); x2: bicubic, SRCNN, EDSR (Lim et al. CVPRW 2017, Table 6).
PUBLISHED = {4: {"bicubic": 26.00, "SRCNN": 27.50, "SRResNet": 28.49, "EDSR": 28.80},
             2: {"bicubic": 30.24, "SRCNN": 32.42, "EDSR": 33.92}}


def tensor(image: Image.Image) -> torch.Tensor:
    return torch.from_numpy(np.asarray(image.convert("RGB")).astype(np.float32) / 255).permute(2, 0, 1)[None]


def low_resolution(hr: Image.Image, kind: str, scale: int = 4) -> Image.Image:
    return thumbnail(hr, scale, 40 if kind == "jpeg40" else None)


def psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    return float(10 * torch.log10(1 / F.mse_loss(a, b).clamp_min(1e-12)))


def scores(out: torch.Tensor, hr: torch.Tensor, scale: int = 4) -> dict[str, float]:
    out = (out.clamp(0, 1) * 255).round() / 255  # what a saved 8-bit file holds
    crop = (..., slice(scale, -scale), slice(scale, -scale))
    return {"psnr_y": psnr(luma(out)[crop], luma(hr)[crop]), "psnr": psnr(out, hr)}


def detailed_window(x: torch.Tensor, side: int) -> tuple[int, int]:
    y = luma(x)
    energy = F.avg_pool2d((y - F.avg_pool2d(y, 3, 1, 1)).abs(), side, side // 4)
    index = int(energy.flatten().argmax())
    return (index // energy.shape[-1]) * (side // 4), (index % energy.shape[-1]) * (side // 4)


def column_title(spec: str, width: int = 128) -> str:
    """A model spec as a sheet's column title that fits `width` px (the default font: about 6 px a character): a model
    file by its folder and stem, cut from the left when still too long."""
    path = Path(spec)
    name = f"{path.parent.name}/{path.stem}" if path.suffix in (".safetensors", ".ckpt") else spec
    chars = max(4, width // 6)
    return name if len(name) <= chars else ".." + name[-(chars - 2):]


def sheet(rows: list[list[torch.Tensor]], titles: list[str], path: Path, side: int = 128) -> None:
    cells = []
    for row in rows:
        top, left = detailed_window(row[-1], side)
        cells.append([np.asarray((x[0, :, top:top + side, left:left + side].clamp(0, 1) * 255).round().byte().permute(1, 2, 0))
                      for x in row])
    canvas = Image.new("RGB", (len(titles) * (side + 4), 18 + len(rows) * (side + 4)), "white")
    draw = ImageDraw.Draw(canvas)
    for j, title in enumerate(titles):
        draw.text((j * (side + 4) + 2, 3), column_title(title, side), fill="black")
    for i, row in enumerate(cells):
        for j, cell in enumerate(row):
            canvas.paste(Image.fromarray(cell), (j * (side + 4), 18 + i * (side + 4)))
    path.parent.mkdir(parents=True, exist_ok=True)
    canvas.save(path, quality=95)


def studio_rows(methods: dict, shots: list, scale: int = 4) -> dict[str, dict]:
    """Each method on reductions of studio shots: Y PSNR, and the background's largest mean shift per channel."""
    rows = {}
    for name, method in methods.items():
        values, shifts = [], []
        for _, shot, background in shots:
            hr = Image.fromarray((shot[0].permute(1, 2, 0) * 255).round().byte().numpy())
            target = tensor(hr)
            out = (method(tensor(low_resolution(hr, "clean", scale))).clamp(0, 1) * 255).round() / 255
            values.append(scores(out, target, scale)["psnr_y"])
            shifts.append(background_shift(out, target, background))
        rows[name] = {"psnr_y": float(np.mean(values)), "background_shift_max": max(shifts)}
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=SHARED / "benchmarks" / "Set14")
    parser.add_argument("--scale", type=int, choices=(2, 4), default=4, help="the reduction and the models' factor")
    parser.add_argument("--model", action="append", help="a model spec of that factor (repeatable); default: sr4x and "
                                                         "sr4x-clean at x4, sr2x at x2")
    parser.add_argument("--out", type=Path, default=Path("results/sr_bench.json"))
    parser.add_argument("--sheets", type=Path, help="folder for the contact sheet of the compressed inputs")
    parser.add_argument("--natural", type=Path, default=SHARED / "natural-photos", help="studio shots are made from these")
    parser.add_argument("--studio", type=int, default=12, help="studio shots (0: none)")
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        parser.error(f"--data folder not found: {args.data}")
    scale = args.scale
    specs = args.model or (["sr4x", "sr4x-clean"] if scale == 4 else ["sr2x"])
    methods = {"bicubic": baseline_restorer("bicubic", scale)} | {spec: load_restorer(spec) for spec in specs}
    wrong = [spec for spec, method in methods.items() if method.scale != scale]
    if wrong:
        parser.error(f"--model {wrong[0]} enlarges x{methods[wrong[0]].scale}, not x{scale} (--scale)")
    images = sorted(p for p in args.data.iterdir() if p.suffix.lower() in (".png", ".bmp", ".jpg"))
    result, rows = {"images": len(images), "scale": scale, "published_y_clean": PUBLISHED[scale]}, []
    for kind in ("clean", "jpeg40"):
        per = {name: [] for name in methods}
        seconds = {name: 0.0 for name in methods}
        for path in images:
            hr = Image.open(path).convert("RGB")
            hr = hr.crop((0, 0, hr.width - hr.width % scale, hr.height - hr.height % scale))
            small, target = tensor(low_resolution(hr, kind, scale)), tensor(hr)
            outputs = []
            for name, method in methods.items():
                start = time.perf_counter()
                out = method(small)
                seconds[name] += time.perf_counter() - start
                per[name].append(scores(out, target, scale))
                outputs.append(out)
            if kind == "jpeg40":
                rows.append([F.interpolate(small, scale_factor=scale, mode="nearest"), *outputs, target])
        result[kind] = {name: {"psnr_y": float(np.mean([r["psnr_y"] for r in values])),
                               "psnr": float(np.mean([r["psnr"] for r in values])), "seconds": round(seconds[name], 1)}
                        for name, values in per.items()}
        base = result[kind]["bicubic"]["psnr_y"]
        print(f"\nSet14 x{scale}, {kind} ({len(images)} images): Y PSNR ({scale} px border) / RGB PSNR / gain over bicubic (Y)")
        print("| method | Y PSNR | RGB PSNR | gain (Y) |\n|---|---|---|---|")
        for name, row in result[kind].items():
            print(f"| {name} | {row['psnr_y']:.2f} | {row['psnr']:.2f} | {row['psnr_y'] - base:+.2f} |")
    if args.studio and args.natural.is_dir():
        result["studio"] = studio_rows(methods, seeded_studio_shots(args.natural, args.studio), scale)
        print(f"\n{args.studio} studio shots x{scale} (clean): Y PSNR / background shift, largest over shots (8-bit levels)")
        print("| method | Y PSNR | background shift |\n|---|---|---|")
        for name, row in result["studio"].items():
            print(f"| {name} | {row['psnr_y']:.2f} | {row['background_shift_max']:.2f} |")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    if args.sheets is not None:
        sheet(rows, ["JPEG 40 input", *methods, "original"], args.sheets / f"sr{scale}x_set14_jpeg40.jpg")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
