"""`UnpairedDataModule`: two image folders (domains A and B) for unpaired translation such as CycleGAN."""

from __future__ import annotations

from pathlib import Path

import torch
from torch.utils.data import DataLoader, Dataset

from lightning_gan.data.augment import augment, resize
from lightning_gan.data.datamodule import SAMPLE_ROOT, SplitLoaders, host_loader, load_images
from lightning_gan.data.images import SPLITS, ImageRecord, list_split, scan
from lightning_gan.data.streaming import is_prepared, is_remote, read_manifest, shared_seed, stream_loader


def domain_records(folder: Path, split: str) -> list[ImageRecord]:
    """A folder with train/val/test (sub-folders or *.txt lists) gives that split; a plain folder is used whole."""
    if not folder.is_dir():
        raise FileNotFoundError(f"domain folder not found: {folder}")
    if any((folder / s).is_dir() or (folder / f"{s}.txt").is_file() for s in SPLITS):
        return list_split(folder, split)
    return [ImageRecord(p, "", "") for p in scan(folder)]


class UnpairedImages(Dataset):
    """Item i: A's image i, and a B image drawn at random (training) or B's image i mod |B| (evaluation).

    Random B partners, as in CycleGAN's unaligned loader, so a small B set is not seen in a fixed order."""

    def __init__(self, a: torch.Tensor, b: torch.Tensor, random_b: bool):
        self.a, self.b, self.random_b = a, b, random_b

    def __len__(self) -> int:
        return len(self.a)

    def __getitem__(self, index: int) -> dict:
        j = int(torch.randint(len(self.b), ())) if self.random_b else index % len(self.b)
        return {"a": self.a[index], "b": self.b[j], "index": index}


class UnpairedDataModule(SplitLoaders):
    """Domain A and domain B images; default A = the embedded store photos, B = their catalogue ("iconic") images.

    Batches on the device: {"a": (B, 3, S, S), "b": (B, 3, S, S) in [0, 1], "index"}; training batches get a random
    flip / rotation / crop each (the 81 catalogue images need it), evaluation batches the whole image resized.

    Args:
        a: domain A folder (split by train/val/test when it has them; otherwise used whole), or a folder made by
            `lightning-gan prepare` (or its object-store URL), streamed with LitData; B partners are then drawn on the
            device from the in-memory B images.
        b: domain B folder (same rule).
        image_size: side of the square images.
        load_size: side of the cached images (default 1.25 x image_size).
        batch_size: pairs per batch.
        num_workers: DataLoader workers.
        augment: random flip / rotation / crop on training batches.
        rotation: maximum rotation, degrees.
        crop_scale: range of the crop side relative to the image.
        cache_dir: optional folder for an on-disk decode cache.
    """

    def __init__(self, a: str | None = None, b: str | None = None, image_size: int = 64, load_size: int | None = None,
                 batch_size: int = 8, num_workers: int = 0, augment: bool = True, rotation: float = 5.0,
                 crop_scale: tuple[float, float] = (0.8, 1.0), cache_dir: str | None = None):
        super().__init__()
        self.save_hyperparameters()
        self.a: Path | str = a if a and is_remote(a) else Path(a).expanduser() if a else SAMPLE_ROOT
        self.b = Path(b).expanduser() if b else SAMPLE_ROOT / "iconic-images-and-descriptions"
        for option, folder in (("a", self.a), ("b", self.b)):
            if not is_remote(folder) and not folder.is_dir():
                raise FileNotFoundError(f"--data.{option}: folder not found: {folder}")
        if is_prepared(self.b):
            raise ValueError(f"--data.b {self.b}: only domain A can be streamed; give B as an image folder")
        self.manifest = read_manifest(self.a) if is_prepared(self.a) else None  # A streamed when set
        self.load_size = load_size or image_size + image_size // 4
        self.datasets: dict[str, UnpairedImages] = {}
        self.partners: dict[str, torch.Tensor] = {}  # streaming: each split's B images
        self._shuffle_seed = 0

    def _images(self, folder: Path, split: str) -> torch.Tensor:
        _, images = load_images(domain_records(folder, split), self.load_size, self.hparams.cache_dir)
        return images

    def setup(self, stage: str | None = None) -> None:
        wanted = {"fit": ("train", "val"), "validate": ("val",), "test": ("test",)}.get(stage or "", SPLITS)
        self._shuffle_seed = shared_seed(self.trainer)  # streaming: the same chunk order on every DDP rank
        for split in wanted:
            if self.manifest is not None:
                self._setup_stream(split)
                continue
            if split in self.datasets:
                continue
            a, b = self._images(self.a, split), self._images(self.b, split)
            if split == "train" and (len(a) == 0 or len(b) == 0):
                empty = self.a if len(a) == 0 else self.b
                raise ValueError(f"no readable training image in {empty} (looked for jpg/jpeg/png/webp/bmp)")
            if len(a) and len(b):
                self.datasets[split] = UnpairedImages(a, b, random_b=split == "train")

    def _setup_stream(self, split: str) -> None:
        if split in self.partners:
            return
        b = self._images(self.b, split)
        if split == "train" and (not self.manifest["counts"].get("train") or len(b) == 0):
            empty = self.a if len(b) else self.b
            raise ValueError(f"no readable training image in {empty}")
        if self.manifest["counts"].get(split) and len(b):
            self.partners[split] = b

    def _loader(self, split: str, train: bool = False) -> DataLoader | list:
        hp = self.hparams
        if self.manifest is not None:
            if split not in self.partners:
                return []
            return stream_loader(self.a, split, [], "fine", self.load_size, hp.batch_size, train, hp.num_workers,
                                 self._shuffle_seed, hp.cache_dir)
        if split not in self.datasets:
            return []
        return host_loader(self.datasets[split], self.hparams.batch_size, train, self.hparams.num_workers)

    def _pair(self, batch: dict, training: bool) -> dict:
        """A streamed A batch gets its B partners here, on the device: random ones when training (as
        `UnpairedImages` draws them), B image i mod |B| in evaluation."""
        split = "train" if training else "test" if self.trainer is not None and self.trainer.testing else "val"
        b = self.partners[split]
        if b.device != batch["image"].device:
            b = self.partners[split] = b.to(batch["image"].device)
        index = batch["index"]
        chosen = torch.randint(len(b), (len(index),), device=b.device) if training else index % len(b)
        return {"a": batch["image"], "b": b[chosen], "index": index}

    def on_after_batch_transfer(self, batch: dict, dataloader_idx: int) -> dict:
        hp = self.hparams
        training = self.trainer is not None and self.trainer.training
        if "image" in batch:
            batch = self._pair(batch, training)
        if training and hp.augment:
            view = lambda x: augment(x, hp.image_size, True, hp.rotation, tuple(hp.crop_scale))  # noqa: E731
        else:
            view = lambda x: resize(x, hp.image_size)  # noqa: E731
        return {"a": view(batch["a"]), "b": view(batch["b"]), "index": batch["index"]}
