"""Score generation and translation runs on the Grocery Store test split (issue 4's quality table).

    .venv/bin/python benchmarks/score_generation.py --data ../shared/data/grocery-store RUN_DIR... [--out results/generation.json]

For a DCGAN / ConditionalGAN run: SWD between the test photos and as many samples of the run's best checkpoint
(selected on val during training; a cGAN samples the test photos' own labels), beside the real-vs-real floor: SWD
between the test photos and as many train photos. For a CycleGAN run: SWD of the catalogue (iconic) images to the
translated test photos and to the untranslated ones, and a before/after grid. FID/KID only when the Inception
weights are in the torch hub cache (they are not on the development machine).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch
from torchvision.utils import make_grid, save_image

from lightning_gan.data.augment import resize
from lightning_gan.data.datamodule import load_images
from lightning_gan.data.images import ImageRecord, list_split, scan
from lightning_gan.evaluation.metrics import sliced_wasserstein
from lightning_gan.inference import load_checkpoint_model
from lightning_gan.models.cyclegan import CycleGAN


def checkpoint_of(run: Path) -> Path:
    best = sorted((run / "checkpoints").glob("best-*.ckpt"))
    return best[-1] if best else run / "checkpoints" / "last.ckpt"


def photos(records: list[ImageRecord], size: int, cache: str) -> torch.Tensor:
    _, images = load_images(records, size + size // 4, cache)
    return resize(images, size)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--data", type=Path, default=Path("../shared/data/grocery-store"))
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--cache", default=".cache")
    parser.add_argument("--out", type=Path, default=Path("results/generation.json"))
    parser.add_argument("--grid", type=Path, default=Path("docs/images/cyclegan_test_before_after.png"))
    args = parser.parse_args()
    torch.manual_seed(0)
    test_records = list_split(args.data, "test")
    test = photos(test_records, args.size, args.cache)
    train = photos(list_split(args.data, "train"), args.size, args.cache)
    pick = torch.randperm(len(train), generator=torch.Generator().manual_seed(0))[: len(test)]
    rows = [{"method": "real train photos (floor)", "swd_test": sliced_wasserstein(test, train[pick]).item(), "images": len(test)}]
    for run in args.runs:
        path = checkpoint_of(run)
        model = load_checkpoint_model(path).eval()
        start = time.perf_counter()
        if isinstance(model, CycleGAN):
            iconic = photos([ImageRecord(p, "", "") for p in scan(args.data / "iconic-images-and-descriptions")], args.size, args.cache)
            translated = torch.cat([model.translate(chunk) for chunk in test.split(64)])
            rows.append({"method": f"{run} (CycleGAN a2b)", "checkpoint": str(path),
                         "swd_to_catalogue": sliced_wasserstein(iconic, translated).item(),
                         "swd_to_catalogue_untranslated": sliced_wasserstein(iconic, test).item(), "images": len(test)})
            shown = torch.arange(0, len(test), max(1, len(test) // 8))[:8]
            pairs = torch.stack([test[shown], translated[shown]], dim=1).flatten(0, 1)
            args.grid.parent.mkdir(parents=True, exist_ok=True)
            save_image(make_grid(pairs, nrow=4, padding=2, pad_value=1.0), args.grid)
        else:
            labels = None
            if hasattr(model, "classes"):
                index = {name: i for i, name in enumerate(model.classes)}
                labels = torch.tensor([index.get(r.fine, 0) for r in test_records[: len(test)]])
            fake = model.sample(len(test), torch.Generator().manual_seed(1), labels=labels)
            rows.append({"method": f"{run} ({type(model).__name__}, diff_augment={model.hparams.diff_augment!r})",
                         "checkpoint": str(path), "swd_test": sliced_wasserstein(test, fake).item(), "images": len(test)})
        rows[-1]["g_steps"] = int(model.g_steps)
        rows[-1]["seconds"] = round(time.perf_counter() - start, 1)
        print(json.dumps(rows[-1]), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"data": str(args.data), "size": args.size, "rows": rows}, indent=2))
    for row in rows:
        print(" | ".join(f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
