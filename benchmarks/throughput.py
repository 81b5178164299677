"""Training throughput and inference latency, all on the same data and device in one run (issue 6).

    .venv/bin/python benchmarks/throughput.py --quick                       # CPU, small sizes (make bench)
    python benchmarks/throughput.py --data ../shared/data/grocery-store     # a GPU: full sizes, bf16 rows too

Rows:
  reference   the pytorch/examples DCGAN recipe, written here from its description: torchvision ImageFolder, PIL
              Resize + CenterCrop + ToTensor + Normalize on DataLoader workers, fp32, D ending in Sigmoid with
              BCELoss, Adam(2e-4, 0.5), batch 128; D step on real then fake, then G step.
  framework   this project's models through the Lightning Trainer (GPU-resident uint8 cache where it fits, batched
              augmentation/degradation on the device, manual two-optimizer steps with the NaN guard).
  enhance     `enhance` inference latency (the shipped `enhance` model) at 512 and 1024 pixels, median of runs.
Prints a Markdown table and writes JSON (--out). Images/s counts real training images per second.
"""

from __future__ import annotations

import argparse
import copy
import json
import platform
import statistics
import sys
import time
from pathlib import Path

import lightning as L
import torch
from torch import nn

from lightning_gan.data.datamodule import SAMPLE_ROOT, ProductImageDataModule
from lightning_gan.data.unpaired import UnpairedDataModule
from lightning_gan.inference import load_restorer
from lightning_gan.models.cgan import ConditionalGAN
from lightning_gan.models.cyclegan import CycleGAN
from lightning_gan.models.dcgan import DCGAN
from lightning_gan.models.eagan import EAGAN
from lightning_gan.models.gan_enhance import GANEnhance
from lightning_gan.nets.dcgan import DCGANDiscriminator, DCGANGenerator


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


# --- (a) the reference recipe ------------------------------------------------------------------------------------


def reference_recipe(root: Path, device: torch.device, batch: int, workers: int, steps: int, warmup: int) -> float:
    from torchvision import datasets, transforms

    data = datasets.ImageFolder(str(root), transforms.Compose([
        transforms.Resize(64), transforms.CenterCrop(64), transforms.ToTensor(), transforms.Normalize((0.5,) * 3, (0.5,) * 3)]))
    loader = torch.utils.data.DataLoader(data, batch_size=batch, shuffle=True, num_workers=workers, drop_last=True,
                                         persistent_workers=workers > 0)
    net_g = DCGANGenerator(100, 64, 64).to(device)
    net_d = nn.Sequential(DCGANDiscriminator(64, 64), nn.Sigmoid()).to(device)
    criterion = nn.BCELoss()
    opt_d = torch.optim.Adam(net_d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_g = torch.optim.Adam(net_g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    done, start = 0, None
    while done < steps + warmup:
        for real, _ in loader:
            if done == warmup:
                sync(device)
                start = time.perf_counter()
            real = real.to(device)
            ones = torch.ones(len(real), 1, device=device)
            zeros = torch.zeros(len(real), 1, device=device)
            net_d.zero_grad()
            criterion(net_d(real), ones).backward()
            fake = net_g(torch.randn(len(real), 100, device=device))
            criterion(net_d(fake.detach()), zeros).backward()
            opt_d.step()
            net_g.zero_grad()
            criterion(net_d(fake), ones).backward()
            opt_g.step()
            done += 1
            if done >= steps + warmup:
                break
    sync(device)
    return steps * batch / (time.perf_counter() - start)


# --- (b, c) the framework ----------------------------------------------------------------------------------------


class Clock(L.Callback):
    """Wall time of the training batches after `warmup` of them."""

    def __init__(self, warmup: int):
        self.warmup, self.start, self.end, self.batches = warmup, None, None, 0

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        if self.batches == self.warmup:
            sync(pl_module.device)
            self.start = time.perf_counter()

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        self.batches += 1

    def on_train_end(self, trainer, pl_module):
        sync(pl_module.device)
        self.end = time.perf_counter()


def step_flops(model, batch: dict) -> int:
    """FLOPs of one D step and one G step (forward and backward), counted by PyTorch's FlopCounterMode."""
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter:
        fake = model.generate(batch)
        detached = tuple(f.detach() for f in fake) if isinstance(fake, tuple) else fake.detach()
        model.d_loss(batch, detached)[0].backward()
        model.g_loss(batch, fake)[0].backward()
    model.zero_grad(set_to_none=True)
    return counter.get_total_flops()


def framework(name: str, model, data, device: torch.device, precision: str, steps: int, warmup: int) -> dict:
    clock = Clock(warmup)
    trainer = L.Trainer(accelerator=device.type, devices=1, precision=precision, max_steps=2 * (steps + warmup),
                        max_epochs=-1, limit_val_batches=0, num_sanity_val_steps=0, logger=False, enable_checkpointing=False,
                        enable_progress_bar=False, enable_model_summary=False, callbacks=[clock])
    trainer.fit(model, datamodule=data)
    batch_size = data.hparams.batch_size
    seconds = clock.end - clock.start
    timed = clock.batches - warmup
    row = {"name": name, "precision": precision, "batch": batch_size, "images_per_s": timed * batch_size / seconds}
    data.setup("fit")
    loader = data.train_dataloader()
    sample = data.on_after_batch_transfer(L.pytorch.utilities.move_data_to_device(next(iter(loader)), device), 0)
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=precision.startswith("bf16")):
        flops = step_flops(model.to(device).train(), sample)
    row["tflops_per_s"] = flops * timed / seconds / 1e12
    return row


def models(quick: bool, root: Path, cache: str | None, device_cache: bool | None, recipe_batch: int) -> list[tuple[str, object, object]]:
    size = 32 if quick else 64
    big = 64 if quick else 256
    batch = 16 if quick else 128
    common = dict(root=str(root), cache_dir=cache, device_cache=device_cache)
    width = 16 if quick else 64
    rows = [  # the first row has the reference recipe's settings: 64 px, widths 64, its batch, no augmentation
        ("DCGAN 64px (recipe settings)", DCGAN(image_size=64, g_width=64, d_width=64, diff_augment=""),
         ProductImageDataModule(image_size=64, batch_size=recipe_batch, augment=False, **common)),
        (f"DCGAN + DiffAugment {size}px", DCGAN(image_size=size, g_width=width, d_width=width),
         ProductImageDataModule(image_size=size, batch_size=batch, **common)),
        (f"cGAN {size}px", ConditionalGAN(image_size=size, g_width=width, d_width=width),
         ProductImageDataModule(image_size=size, batch_size=batch, **common)),
        (f"GANEnhance {size}px mixed", GANEnhance(width=32, blocks=4, d_width=32),
         ProductImageDataModule(image_size=size, batch_size=batch // 2, degradation="mixed", **common)),
        (f"EAGAN {big}px mixed", EAGAN(width=32 if quick else 64, blocks=4 if quick else 8, d_width=32 if quick else 64),
         ProductImageDataModule(image_size=big, batch_size=4 if quick else 64, degradation="mixed", native_crops=True,
                                load_size=big if quick else 348, **common)),
        (f"CycleGAN {size}px", CycleGAN(width=16 if quick else 64, blocks=2 if quick else 6, d_width=16 if quick else 64),
         UnpairedDataModule(a=str(root), b=str(root / "iconic-images-and-descriptions"), image_size=size,
                            batch_size=4 if quick else 16, cache_dir=cache)),
    ]
    return rows


def enhance_latency(device: torch.device, sizes: list[int], runs: int) -> list[dict]:
    restorer = load_restorer("enhance", device)
    rows = []
    for size in sizes:
        image = torch.rand(1, 3, size, size)
        times = []
        for k in range(runs + 1):
            sync(device)
            start = time.perf_counter()
            out = restorer(image, tile=1024)
            out.cpu()
            if k:  # the first call warms up
                times.append(time.perf_counter() - start)
        rows.append({"name": f"enhance {size}x{size} (model 'enhance')", "ms": 1000 * statistics.median(times)})
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=SAMPLE_ROOT, help="Grocery Store layout root (train/ is used)")
    parser.add_argument("--quick", action="store_true", help="small sizes and few steps (CPU)")
    parser.add_argument("--steps", type=int, default=None)
    parser.add_argument("--workers", type=int, nargs="+", default=None, help="reference recipe DataLoader workers")
    parser.add_argument("--cache", default=".cache")
    parser.add_argument("--out", type=Path, default=Path("results/throughput.json"))
    parser.add_argument("--only", default="", help="comma list of row-name prefixes to run (e.g. 'DCGAN,enhance')")
    args = parser.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    steps = args.steps or (10 if args.quick else 100)
    warmup = 3 if args.quick else 20
    workers = args.workers or ([2] if args.quick else [2, 8])
    torch.backends.cudnn.benchmark = True
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True
    wanted = [w.strip() for w in args.only.split(",") if w.strip()]
    keep = lambda name: not wanted or any(name.startswith(w) for w in wanted)  # noqa: E731
    rows = []
    recipe_batch = 32 if args.quick else 128
    if keep("reference"):
        for n in workers:
            ips = reference_recipe(args.data / "train", device, recipe_batch, n, steps, warmup)
            rows.append({"name": f"reference DCGAN recipe, {n} workers", "precision": "32-true",
                         "batch": recipe_batch, "images_per_s": ips})
            print(json.dumps(rows[-1]), flush=True)
    precisions = ["32-true"] + (["bf16-mixed"] if device.type == "cuda" and torch.cuda.is_bf16_supported() else [])
    for name, model, data in models(args.quick, args.data, args.cache, None, recipe_batch):
        if not keep(name):
            continue
        for precision in precisions if name.startswith(("DCGAN", "EAGAN")) else precisions[-1:]:
            row = framework(name, copy.deepcopy(model), data, device, precision, steps, warmup)
            rows.append(row)
            print(json.dumps(row), flush=True)
    if keep("enhance"):
        rows += enhance_latency(device, [512, 1024], 3 if args.quick else 20)
        print(json.dumps(rows[-2:]), flush=True)
    threads = torch.get_num_threads()
    hardware = torch.cuda.get_device_name(device) if device.type == "cuda" else f"CPU {platform.machine()}, {threads} threads"
    result = {"device": hardware, "torch": torch.__version__, "quick": args.quick, "steps": steps, "rows": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(f"\n{hardware}, torch {torch.__version__}\n\n| row | precision | batch | images/s | TFLOP/s | ms |\n|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['name']} | {r.get('precision', '')} | {r.get('batch', '')} | {r.get('images_per_s', 0):.1f} | "
              f"{r.get('tflops_per_s', 0):.3f} | {r.get('ms', 0):.1f} |")
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
