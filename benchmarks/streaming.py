"""Peak memory and training speed against dataset size: the in-memory cache against LitData streaming (issue 19).

    .venv/bin/python benchmarks/streaming.py                       # 1k, 10k, 100k images, 64 px training
    .venv/bin/python benchmarks/streaming.py --sizes 1000 --steps 20

For each size N, N product images are synthesised in a temporary folder (the embedded sample's photos, each
re-encoded with its own random crop, so no two files are equal), then the same training job (GANEnhance at 64 px,
batch 32, `mixed` degradations, no validation) runs in a fresh process twice: on the folder (decoded into the
in-memory cache) and on its `lightning-gan prepare` output (streamed). Reported: peak RSS of the training process,
set-up seconds (decoding the cache, or nothing), and training images/s after the first 5 steps. The temporary
folders are deleted afterwards. Prints a Markdown table and writes JSON (--out).
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

JOB = r"""
import resource, sys, time, warnings
warnings.filterwarnings("ignore")
import lightning as L, torch
from lightning.pytorch.callbacks import Callback
from lightning_gan.data.datamodule import ProductImageDataModule
from lightning_gan.models.gan_enhance import GANEnhance

root, steps, workers = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
class Clock(Callback):
    times = []
    def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx):
        self.times.append(time.perf_counter())
L.seed_everything(0)
start = time.perf_counter()
data = ProductImageDataModule(root=root, image_size=64, load_size=80, batch_size=32, degradation="mixed",
                              num_workers=workers)
data.setup("fit")
setup_s = time.perf_counter() - start
clock = Clock()
trainer = L.Trainer(max_steps=2 * steps, limit_val_batches=0, logger=False, enable_progress_bar=False,
                    enable_checkpointing=False, accelerator="cpu", callbacks=[clock])
trainer.fit(GANEnhance(), datamodule=data)
t = clock.times
images_per_s = 32 * (len(t) - 6) / (t[-1] - t[5])
print("RESULT", setup_s, images_per_s, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def synthesise(count: int, folder: Path, seed: int = 0) -> None:
    """`count` JPEGs in class folders: sample photos, each with its own random crop (60-100 % of the side) at 96 px."""
    from PIL import Image

    from lightning_gan.data.datamodule import SAMPLE_ROOT
    from lightning_gan.data.images import list_split, read_rgb

    sources = [r for split in ("train", "val", "test") for r in list_split(SAMPLE_ROOT, split)]
    photos = [(read_rgb(r.path), r.fine) for r in sources]
    rng = random.Random(seed)
    for i in range(count):
        photo, label = photos[i % len(photos)]
        side = int(min(photo.size) * rng.uniform(0.6, 1.0))
        x, y = rng.randint(0, photo.width - side), rng.randint(0, photo.height - side)
        crop = photo.crop((x, y, x + side, y + side)).resize((96, 96), Image.Resampling.BICUBIC)
        path = folder / label / f"{i:06d}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        crop.save(path, quality=90)


def train(root: Path, steps: int, workers: int) -> dict:
    out = subprocess.run([sys.executable, "-c", JOB, str(root), str(steps), str(workers)], capture_output=True,
                         text=True, cwd=ROOT, check=False)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("RESULT")), None)
    if line is None:
        raise RuntimeError(f"training job failed on {root}:\n{out.stderr[-3000:]}")
    setup_s, images_per_s, rss_mb = map(float, line.split()[1:])
    return {"setup_s": round(setup_s, 1), "images_per_s": round(images_per_s, 1), "peak_rss_mb": round(rss_mb)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--steps", type=int, default=60, help="training batches per run")
    parser.add_argument("--workers", type=int, default=0, help="DataLoader workers of both runs")
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "streaming.json")
    args = parser.parse_args()
    from lightning_gan.data.streaming import prepare

    rows = []
    for count in args.sizes:
        with tempfile.TemporaryDirectory(prefix=f"lightning-gan-stream-{count}-") as temp:
            source, prepared = Path(temp) / "images", Path(temp) / "prepared"
            start = time.perf_counter()
            synthesise(count, source)
            made_s = time.perf_counter() - start
            start = time.perf_counter()
            prepare(source, prepared, size=80, format="jpeg", quality=95)
            prepare_s = time.perf_counter() - start
            for mode, root in (("cache", source), ("stream", prepared)):
                row = {"images": count, "mode": mode, **train(root, args.steps, args.workers)}
                row["prepare_s"] = round(prepare_s, 1) if mode == "stream" else None
                rows.append(row)
                print(row, f"(synthesised in {made_s:.0f} s)", flush=True)
            shutil.rmtree(temp, ignore_errors=True)
    header = "| images | data | peak RSS (MB) | set-up (s) | prepare (s) | training images/s |\n|---|---|---|---|---|---|"
    lines = [f"| {r['images']:,} | {r['mode']} | {r['peak_rss_mb']:,} | {r['setup_s']} | {r['prepare_s'] or '-'} | "
             f"{r['images_per_s']} |" for r in rows]
    print("\n".join([header, *lines]))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"machine": platform.processor() or platform.machine(), "steps": args.steps,
                                    "workers": args.workers, "rows": rows}, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
