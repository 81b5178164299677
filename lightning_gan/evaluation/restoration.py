"""Scoring restorers (models and classical baselines) on the same seeded degraded photos, or without a reference on a
shop's own photos: the library of `lightning-gan evaluate`."""

from __future__ import annotations

import argparse
import secrets
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torchvision.utils import save_image
from tqdm import tqdm

from lightning_gan.data.datamodule import EVAL_SEED_STRIDE, SAMPLE_ROOT
from lightning_gan.data.degradations import MASK_PRESETS, NOISE_PRESETS, PRESETS, degrade, scale_of
from lightning_gan.data.images import UNREADABLE, ImageRecord, list_split, read_rgb, scan, to_tensor
from lightning_gan.evaluation.metrics import lpips_metric
from lightning_gan.evaluation.scores import (
    mean_scores,
    no_reference_scores,
    scores,
)
from lightning_gan.files import check_number, resolve_device
from lightning_gan.inference import ModelError, Restorer, baseline_restorer, load_restorer
from lightning_gan.inference.baselines import BASELINES, BM3D_MISSING, baselines_for, bm3d_available, bm3d_known, bm3d_oracle


def records_of(data: Path | None, split: str, every: int, limit: int | None) -> list[ImageRecord]:
    data = SAMPLE_ROOT if data is None else data
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
    if getattr(args, "ensemble", 1) != 1:
        methods = [model.with_copies(args.ensemble) for model in methods]
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
    elif "bm3d" in names and noise:  # no single sigma (camera noise): told each photo's true level, its best case
        methods.append(bm3d_oracle(torch.device(device)))
    for method in methods:
        if method.name == "bm3d":
            method.name = "bm3d_blind_sigma"
    if not methods:
        raise ValueError("nothing to evaluate: give --model and/or --baselines")
    return methods


def known_sigmas() -> dict[str, float]:
    """Presets whose evaluation setting is one Gaussian sigma (in [0, 1] units): BM3D can be told it."""
    known = {}
    for name, preset in PRESETS.items():
        steps = preset.steps
        if len(steps) == 1 and steps[0].op.__name__ == "noise":
            low, high = steps[0].eval["sigma"]
            if low == high:
                known[name] = low
    return known


KNOWN_SIGMA = known_sigmas()


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
    return {"data": str(args.data or SAMPLE_ROOT), "split": args.split, "degradation": f"{args.degradation or 'none'} (no reference)",
            "every": args.every,
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
    texture = scale == 1 and args.degradation not in MASK_PRESETS  # same-size repair: was the texture kept?
    megapixels = 0.0  # of the degraded inputs each method processed
    cases = []  # (psnr of the first method, degraded, output, clean)
    photos: dict[str, dict[str, float]] = {}  # photo -> method -> PSNR (Y for super-resolution): what a change moved
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
            totals["input"].append(scores(degraded.image, clean, scale, lpips, degraded.mask, texture))
        megapixels += degraded.image.shape[-2] * degraded.image.shape[-1] / 1e6
        for number, method in enumerate(methods):
            if method.name == "bm3d_oracle_sigma":
                method.set_noise_level(float((degraded.image - clean).std()))
            start = time.perf_counter()
            output = method(degraded.image, degraded.mask, tile=args.tile)
            seconds[method.name] += time.perf_counter() - start
            row = scores(output, clean, scale, lpips, degraded.mask, texture)
            totals[method.name].append(row)
            photos.setdefault(record.path.name, {})[method.name] = round(row.get("psnr_y", row["psnr"]), 3)
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
        "data": str(args.data or SAMPLE_ROOT), "split": args.split, "degradation": args.degradation, "scale": scale,
        "every": args.every, "eval_seed": args.eval_seed, "device": device, "lpips": lpips_note or "computed",
        "skipped": skipped, "rows": rows, "photos": photos, "_cases": cases,
    }


def markdown(result: dict) -> str:
    keys = [k for k in ("psnr", "ssim", "psnr_hole", "ssim_hole", "detail_hole", "psnr_y", "ssim_y", "texture_kept",
                        "texture_energy", "lpips", "luma_change", "detail_ratio",
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
