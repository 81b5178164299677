"""`ProductImageDataModule`: product photos as uint8 batches, augmented and degraded on the device.

Small folders are decoded once into memory; folders made by `lightning-gan prepare` (and object-store URLs) are
streamed with LitData (`lightning_gan.data.streaming`)."""

from __future__ import annotations

import hashlib
import json
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import lightning as L
import torch
from torch.utils.data import DataLoader, Dataset, WeightedRandomSampler

from lightning_gan.data.augment import augment, center_crop, native_crops, resize
from lightning_gan.data.degradations import PRESETS, degrade
from lightning_gan.data.images import SPLITS, ImageRecord, decode_all, list_split, scan
from lightning_gan.data.streaming import is_prepared, is_remote, read_manifest, shared_seed, stream_loader
from lightning_gan.data.studio import some_studio_shots
from lightning_gan.files import atomic_path

SAMPLE_ROOT = Path(__file__).parent / "sample-photos" / "grocery"  # not a Python name: data, not a package
EVAL_SEED_STRIDE = 1_000_003  # eval seeds of image i: eval_seed * stride + i


class CachedImages(Dataset):
    """Decoded images held in one uint8 tensor: later epochs decode nothing, workers pass uint8 only."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, records: list[ImageRecord],
                 weights: torch.Tensor | None = None):
        self.images, self.labels, self.records = images, labels, records
        self.weights = weights  # per-image sampling weights (`mix`); None: every image once per epoch

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> dict:
        return {"image": self.images[index], "label": self.labels[index], "index": index}


class DeviceBatches:
    """Batches cut from a uint8 image tensor that lives on the accelerator: no workers, no host-to-device copies.

    The training loop then does no per-sample CPU work at all (Real-ESRGAN-style: augmentation and degradation run
    batched on the device afterwards). Under DDP each rank takes its own shard of one shared permutation, as
    DistributedSampler would. An iterable with a length, which Lightning accepts as a dataloader.
    """

    def __init__(self, data: CachedImages, batch_size: int, shuffle: bool, drop_last: bool, rank: int = 0,
                 world_size: int = 1, seed: int = 0, epoch: Callable[[], int] = lambda: 0):
        self.data, self.batch_size, self.shuffle, self.drop_last = data, batch_size, shuffle, drop_last
        self.rank, self.world_size, self.seed, self.epoch = rank, world_size, seed, epoch

    def _indices(self) -> torch.Tensor:
        count = len(self.data)
        generator = torch.Generator().manual_seed(self.seed + self.epoch())
        if self.shuffle and self.data.weights is not None:  # weighted draws (the same on every rank), then sharded
            order = torch.multinomial(self.data.weights.cpu(), count, replacement=True, generator=generator)
        elif self.shuffle:  # the same permutation on every rank (seeded by epoch), then sharded
            order = torch.randperm(count, generator=generator)
        else:
            order = torch.arange(count)
        per_rank = count // self.world_size if self.drop_last else -(-count // self.world_size)
        order = torch.cat([order, order[: per_rank * self.world_size - count]]) if per_rank * self.world_size > count else order
        return order[self.rank : per_rank * self.world_size : self.world_size]

    def __len__(self) -> int:
        shard = len(self._indices())
        return shard // self.batch_size if self.drop_last and shard >= self.batch_size else -(-shard // self.batch_size)

    def __iter__(self):
        indices = self._indices().to(self.data.images.device)
        batches = len(self)
        for k in range(batches):
            index = indices[k * self.batch_size : (k + 1) * self.batch_size]
            yield {"image": self.data.images[index], "label": self.data.labels[index], "index": index}


def host_loader(data: Dataset, batch_size: int, train: bool, num_workers: int) -> DataLoader:
    """A DataLoader over an in-memory dataset: shuffled (or drawn with the dataset's weights), whole batches only,
    when training."""
    weights = getattr(data, "weights", None) if train else None
    sampler = WeightedRandomSampler(weights, len(data), replacement=True) if weights is not None else None
    return DataLoader(data, batch_size=batch_size, shuffle=train and sampler is None, sampler=sampler,
                      drop_last=train and len(data) >= batch_size, num_workers=num_workers, persistent_workers=num_workers > 0)


def mix_records(folder: Path) -> list[ImageRecord]:
    """The training images of a `mix` folder: its train split when it has Grocery Store style splits, else every
    image in it (a mix folder is training data only)."""
    if not folder.is_dir():
        raise FileNotFoundError(f"--data.mix: folder not found: {folder}")
    if any((folder / f"{s}.txt").is_file() or (folder / s).is_dir() for s in SPLITS):
        return list_split(folder, "train")
    return [ImageRecord(p, "", "") for p in scan(folder)]


def mix_weights(counts: list[int], shares: list[float]) -> torch.Tensor:
    """Per-image sampling weights: source k (counts[k] images) supplies shares[k] of the draws."""
    return torch.cat([torch.full((n,), share / n) for n, share in zip(counts, shares) if n])


def _cache_key(records: list[ImageRecord], size: int) -> str:
    entries = []
    for r in records:
        stat = r.path.stat() if r.path.exists() else None
        entries.append([str(r.path.resolve()), stat.st_size if stat else -1, stat.st_mtime_ns if stat else -1])
    return hashlib.sha1(json.dumps([size, entries]).encode()).hexdigest()[:20]


def load_images(records: list[ImageRecord], size: int, cache_dir: str | None = None) -> tuple[list[ImageRecord], torch.Tensor]:
    """Decode `records` once; with `cache_dir`, reuse a file keyed by every path, file size, mtime and `size`."""
    if cache_dir is None:
        return decode_all(records, size)
    path = Path(cache_dir) / f"images-{size}px-{_cache_key(records, size)}.pt"
    if path.is_file():
        saved = torch.load(path, weights_only=True)
        kept = set(saved["paths"])
        skipped = [str(r.path) for r in records if str(r.path) not in kept]
        if skipped:
            warnings.warn(f"skipped {len(skipped)} unreadable image(s) (cached verdict):\n  " + "\n  ".join(skipped), stacklevel=2)
        return [r for r in records if str(r.path) in kept], saved["images"]
    kept, images = decode_all(records, size)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as partial:
        torch.save({"paths": [str(r.path) for r in kept], "images": images}, partial)
    return kept, images


class SplitLoaders(L.LightningDataModule):
    """The three loaders of a datamodule that builds each split's with `_loader(split, train)`."""

    def _loader(self, split: str, train: bool = False) -> DataLoader | list:
        raise NotImplementedError

    def train_dataloader(self) -> DataLoader:
        return self._loader("train", train=True)

    def val_dataloader(self) -> DataLoader | list:
        return self._loader("val")

    def test_dataloader(self) -> DataLoader | list:
        return self._loader("test")


class ProductImageDataModule(SplitLoaders):
    """Product photos from a folder (default: the embedded Grocery Store sample).

    Args:
        root: image folder; Grocery Store layout (train/ val/ test/, *.txt lists) or any folder (hash split). A folder
            made by `lightning-gan prepare`, or its object-store URL (s3://, gs://, azure://), is streamed with LitData
            instead of being decoded into memory.
        image_size: side of the square training images.
        load_size: side of the cached images (default 1.25 x image_size), the room that crop/rotation use.
        batch_size: images per batch.
        num_workers: DataLoader workers (the cache is in memory, so 0 is usually fastest; streaming decodes in them).
        degradation: a preset of `lightning_gan.data.degradations` (None for generation).
        clean_share: share of training images left undegraded (their target is themselves), so the model learns to
            leave good photos alone; evaluation images are always degraded.
        augment: random flip / rotation / crop for training batches.
        flip: horizontal flips.
        rotation: maximum rotation, degrees.
        crop_scale: range of the crop side relative to the image.
        native_crops: train on random image_size crops of the cached images instead (no rotation, no resampling:
            restoration targets stay sharp), validate on their central 2 x image_size crop; pair with a larger load_size.
        label: which class the `label` field holds: the fine product class or its coarse family.
        mix: more training folders and the share of training draws each supplies, e.g. {"natural-photos": 0.25};
            `root` supplies the rest (at least 0.1), and validation and test stay on `root`. A folder with splits
            gives its train split, any other folder all its images. Images are drawn with replacement at these odds.
        studio_share: share of training photos turned into studio shots before they are degraded: a cut-out of the
            photo on a neutral white or light-grey background with a soft shadow (`lightning_gan.data.studio`).
        cache_dir: optional folder for an on-disk decode cache (streaming: where downloaded chunks are kept).
        device_cache: keep the decoded images on the accelerator and cut batches there (None = when training on a
            GPU and the images take under a quarter of its free memory).
        val_fraction: validation share for folders without splits.
        test_fraction: test share for folders without splits.
        eval_seed: seed of the fixed evaluation degradations.
    """

    def __init__(
        self,
        root: str | None = None,
        image_size: int = 64,
        load_size: int | None = None,
        batch_size: int = 32,
        num_workers: int = 0,
        degradation: str | None = None,
        clean_share: float = 0.0,
        augment: bool = True,
        flip: bool = True,
        rotation: float = 10.0,
        crop_scale: tuple[float, float] = (0.7, 1.0),
        native_crops: bool = False,
        label: Literal["fine", "coarse"] = "fine",
        mix: dict[str, float] | None = None,
        studio_share: float = 0.0,
        cache_dir: str | None = None,
        device_cache: bool | None = None,
        val_fraction: float = 0.1,
        test_fraction: float = 0.1,
        eval_seed: int = 0,
    ):
        super().__init__()
        if degradation is not None and degradation not in PRESETS:
            raise ValueError(f"--data.degradation {degradation!r} is unknown; known presets: {', '.join(PRESETS)}")
        if not 0 <= clean_share < 1:
            raise ValueError(f"--data.clean_share {clean_share} must be in [0, 1)")
        if not 0 <= studio_share <= 1:
            raise ValueError(f"--data.studio_share {studio_share} must be in [0, 1]")
        for folder, share in (mix or {}).items():
            if not 0 < share < 1:
                raise ValueError(f"--data.mix {folder}: share {share} must be in (0, 1)")
        if sum((mix or {}).values()) > 0.9:
            raise ValueError(f"--data.mix: the shares add up to {sum(mix.values()):.2f}; leave root at least 0.1")
        if not 0 < crop_scale[0] <= crop_scale[1] <= 1:
            raise ValueError(f"--data.crop_scale {crop_scale} must satisfy 0 < low <= high <= 1")
        self.save_hyperparameters()
        self.root: Path | str = root if root and is_remote(root) else Path(root).expanduser() if root else SAMPLE_ROOT
        if not is_remote(self.root) and not self.root.is_dir():
            raise FileNotFoundError(f"--data.root: folder not found: {self.root}")
        self.manifest = read_manifest(self.root) if is_prepared(self.root) else None  # streamed when set
        if mix and (self.manifest is not None or is_remote(self.root)):
            raise ValueError("--data.mix works with image folders, not with a prepared or streamed --data.root")
        self.mix = {Path(folder).expanduser(): share for folder, share in (mix or {}).items()}
        self.load_size = load_size or image_size + image_size // 4
        self.datasets: dict[str, CachedImages] = {}
        self.classes: list[str] = list(self.manifest["classes"][label]) if self.manifest else []
        self._shuffle_seed = 0

    @property
    def streaming(self) -> bool:
        return self.manifest is not None

    def _build(self, split: str) -> CachedImages:
        hp = self.hparams
        records = list_split(self.root, split, hp.val_fraction, hp.test_fraction)
        kept, images = load_images(records, self.load_size, hp.cache_dir)
        if not self.classes:
            self.classes = sorted({getattr(r, hp.label) for r in kept})
        weights = None
        if split == "train" and self.mix:
            counts, parts = [len(kept)], [images]
            for folder in self.mix:
                extra, extra_images = load_images(mix_records(folder), self.load_size, hp.cache_dir)
                if not extra:
                    raise ValueError(f"--data.mix {folder}: no readable image (looked for jpg/jpeg/png/webp/bmp)")
                kept, counts = kept + extra, counts + [len(extra)]
                parts.append(extra_images)
            images = torch.cat(parts)
            weights = mix_weights(counts, [1 - sum(self.mix.values()), *self.mix.values()])
        index = {name: i for i, name in enumerate(self.classes)}
        labels = torch.tensor([index.get(getattr(r, hp.label), -1) for r in kept], dtype=torch.long)
        return CachedImages(images, labels, kept, weights)

    def setup(self, stage: str | None = None) -> None:
        self._shuffle_seed = shared_seed(self.trainer)  # the same permutation on every DDP rank
        if self.streaming:
            if stage in (None, "fit") and not self.manifest["counts"].get("train"):
                raise ValueError(f"--data.root {self.root}: the prepared dataset has no training image")
            return
        if "train" not in self.datasets:
            self.datasets["train"] = self._build("train")
            if stage in (None, "fit") and len(self.datasets["train"]) == 0:
                raise ValueError(f"no readable training image in {self.root} (looked for jpg/jpeg/png/webp/bmp)")
        wanted = {"fit": ("val",), "validate": ("val",), "test": ("test",)}.get(stage or "", ("val", "test"))
        for split in wanted:
            if split not in self.datasets:
                self.datasets[split] = self._build(split)

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    def _device(self) -> torch.device | None:
        """Where the images should live: the accelerator when `device_cache` says so (or, unset, when they fit)."""
        if self.trainer is None:
            return None
        device = self.trainer.strategy.root_device
        if self.hparams.device_cache is False or (self.hparams.device_cache is None and device.type != "cuda"):
            return None
        if self.hparams.device_cache is None:
            free, _ = torch.cuda.mem_get_info(device)
            if sum(d.images.numel() for d in self.datasets.values()) > free // 4:
                return None
        return device

    def _loader(self, split: str, train: bool = False) -> DataLoader | DeviceBatches | list:
        hp = self.hparams
        if self.streaming:
            if not self.manifest["counts"].get(split):
                return []
            return stream_loader(self.root, split, self.classes, hp.label, self.load_size, hp.batch_size, train,
                                 hp.num_workers, self._shuffle_seed, hp.cache_dir)
        data = self.datasets[split]
        if len(data) == 0:
            return []
        device = self._device()
        if device is not None:
            if data.images.device != device:
                data.images, data.labels = data.images.to(device), data.labels.to(device)
            trainer = self.trainer
            return DeviceBatches(data, hp.batch_size, shuffle=train, drop_last=train and len(data) >= hp.batch_size,
                                 rank=trainer.global_rank, world_size=trainer.world_size, seed=self._shuffle_seed,
                                 epoch=lambda: trainer.current_epoch)
        return host_loader(data, hp.batch_size, train, hp.num_workers)

    def on_after_batch_transfer(self, batch: dict, dataloader_idx: int) -> dict:
        """On the device: uint8 to float, augmentation (training only), then the degradation preset."""
        hp = self.hparams
        training = self.trainer is not None and self.trainer.training
        if training and hp.native_crops:
            clean = native_crops(batch["image"], hp.image_size, hp.flip and hp.augment)
        elif training and hp.augment:
            clean = augment(batch["image"], hp.image_size, hp.flip, hp.rotation, tuple(hp.crop_scale))
        elif hp.native_crops:
            clean = center_crop(batch["image"], min(2 * hp.image_size, self.load_size))
        else:
            clean = resize(batch["image"], hp.image_size)
        if training and hp.studio_share:
            clean = some_studio_shots(clean, hp.studio_share)
        out = {"clean": clean, "label": batch["label"], "index": batch["index"]}
        if hp.degradation:
            seeds = None if training else batch["index"] + hp.eval_seed * EVAL_SEED_STRIDE
            degraded = degrade(clean, hp.degradation, seeds=seeds, clean_share=hp.clean_share if training else 0.0)
            out["degraded"] = degraded.image
            if degraded.mask is not None:
                out["mask"] = degraded.mask
        return out
