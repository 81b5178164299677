"""`lightning-gan score-generator`: how recognisable and how varied a generator's products are, offline.

    lightning-gan score-generator --model grocery --data ../shared/data/grocery-store --out results/grocery.json

Scores a shipped generator, an exported .safetensors or a DCGAN / ConditionalGAN checkpoint against the photos of
one split (default test), at the generator's size, in the feature space of the shipped domain classifier
(`lightning_gan.evaluation.domain`): domain FID and KID (one sample per real photo, with that photo's class when the
generator is conditional), GAN-test accuracy beside the classifier's accuracy on the real photos, intra-class
diversity of `--per-class` samples against the real photos of each class (in classifier features, and as 1 - mean
pairwise SSIM, AC-GAN's collapse measure), and SWD; beside them the floor: the same
distances for real train photos in place of samples. GAN-test is also given as a share of the classifier's
accuracy on real photos (`gan_test_ratio`, overall and per class). Writes the JSON and a grid (one row per class:
`--grid-classes` rows evenly spread or the classes named; `--grid-upscale sr4x-clean` for catalogue size).

    lightning-gan score-generator --model grocery --data ../shared/data/grocery-store --grid grid.png \
        --grid-classes Banana,Aubergine,Carrots,Pineapple,Milk,Apple --grid-upscale sr4x-clean
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from lightning_gan.files import TOOL_ERRORS, atomic_path, check_number, resolve_device, tool_error


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lightning-gan score-generator", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="shipped generator name, .safetensors or checkpoint")
    parser.add_argument("--data", required=True, help="photo folder with splits (Grocery Store layout)")
    parser.add_argument("--split", default="test", choices=["train", "val", "test"])
    parser.add_argument("--per-class", type=int, default=32, help="samples per class for GAN-test and diversity")
    parser.add_argument("--classifier", type=Path, default=None, help="domain classifier .safetensors (default: shipped)")
    parser.add_argument("--out", type=Path, default=None, help="JSON to write (default: print only)")
    parser.add_argument("--grid", type=Path, default=None, help="PNG grid to write: one row per class")
    parser.add_argument("--grid-classes", type=grid_classes, default=12,
                        help="rows in the grid: a number (classes evenly spread) or class names, comma-separated")
    parser.add_argument("--grid-upscale", metavar="MODEL", default=None,
                        help="enlarge the grid's samples and photos with this super-resolution model (e.g. "
                             "sr4x-clean: 64 px to 256 px, catalogue size)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--truncation", type=float, default=None, metavar="T",
                        help="score samples drawn with the truncation trick at T, as `generate --truncation`")
    parser.add_argument("--cache-dir", default=None, help="decode cache folder")
    parser.add_argument("--device", default="auto", help="cpu, cuda, or auto")
    parser.add_argument("--overwrite", action="store_true", help="replace existing --out / --grid files")
    return parser


def grid_classes(text: str) -> int | list[str]:
    if text.strip().isdigit():
        return int(text)
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise argparse.ArgumentTypeError(f"{text!r}: give a number of rows or class names, comma-separated")
    return names


def run(args: argparse.Namespace) -> dict:
    for path in (args.out, args.grid):
        if path is not None and path.exists() and not args.overwrite:
            raise FileExistsError(f"{path} exists; use --overwrite or another name")
    if args.per_class < 2:
        raise ValueError(f"--per-class must be at least 2 (diversity needs pairs), got {args.per_class}")
    check_number("--truncation", args.truncation, low=0.1)
    import torch

    from lightning_gan.evaluation.domain import load_domain_classifier
    from lightning_gan.evaluation.generator_scores import grid_of, real_photos, score
    from lightning_gan.evaluation.metrics import generation_metrics
    from lightning_gan.inference.generation import load_generator_model, upscaler

    device = resolve_device(args.device)
    enlarge = upscaler(args.grid_upscale, device) if args.grid_upscale else None  # a bad name fails before any work
    model = load_generator_model(args.model, device)
    if isinstance(args.grid_classes, list):  # named rows: checked before minutes of scoring
        known = list(getattr(model, "classes", None) or [])
        unknown = [n for n in args.grid_classes if n not in known]
        if unknown:
            raise ValueError(f"--grid-classes: {args.model} does not generate {', '.join(unknown)}"
                             + (f"; its classes: {', '.join(known)}" if known else " (it is not conditional)"))
    classifier = load_domain_classifier(args.classifier, device)
    size = int(model.hparams.image_size)
    start = time.perf_counter()
    real, labels, data_classes = real_photos(args.data, args.split, size, classifier.card.get("label", "coarse"), args.cache_dir)
    result, samples = score(model, classifier, real.to(device), labels, data_classes, args.per_class, args.seed,
                            args.truncation)
    if args.split != "train":  # the floor: real train photos scored as if they were samples
        train, _, _ = real_photos(args.data, "train", size, classifier.card.get("label", "coarse"), args.cache_dir)
        pick = torch.randperm(len(train), generator=torch.Generator().manual_seed(args.seed))[: len(real)]
        floor, _ = generation_metrics(real, train[pick], ("swd", "fid", "kid"), feature_extractor=classifier.extractor())
        result["floor_train_photos"] = {"domain_fid": floor["fid"], "domain_kid": floor["kid"], "swd": floor["swd"],
                                        "images": len(pick)}
    result = {"model": str(args.model), "data": str(args.data), "split": args.split, "size": size,
              "classifier": classifier.card.get("name"), "truncation": args.truncation,
              "seconds": round(time.perf_counter() - start, 1), **result}
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(args.out) as temporary:
            Path(temporary).write_text(json.dumps(result, indent=2))
    if args.grid is not None:
        args.grid.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(args.grid) as temporary:
            grid_of(samples, args.grid_classes, enlarge=enlarge).save(temporary, format="PNG")
    return result


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    try:
        result = run(args)
    except TOOL_ERRORS as error:
        return tool_error("score-generator", error)
    summary = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in result.items() if k not in ("per_class", "notes")}
    print(json.dumps(summary, indent=2))
    return 0
