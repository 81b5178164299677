"""Export a trained checkpoint as a shipped pretrained model (fp16 safetensors + JSON card).

    python scripts/export_pretrained.py CKPT NAME --results results.json --train-minutes 13 --hardware "2-core CPU"
    python scripts/export_pretrained.py CKPT grocery --scores scores.json --train-minutes 128 --hardware "2-core CPU"

Writes lightning_gan/pretrained/NAME.safetensors (the EMA generator) and NAME.json (class, hyper-parameters,
training facts, test scores), then regenerates lightning_gan/pretrained/MODEL_CARD.md from every card.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from lightning_gan.inference import PRETRAINED_DIR, export_pretrained


def earlier_stage(hp: dict) -> str:
    """The card line of a model trained behind an earlier stage (`input_model`), frozen or trained with it."""
    if hp.get("train_input_model"):
        return f"- runs its own `{hp['input_model']}` on its input first (that stage fine-tuned with it, end to end, and saved with it)"
    return f"- runs `{hp['input_model']}` on its input first (it was trained behind it)"


def export(ckpt: Path, name: str, results: list[Path] | Path | None, minutes: float, hardware: str, note: str,
           harm: Path | None = None, out_dir: Path = PRETRAINED_DIR, scores: Path | None = None,
           ood: Path | None = None, settings: dict | None = None) -> dict:
    results = [results] if isinstance(results, Path) else list(results or [])
    checkpoint = torch.load(ckpt, map_location="cpu", weights_only=True)
    data = checkpoint.get("datamodule_hyper_parameters", {})
    facts = {
        "degradation": data.get("degradation"),
        "training": {
            "data": Path(str(data.get("root"))).name, "split": "train (model selection on val)",
            "crops": f"{data.get('image_size')}px native-resolution crops" if data.get("native_crops") else f"{data.get('image_size')}px",
            "epochs": checkpoint["epoch"] + 1, "generator_steps": int(checkpoint["state_dict"]["g_steps"]),
            "minutes": minutes, "hardware": hardware, "checkpoint": str(ckpt),
            # more training folders and their shares of the draws, studio shots, photos left clean
            **{k: data[k] for k in ("mix", "studio_share", "clean_share") if data.get(k)},
        },
        "test": summary_of(results[0]) if results else None,
        "more_tests": [summary_of(r) for r in results[1:]],  # other presets, e.g. camera_noise
        "do_no_harm": json.loads(harm.read_text()) if harm else None,
        "generation": json.loads(scores.read_text()) if scores else None,  # a generator's score-generator JSON
        "out_of_domain": json.loads(ood.read_text()) if ood else None,  # benchmarks/enhance_ood.py JSON
        "note": note,
    }
    card = export_pretrained(ckpt, name, out_dir, without_paths(facts, ckpt))
    if settings:  # inference settings the run did not have (e.g. jpeg_consistency), checked by building the model
        from lightning_gan.models.base import model_class

        card["hparams"].update(settings)
        model_class(card["class_path"])(**card["hparams"])
        (out_dir / f"{name}.json").write_text(json.dumps(card, indent=2))
    return card


def summary_of(results: Path) -> dict:
    """An evaluation's JSON without its per-photo scores (they stay in the evaluation's file, not in the card)."""
    result = json.loads(results.read_text())
    result.pop("photos", None)
    return result


def without_paths(value, ckpt: Path):
    """The card's facts with the checkpoint's path (a folder on the machine that trained it, e.g. /tmp/...) and any
    other absolute path (an evaluation's picture) cut to the file name, in values and keys alike: a shipped card names
    no folder of ours."""
    folder = str(Path(ckpt).parent) + "/"
    if isinstance(value, str):
        value = value.replace(folder, "")
        return Path(value).name if value.startswith("/") and " " not in value else value
    if isinstance(value, dict):
        return {without_paths(k, ckpt): without_paths(v, ckpt) for k, v in value.items()}
    if isinstance(value, list):
        return [without_paths(v, ckpt) for v in value]
    return value


def model_card() -> str:
    lines = ["# Shipped pretrained models", "",
             "EMA generators trained by `benchmarks/train_pretrained.sh`, exported by `scripts/export_pretrained.py`.",
             "Scores: `lightning-gan evaluate` on the Grocery Store test split (whole photos, seeded evaluation degradation).", ""]
    for path in sorted(PRETRAINED_DIR.glob("*.json")):
        card = json.loads(path.read_text())
        t = card["training"]
        hp = card["hparams"]
        tone = hp.get("generator") in ("tone", "guarded_tone")
        keys = ("generator", "width", "knots", "thumb", "tone_guards") if tone else ("generator", "width", "blocks")
        keys += ("level_blocks",) if hp.get("generator") == "nafnet" else ()  # only NAFNet bodies have levels
        shape = ", ".join(f"{k}={hp[k]}" for k in (*keys, "scale", "use_mask", "noise_map", "discriminator") if k in hp)
        if card.get("generation"):
            shape = ", ".join(f"{k}={hp[k]}" for k in ("generator", "discriminator", "g_width", "latent_dim", "image_size") if k in hp)
            shape += f", {len(hp.get('classes') or [])} classes" if hp.get("classes") else ""
        what = f"degradation: `{card['degradation']}`; data" if card.get("degradation") else "data"
        lines += [f"## `{card['name']}`", "",
                  f"- model: {card['class_path'].rsplit('.', 1)[-1]} ({shape})",
                  *([earlier_stage(hp)] if hp.get("input_model") else []),
                  f"- {what}: {t['data']}, {t['split']}, {t['crops']}",
                  f"- training: {t['epochs']} epochs, {t['generator_steps']} generator steps, {t['minutes']} min on {t['hardware']}",
                  *([f"- training mix: {t['data']} plus " + ", ".join(f"{Path(k).name} ({v:.0%} of draws)" for k, v in t["mix"].items())]
                    if t.get("mix") else []),
                  *([f"- {t['studio_share']:.0%} of training photos made studio shots, {t.get('clean_share', 0):.0%} left clean"]
                    if t.get("studio_share") else []),
                  f"- size: {(PRETRAINED_DIR / (card['name'] + '.safetensors')).stat().st_size / 1e6:.1f} MB (fp16)"]
        if card.get("note"):
            lines.append(f"- note: {card['note']}")
        lines += generation_lines(card.get("generation"))
        for test in [card["test"]] * bool(card.get("test")) + card.get("more_tests", []):
            keys = [k for k in ("psnr", "ssim", "psnr_y", "ssim_y", "psnr_hole", "ssim_hole", "detail_hole") if k in test["rows"][0]]
            lines += ["", f"Test split, every {test['every']}th photo ({test['rows'][0]['images']} photos), "
                      f"`{test.get('degradation')}`:", "",
                      "| method | " + " | ".join(keys) + " |", "|---" * (len(keys) + 1) + "|"]
            for row in test["rows"]:
                this = row["method"].endswith((".ckpt", ".safetensors")) or row["method"] == card["name"]
                method = f"**{card['name']}** (this model)" if this else row["method"]
                lines.append(f"| {method} | " + " | ".join(_cell(k, row[k]) for k in keys) + " |")
        harm = card.get("do_no_harm")
        if harm:
            row = next(r for r in harm["rows"] if r["method"] != "input")
            lines += ["", f"Do no harm (clean test photos in, `--degradation none`): PSNR {row['psnr']:.2f} dB, "
                      f"SSIM {row['ssim']:.4f} against the photos themselves ({row['images']} photos)."]
        lines += ood_lines(card.get("out_of_domain"))
        lines.append("")
    return "\n".join(lines + classifier_lines())


OOD_TITLES = {
    "kodak_clean": "Kodak24 clean (do no harm: PSNR against the photo)",
    "studio": "Studio shots on white / light grey made from the natural photos (background shift in 8-bit grey levels)",
    "darkened": "Kodak24 darkened by `lowlight` (new clipping in pp, pixels at black in %, a*b* cast against the original)",
}


def ood_lines(ood: dict | None) -> list[str]:
    """`benchmarks/enhance_ood.py` tables (photos unlike the training photos), or `benchmarks/dejpeg_bench.py`'s."""
    if not ood:
        return []
    if "colour" in ood:
        return jpeg_lines(ood)
    if "published" in ood:
        return denoise_lines(ood)
    if "published_y_clean" in ood:
        return sr_lines(ood)
    lines = []
    for key, title in OOD_TITLES.items():
        rows = ood[key]
        columns = list(next(iter(rows.values())))
        lines += ["", f"{title}, `benchmarks/enhance_ood.py`:", "", "| method | " + " | ".join(columns) + " |",
                  "|---" * (len(columns) + 1) + "|"]
        for method, row in rows.items():
            cells = [f"{v:.2f}" if isinstance(v, float) else str(v) for v in row.values()]
            lines.append(f"| {method} | " + " | ".join(cells) + " |")
    return lines


def sr_lines(bench: dict) -> list[str]:
    """`benchmarks/sr_bench.py`: Set14 clean and JPEG 40 with published figures, and studio shots on white."""
    def name(row: str) -> str:
        return "this model" if ".safetensors" in row or ".ckpt" in row else row

    scale = bench["scale"]
    lines = ["", f"Set14 ({bench['images']} images) x{scale}, Y PSNR (RGB PSNR), `benchmarks/sr_bench.py --scale {scale}`:",
             "", "| method | clean | JPEG 40 after the downscale |", "|---|---|---|"]
    for row, clean in bench["clean"].items():
        jpeg = bench["jpeg40"][row]
        lines.append(f"| {name(row)} | {clean['psnr_y']:.2f} ({clean['psnr']:.2f}) | "
                     f"{jpeg['psnr_y']:.2f} ({jpeg['psnr']:.2f}) |")
    for method, figure in bench["published_y_clean"].items():
        lines.append(f"| {method}, published | {figure:.2f} | |")
    for row, r in bench.get("studio", {}).items():
        lines += ["", f"Studio shots on white / light grey, clean x{scale} ({name(row)}): Y PSNR {r['psnr_y']:.2f} dB, "
                      f"background moved at most {r['background_shift_max']:.2f} grey levels."]
    return lines


def denoise_lines(bench: dict) -> list[str]:
    """`benchmarks/denoise_bench.py`: Kodak24 with Gaussian noise, the published table, clean photos and studio shots."""
    def name(row: str) -> str:
        this = ".safetensors" in row or ".ckpt" in row or row.startswith("denoise (")
        return "this model" + row[row.index(" ("):] if this else row

    sigmas = list(next(iter(bench["rows"].values()))["psnr"])
    lines = ["", f"Kodak24 ({bench['photos']} photos) with Gaussian noise, RGB PSNR, `benchmarks/denoise_bench.py`:", "",
             "| method | " + " | ".join(f"sigma {s}" for s in sigmas) + " | s/MP |", "|---" * (len(sigmas) + 2) + "|"]
    for row, r in bench["rows"].items():
        if row.startswith("CBM3D") and bench["bm3d_photos"] < bench["photos"]:
            continue
        seconds = f"{r['seconds_per_megapixel']:.1f}" if r.get("seconds_per_megapixel") else ""
        lines.append(f"| {name(row)} | " + " | ".join(f"{r['psnr'][s]:.2f}" for s in sigmas) + f" | {seconds} |")
    for method, figures in bench["published"].items():
        lines.append(f"| {method}, published | " + " | ".join(f"{figures[s]:.2f}" for s in sigmas) + " | |")
    for key, title in (("clean", "Kodak24 clean"), ("studio", "studio shots on white / light grey")):
        for row, r in bench.get(key, {}).items():
            who = "this model" if ".safetensors" in row or ".ckpt" in row or row == "denoise" else row
            lines += ["", f"{title} in ({who}, blind): mean {r['mean']:.2f} dB, worst {r['worst']:.2f} dB against "
                          "themselves (100 = returned exactly)."]
    return lines


def jpeg_lines(bench: dict) -> list[str]:
    """`benchmarks/dejpeg_bench.py`: Kodak24 saved as JPEG at several qualities, PSNR against the PNG."""
    lines = ["", "Kodak24 as colour JPEG (Pillow, 4:2:0), `benchmarks/dejpeg_bench.py`, PSNR against the PNG:", "",
             "| quality | JPEG RGB | this model RGB | gain | JPEG Y | this model Y |", "|---|---|---|---|---|---|"]
    for quality, r in bench["colour"].items():
        lines.append(f"| {quality} | {r['jpeg_rgb']:.2f} | {r['model_rgb']:.2f} | {r['model_rgb'] - r['jpeg_rgb']:+.2f} | "
                     f"{r['jpeg_y']:.2f} | {r['model_y']:.2f} |")
    titles = {"kodak": "Kodak24 PNGs (never compressed)", "studio": "studio shots on white / light grey"}
    for key, r in bench.get("clean", {}).items():
        shift = f", background moved at most {r['background_shift_max']:.2f} grey levels" if "background_shift_max" in r else ""
        lines += ["", f"Do no harm, {titles.get(key, key)} in: mean {r['mean']:.2f} dB, worst {r['worst']:.2f} dB "
                      f"({r['worst_photo']}) against themselves (100 = returned exactly){shift}."]
    return lines


def _cell(key: str, value: float) -> str:
    return f"{value:.4f}" if "ssim" in key else f"{value:.3f}" if key == "detail_hole" else f"{value:.2f}"


def generation_lines(scores: dict | None) -> list[str]:
    """A generator's test scores (`lightning-gan score-generator`) as a table."""
    if not scores:
        return []
    lines = ["", f"`lightning-gan score-generator` on the {scores['split']} split ({scores['images']} photos, "
            f"{scores['size']} px, features of `{scores['classifier']}`):", "",
            "| images | domain FID | domain KID | GAN-test accuracy | diversity / real (features) | diversity / real (SSIM) | SWD |",
            "|---|---|---|---|---|---|---|",
            f"| this model's samples | {scores['domain_fid']:.2f} | {scores['domain_kid']:.4f} | "
            f"{scores.get('gan_test_accuracy', float('nan')):.3f} | {scores['diversity_ratio']:.3f} | "
            f"{scores.get('ssim_diversity_ratio', float('nan')):.3f} | {scores['swd']:.1f} |"]
    floor = scores.get("floor_train_photos")
    if floor:
        lines.append(f"| real train photos (floor) | {floor['domain_fid']:.2f} | {floor['domain_kid']:.4f} | "
                     f"{scores['classifier_accuracy_real']:.3f} (real test photos) | 1 | 1 | {floor['swd']:.1f} |")
    return lines


def classifier_lines() -> list[str]:
    """The shipped domain classifier (pretrained/domain/), the feature space of the generation scores."""
    lines = []
    for path in sorted((PRETRAINED_DIR / "domain").glob("*.json")):
        card = json.loads(path.read_text())
        t = card["training"]
        lines += [f"## `domain/{card['name']}` (feature extractor for generation metrics)", "",
                  f"- model: ProductClassifier (width={card['width']}, blocks={card['blocks']}), {card['image_size']} px, "
                  f"{len(card['classes'])} {card['label']} classes",
                  f"- training: `lightning-gan train-classifier`, {t['epochs']} epochs, {t['minutes']} min on {t['device']}, "
                  f"best val epoch {card['best_epoch']}",
                  f"- size: {path.with_suffix('.safetensors').stat().st_size / 1e6:.1f} MB (fp16)",
                  f"- accuracy: val {card['val_accuracy']:.3f}, **test {card['test_accuracy']:.3f}** (Grocery Store test split)", ""]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoint", type=Path)
    parser.add_argument("name")
    parser.add_argument("--results", type=Path, nargs="+",
                        help="the evaluate JSON(s) of this checkpoint on the test split, one per preset")
    parser.add_argument("--train-minutes", type=float, required=True)
    parser.add_argument("--hardware", required=True)
    parser.add_argument("--note", default="")
    parser.add_argument("--harm", type=Path, help="the evaluate JSON of this checkpoint with --degradation none")
    parser.add_argument("--scores", type=Path, help="a generator's `lightning-gan score-generator` JSON on the test split")
    parser.add_argument("--ood", type=Path, help="benchmarks/enhance_ood.py (or dejpeg_bench.py) JSON of this checkpoint "
                        "(photos unlike the training photos)")
    parser.add_argument("--set", nargs="+", default=[], metavar="KEY=JSON",
                        help="inference settings for the card's hyper-parameters, e.g. jpeg_consistency=true")
    parser.add_argument("--out-dir", type=Path, default=PRETRAINED_DIR,
                        help="where to write (default: the package's pretrained/ folder, whose MODEL_CARD.md is then rebuilt)")
    args = parser.parse_args()
    settings = {key: json.loads(value) for key, value in (item.split("=", 1) for item in args.set)}
    export(args.checkpoint, args.name, args.results, args.train_minutes, args.hardware, args.note, args.harm, args.out_dir,
           args.scores, args.ood, settings)
    if args.out_dir.resolve() == PRETRAINED_DIR.resolve():
        (PRETRAINED_DIR / "MODEL_CARD.md").write_text(model_card())
    print(f"exported {args.name} to {args.out_dir}")


if __name__ == "__main__":
    main()
