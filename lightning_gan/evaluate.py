"""`lightning-gan evaluate`: score models and classical baselines on the same seeded degraded photos.

    lightning-gan evaluate --model denoise --data ../shared/data/grocery-store --degradation noise --baselines all

Whole images (not crops), each degraded with the preset's fixed evaluation setting and its own seed. PSNR and SSIM
on RGB in [0, 1]; for super-resolution also on the Y channel (BT.601) with a border of `scale` pixels cropped, the
protocol of the SR papers; LPIPS when its backbone weights are in the torch hub cache. Writes a JSON file, prints a
Markdown table, and saves a PNG of the worst and best case of the first model.

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
import secrets
import sys
import time
from pathlib import Path

import kornia
import torch
import torch.nn.functional as F
from torchmetrics.functional.image import peak_signal_noise_ratio, structural_similarity_index_measure
from torchvision.utils import save_image
from tqdm import tqdm

from lightning_gan.baselines import BASELINES, BM3D_MISSING, baselines_for, bm3d_available, bm3d_known
from lightning_gan.data.datamodule import EVAL_SEED_STRIDE, SAMPLE_ROOT
from lightning_gan.data.degradations import MASK_PRESETS, PRESETS, degrade, scale_of
from lightning_gan.data.images import UNREADABLE, ImageRecord, list_split, read_rgb, scan, to_tensor
from lightning_gan.files import TILE, TOOL_ERRORS, atomic_path, check_number, resolve_device, tool_error
from lightning_gan.inference import ModelError, Restorer, baseline_restorer, load_restorer
from lightning_gan.metrics import lpips_metric


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lightning-gan evaluate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", action="append", default=[], help="checkpoint, shipped model or baseline name (repeatable)")
    parser.add_argument("--data", type=Path, default=SAMPLE_ROOT, help="image folder (default: the embedded sample)")
    parser.add_argument("--split", default="test", choices=["train", "val", "test"], help="split of a folder that has splits")
    parser.add_argument("--degradation", help=f"preset: {', '.join(PRESETS)} (required unless --no-reference)")
    parser.add_argument("--no-reference", action="store_true",
                        help="score what each method does to the photos, without clean references: luma change, detail ratio, "
                             "colour cast (with --degradation: to the degraded photos)")
    parser.add_argument("--baselines", default="", help="'all' (those that fit the task) or a comma list")
    parser.add_argument("--strength", type=float, default=1.0, help="noise-level-aware --model(s): scale of the estimated "
                        "noise level, as `enhance --strength` (the rows are named MODEL@S when S is not 1)")
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


def luma(x: torch.Tensor) -> torch.Tensor:
    """ITU-R BT.601 Y in [0, 1] (MATLAB's rgb2ycbcr, used by the SR papers)."""
    r, g, b = x[:, 0:1], x[:, 1:2], x[:, 2:3]
    return (16.0 + 65.481 * r + 128.553 * g + 24.966 * b) / 255.0


def laplacian(x: torch.Tensor) -> torch.Tensor:
    """3x3 Laplacian of luma: the fine detail that `detail` and `hole_scores` measure."""
    return kornia.filters.laplacian(luma(x), 3)


def mean_scores(rows: list[dict[str, float]]) -> dict[str, float]:
    """Each score's mean over the images that have it (a hole score is missing where a mask was empty)."""
    keys = dict.fromkeys(k for r in rows for k in r)
    return {k: sum(r[k] for r in rows if k in r) / sum(k in r for r in rows) for k in keys}


def hole_scores(output: torch.Tensor, clean: torch.Tensor, mask: torch.Tensor) -> dict[str, float]:
    """PSNR and SSIM inside the hole only (outside it an inpainter returns the photo): what the fill is worth.

    `detail_hole`: the fill's fine detail relative to the photo's in the same place (mean squared Laplacian of luma
    inside the hole, its 1-pixel rim left out so the seam does not count). A diffusion fill solves Laplace's
    equation, so it scores about 0; a fill with the photo's amount of texture scores about 1. It says how much
    detail there is, not whether it is the right detail: read it beside the PSNR, which rewards a blur."""
    inside = mask.expand_as(output) > 0.5
    mse = ((output - clean) ** 2)[inside].mean().clamp_min(1e-10)
    ssim_map = kornia.metrics.ssim(output, clean, 11)
    row = {"psnr_hole": (10 * torch.log10(1 / mse)).item(), "ssim_hole": ssim_map[inside].mean().item()}
    interior = -F.max_pool2d(-(mask > 0.5).float(), 3, 1, 1) > 0.5  # eroded by one pixel
    if interior.any():
        energy = [laplacian(x)[interior].square().mean() for x in (output, clean)]
        row["detail_hole"] = (energy[0] / energy[1].clamp_min(1e-10)).item()
    return row


def scores(output: torch.Tensor, clean: torch.Tensor, scale: int, lpips, mask: torch.Tensor | None = None) -> dict[str, float]:
    row = {
        "psnr": peak_signal_noise_ratio(output, clean, data_range=1.0).item(),
        "ssim": structural_similarity_index_measure(output, clean, data_range=1.0).item(),
    }
    if mask is not None and mask.sum() > 0:
        row |= hole_scores(output, clean, mask)
    if scale > 1:
        crop = (..., slice(scale, -scale), slice(scale, -scale))
        y_out, y_clean = luma(output)[crop], luma(clean)[crop]
        row["psnr_y"] = peak_signal_noise_ratio(y_out, y_clean, data_range=1.0).item()
        row["ssim_y"] = structural_similarity_index_measure(y_out, y_clean, data_range=1.0).item()
    if lpips is not None:
        row["lpips"] = lpips(output * 2 - 1, clean * 2 - 1).item()
    return row


def records_of(data: Path, split: str, every: int, limit: int | None) -> list[ImageRecord]:
    if not data.is_dir():
        raise FileNotFoundError(f"--data folder not found: {data}")
    has_splits = any((data / s).is_dir() or (data / f"{s}.txt").is_file() for s in ("train", "val", "test"))
    records = list_split(data, split) if has_splits else [ImageRecord(p, "", "") for p in scan(data)]
    records = records[::every][:limit]
    if not records:
        raise ValueError(f"no images in {data}" + (f" (split {split})" if has_splits else ""))
    return records


def restorers(args: argparse.Namespace, scale: int, has_mask: bool, device: str) -> list[Restorer]:
    methods = [load_restorer(spec, device, args.strength) for spec in args.model]
    if args.strength != 1.0:
        for model in methods:
            model.name = f"{model.name}@{args.strength:g}"
    for model in methods:
        if model.name not in BASELINES and model.scale != scale:
            raise ModelError(f"{model.name} works at scale x{model.scale} but --degradation {args.degradation} is x{scale}")
    noise = args.degradation in NOISE_PRESETS
    if args.baselines == "all" and noise and not bm3d_available():
        print(f"note: no bm3d row: {BM3D_MISSING}", file=sys.stderr)
    names = baselines_for(scale, has_mask, noise) if args.baselines == "all" else [n for n in args.baselines.split(",") if n]
    for name in names:
        if name not in BASELINES:
            raise ModelError(f"--baselines: unknown baseline {name!r}; known: {', '.join(BASELINES)}")
        if name == "bm3d" and not bm3d_available():
            raise ModelError(f"--baselines bm3d: {BM3D_MISSING}")
    methods += [baseline_restorer(n, scale, device) for n in names if n not in args.model]
    sigma = KNOWN_SIGMA.get(args.degradation)
    if "bm3d" in names and sigma is not None:  # also told the true level: the literature's setting
        methods.append(Restorer(f"bm3d_known_sigma{sigma * 255:g}", bm3d_known(sigma), 1, False, torch.device(device)))
    for method in methods:
        if method.name == "bm3d":
            method.name = "bm3d_blind_sigma"
    if not methods:
        raise ValueError("nothing to evaluate: give --model and/or --baselines")
    return methods


NOISE_PRESETS = ("noise", "camera_noise", "noise_mix")  # presets whose rows include BM3D (when installed)


def known_sigmas() -> dict[str, float]:
    """Presets whose evaluation setting is one Gaussian sigma (in [0, 1] units): BM3D can be told it."""
    from lightning_gan.data.degradations import PRESETS as steps

    known = {}
    for name, preset in steps.items():
        if len(preset) == 1 and preset[0].op.__name__ == "noise":
            low, high = preset[0].eval["sigma"]
            if low == high:
                known[name] = low
    return known


KNOWN_SIGMA = known_sigmas()


def luma_mean(x: torch.Tensor) -> torch.Tensor:
    return luma(x).mean(dim=(1, 2, 3))


def detail(x: torch.Tensor) -> torch.Tensor:
    """Variance of the Laplacian of luma, per image: a standard sharpness / fine-detail measure."""
    return laplacian(x).var(dim=(1, 2, 3))


def chromaticity(x: torch.Tensor) -> torch.Tensor:
    """(r, g) / (r + g + b) of each image's mean colour: unchanged by a gain that brightens all channels alike."""
    mean = x.mean(dim=(2, 3))
    return mean[:, :2] / mean.sum(dim=1, keepdim=True).clamp_min(1e-6)


WHITE = 254.5 / 255  # a channel that rounds to 255 in 8 bits is clipped
BLACK = 2 / 255  # luma at or below which a pixel reads as black


def clipped_share(x: torch.Tensor) -> torch.Tensor:
    """Per image, the share of pixels with a channel at 8-bit white (255)."""
    return (x.amax(dim=1) >= WHITE).float().mean(dim=(1, 2))


def black_share(x: torch.Tensor) -> torch.Tensor:
    """Per image, the share of pixels whose luma (full-range BT.601) is at most 2/255: shadows with nothing left."""
    full_range = 0.299 * x[:, 0] + 0.587 * x[:, 1] + 0.114 * x[:, 2]
    return (full_range <= BLACK).float().mean(dim=(1, 2))


def no_reference_scores(output: torch.Tensor, photo: torch.Tensor) -> dict[str, float]:
    """What a method did to a photo, judged without a clean reference."""
    return {
        "luma_change": (luma_mean(output) - luma_mean(photo)).mean().item(),
        "detail_ratio": (detail(output) / detail(photo).clamp_min(1e-8)).mean().item(),
        "color_cast": (chromaticity(output) - chromaticity(photo)).norm(dim=1).mean().item(),
        "new_clipping_pp": 100 * (clipped_share(output) - clipped_share(photo)).mean().item(),
        "black_percent": 100 * black_share(output).mean().item(),
    }


def evaluate_no_reference(args: argparse.Namespace) -> dict:
    device = resolve_device(args.device)
    if args.degradation is not None and (args.degradation not in PRESETS or scale_of(args.degradation) != 1
                                         or args.degradation in MASK_PRESETS):
        raise ValueError(f"--degradation {args.degradation!r}: with --no-reference, a same-size preset without a mask")
    records = records_of(args.data, args.split, args.every, args.limit)
    methods = restorers(args, 1, False, device)
    totals: dict[str, list[dict]] = {m.name: [] for m in methods}
    cases, skipped = [], []
    for index, record in enumerate(tqdm(records, desc="evaluate (no reference)", unit="img")):
        photo = read_photo(record.path, device, skipped)
        if photo is None:
            continue
        if min(photo.shape[-2:]) < 3:
            skipped.append(f"{record.path}: too small ({photo.shape[-1]}x{photo.shape[-2]})")
            continue
        if args.degradation is not None:  # e.g. darkened photos: what does a method do to them, judged on its own?
            photo = degrade(photo, args.degradation, seeds=torch.tensor([args.eval_seed * EVAL_SEED_STRIDE + index])).image
        for number, method in enumerate(methods):
            output = method(photo, None, tile=args.tile)
            row = no_reference_scores(output, photo)
            totals[method.name].append(row)
            if number == 0:
                cases.append((row["detail_ratio"], photo.cpu(), output.cpu(), photo.cpu(), str(record.path)))
    if not cases:
        raise ValueError("no readable image to evaluate")
    rows = [{"method": name, **{k: sum(r[k] for r in per) / len(per) for k in per[0]}, "images": len(per)}
            for name, per in totals.items()]
    return {"data": str(args.data), "split": args.split, "degradation": f"{args.degradation or 'none'} (no reference)", "every": args.every,
            "device": device, "skipped": skipped, "rows": rows, "_cases": cases}


MIN_SIDE = 11  # SSIM's 11x11 Gaussian window


def read_photo(path: Path, device: str, skipped: list[str]) -> torch.Tensor | None:
    """(1, 3, H, W) in [0, 1], or None with the reason appended to `skipped` (one bad file never stops a run)."""
    try:
        return to_tensor(read_rgb(path))[None].float().div(255).to(device)
    except UNREADABLE as error:
        skipped.append(f"{path}: {error}")
        return None


def check_writable(out: Path, overwrite: bool) -> None:
    """Refuse an existing --out (without --overwrite) or an unwritable folder now, not after all the work."""
    if out.exists() and not overwrite:
        raise FileExistsError(f"{out} exists; choose another --out or pass --overwrite")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        probe = out.with_name(f".{out.name}.probe")
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        raise ValueError(f"--out {out}: cannot write there ({error.strerror or error})") from error


def evaluate(args: argparse.Namespace) -> dict:
    check_number("--strength", args.strength, low=0)
    check_number("--every", args.every, low=1)
    check_number("--limit", args.limit, low=1)
    check_number("--tile", args.tile, low=32)
    check_writable(args.out, args.overwrite)
    if args.no_reference:
        return evaluate_no_reference(args)
    if args.degradation is None:
        raise ValueError("--degradation is required (or --no-reference to score photos without clean references)")
    if args.degradation not in PRESETS:
        raise ValueError(f"--degradation {args.degradation!r} is unknown; known presets: {', '.join(PRESETS)}")
    device = resolve_device(args.device)
    scale = scale_of(args.degradation)
    records = records_of(args.data, args.split, args.every, args.limit)
    methods = restorers(args, scale, args.degradation in MASK_PRESETS, device)
    lpips, lpips_note = lpips_metric(device)
    if lpips_note:
        print(f"note: {lpips_note}", file=sys.stderr)
    totals: dict[str, list[dict]] = {m.name: [] for m in methods}
    if scale == 1:
        totals["input"] = []
    seconds = {m.name: 0.0 for m in methods}
    megapixels = 0.0  # of the degraded inputs each method processed
    cases = []  # (psnr of the first method, degraded, output, clean)
    skipped = []
    for index, record in enumerate(tqdm(records, desc="evaluate", unit="img")):
        clean = read_photo(record.path, device, skipped)
        if clean is None:
            continue
        height, width = (clean.shape[-2] // scale) * scale, (clean.shape[-1] // scale) * scale
        if min(height, width) < max(MIN_SIDE, 2 * scale):
            skipped.append(f"{record.path}: too small ({clean.shape[-1]}x{clean.shape[-2]}; scoring needs at least "
                           f"{max(MIN_SIDE, 2 * scale)} px a side)")
            continue
        clean = clean[..., :height, :width]  # SR protocol: crop to a multiple of the scale
        degraded = degrade(clean, args.degradation, seeds=torch.tensor([args.eval_seed * EVAL_SEED_STRIDE + index]))
        if scale == 1:
            totals["input"].append(scores(degraded.image, clean, scale, lpips, degraded.mask))
        megapixels += degraded.image.shape[-2] * degraded.image.shape[-1] / 1e6
        for number, method in enumerate(methods):
            start = time.perf_counter()
            output = method(degraded.image, degraded.mask, tile=args.tile)
            seconds[method.name] += time.perf_counter() - start
            row = scores(output, clean, scale, lpips, degraded.mask)
            totals[method.name].append(row)
            if number == 0:
                cases.append((row["psnr"], degraded.image.cpu(), output.cpu(), clean.cpu(), str(record.path)))
    if not cases:
        raise ValueError("no readable image to evaluate")
    rows = []
    for name, per_image in totals.items():
        row = {"method": name, **mean_scores(per_image)}
        row["images"] = len(per_image)
        if name in seconds:
            row["seconds_per_image"] = seconds[name] / len(per_image)
            row["seconds_per_megapixel"] = seconds[name] / megapixels  # this machine's CPU/GPU, as run
        rows.append(row)
    rows.sort(key=lambda r: -r.get("psnr_y", r["psnr"]))
    return {
        "data": str(args.data), "split": args.split, "degradation": args.degradation, "scale": scale,
        "every": args.every, "eval_seed": args.eval_seed, "device": device, "lpips": lpips_note or "computed",
        "skipped": skipped, "rows": rows, "_cases": cases,
    }


def markdown(result: dict) -> str:
    keys = [k for k in ("psnr", "ssim", "psnr_hole", "ssim_hole", "detail_hole", "psnr_y", "ssim_y", "lpips", "luma_change", "detail_ratio",
                        "color_cast", "new_clipping_pp", "black_percent")
            if k in result["rows"][0]]
    timed = any("seconds_per_megapixel" in row for row in result["rows"])
    lines = [f"| method | {' | '.join(keys)} |{' s / MP |' if timed else ''} images |",
             "|---" * (len(keys) + 2 + timed) + "|"]
    for row in result["rows"]:
        cells = [f"{row[k]:.2f}" if k.startswith(("psnr", "new_", "black")) else f"{row[k]:.4f}" for k in keys]
        if timed:
            cells.append(f"{row['seconds_per_megapixel']:.2f}" if "seconds_per_megapixel" in row else "-")
        lines.append(f"| {row['method']} | " + " | ".join(cells) + f" | {row['images']} |")
    return "\n".join(lines)


def save_cases(cases: list, path: Path) -> None:
    """Worst and best image of the first method: degraded | output | clean, each scaled to 256 px high."""
    ordered = sorted(cases, key=lambda c: c[0])
    picks = [ordered[0], ordered[-1]] if len(ordered) > 1 else ordered[:1]
    tiles = []
    for _, degraded, output, clean, _ in picks:
        for image in (degraded, output, clean):
            h, w = image.shape[-2:]
            tiles.append(F.interpolate(image, size=(256, max(1, round(256 * w / h))), mode="bicubic", align_corners=False))
    width = max(t.shape[-1] for t in tiles)
    tiles = [F.pad(t, (0, width - t.shape[-1])) for t in tiles]
    save_image(torch.cat(tiles).clamp(0, 1), path, nrow=3, padding=4, pad_value=1.0)


def wandb_tag(text: str) -> str:
    """W&B refuses tags over 64 characters: a long checkpoint path keeps as many of its last components as fit."""
    if len(text) <= 64:
        return text
    parts = Path(text).parts
    tag = parts[-1]
    for part in reversed(parts[:-1]):
        if len(part) + 1 + len(tag) > 64:
            break
        tag = f"{part}/{tag}"
    return tag[-64:]


def log_to_wandb(result: dict, args: argparse.Namespace) -> None:
    """The result rows as a W&B table in a run of job_type eval, grouped by degradation preset."""
    if args.wandb == "disabled":
        return
    import wandb

    folder = args.out.parent.resolve()
    config = {k: result.get(k) for k in ("data", "split", "degradation", "scale", "every", "eval_seed", "device")}
    run = wandb.init(project=args.wandb_project, dir=str(folder), mode=args.wandb, job_type="eval",
                     name=f"evaluate/{result['degradation']}/{args.out.stem}-{secrets.token_hex(3)}",
                     group=f"evaluate-{result['degradation']}", tags=[wandb_tag(t) for t in (result["degradation"], *args.model)],
                     config=config | {"models": list(args.model), "methods": [r["method"] for r in result["rows"]]})
    keys = sorted({k for row in result["rows"] for k in row})
    table = wandb.Table(columns=keys, data=[[row.get(k) for k in keys] for row in result["rows"]])
    run.log({"evaluation": table})
    for row in result["rows"]:  # per-method numbers in the summary: the runs table can show and sort them
        for key, value in row.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                run.summary[f"{row['method']}/{key}"] = value
    run.finish()
    where = f" (upload: wandb sync {run.dir.rsplit('/files', 1)[0]})" if args.wandb == "offline" else ""
    print(f"W&B run: {run.id}{where}")


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    try:
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
