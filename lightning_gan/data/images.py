"""Finding product images on disk, splitting them, and decoding them to RGB uint8 tensors."""

from __future__ import annotations

import csv
import hashlib
import io
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import torch
from PIL import Image, ImageOps

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp"}
UNREADABLE = (OSError, ValueError, Image.DecompressionBombError, SyntaxError)  # what a broken image file raises
SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class ImageRecord:
    path: Path
    fine: str  # product class, e.g. "Golden-Delicious"
    coarse: str  # product family, e.g. "Apple"


def to_rgb(image: Image.Image) -> Image.Image:
    """Any PIL image as 8-bit RGB: EXIF orientation applied, 16-bit scaled down, transparency composited on white."""
    image = ImageOps.exif_transpose(image)
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        array = np.asarray(image, dtype=np.float64)
        peak = 65535.0 if array.max() > 255 else 255.0
        image = Image.fromarray(np.clip(array / peak * 255.0 + 0.5, 0, 255).astype(np.uint8))
    if image.mode == "P":
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA"):
        white = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, image.convert("RGBA"))
    return image.convert("RGB")


def read_rgb(path: Path | BinaryIO) -> Image.Image:
    """Open and fully decode one file (or file object) as RGB (raises one of UNREADABLE for broken files)."""
    with Image.open(path) as image:
        image.load()
        return to_rgb(image)


def to_tensor(image: Image.Image) -> torch.Tensor:
    """PIL RGB image to a (3, H, W) uint8 tensor."""
    return torch.from_numpy(np.asarray(image).copy()).permute(2, 0, 1).contiguous()


def as_jpeg(image: Image.Image, quality: int) -> Image.Image:
    """`image` saved once as a JPEG of `quality` (libjpeg, 4:2:0) and decoded."""
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return read_rgb(io.BytesIO(buffer.getvalue()))


def thumbnail(image: Image.Image, factor: int, quality: int | None = None) -> Image.Image:
    """The benchmarks' small input: `image` reduced `factor` times (bicubic, antialiased, as MATLAB's imresize is
    in the SR literature) and, given a `quality`, saved once as a JPEG, as a marketplace thumbnail is."""
    small = image.resize((image.width // factor, image.height // factor), Image.Resampling.BICUBIC, reducing_gap=None)
    return small if quality is None else as_jpeg(small, quality)


def decode(path: Path | BinaryIO, size: int) -> torch.Tensor:
    """Decode one file to a (3, size, size) uint8 tensor: short side resized to `size`, centre cropped."""
    return to_tensor(ImageOps.fit(read_rgb(path), (size, size), Image.Resampling.BICUBIC))


def decode_all(records: list[ImageRecord], size: int) -> tuple[list[ImageRecord], torch.Tensor]:
    """Decode every record; unreadable files are skipped and reported once, with their paths."""
    kept, tensors, bad = [], [], []
    for record in records:
        try:
            tensors.append(decode(record.path, size))
            kept.append(record)
        except UNREADABLE as error:
            bad.append(f"{record.path} ({type(error).__name__}: {error})")
    if bad:
        listing = "\n  ".join(bad)
        warnings.warn(f"skipped {len(bad)} unreadable image(s):\n  {listing}", stacklevel=2)
    if not tensors:
        return kept, torch.empty(0, 3, size, size, dtype=torch.uint8)
    return kept, torch.stack(tensors)


def scan(folder: Path) -> list[Path]:
    """All image files under `folder`, recursively, in a stable order."""
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())


def _labels_from_folders(path: Path, base: Path) -> ImageRecord:
    parts = path.relative_to(base).parts[:-1]
    return ImageRecord(path, fine=parts[-1] if parts else "", coarse=parts[0] if parts else "")


def hash_split(relative: str, val_fraction: float, test_fraction: float) -> str:
    """Deterministic split by a hash of the relative path: adding files never moves the others."""
    value = int(hashlib.sha1(relative.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    if value < test_fraction:
        return "test"
    if value < test_fraction + val_fraction:
        return "val"
    return "train"


def _read_split_list(root: Path, split: str) -> list[ImageRecord]:
    """A Grocery Store style list: `path, fine_label, coarse_label` per line; names from classes.csv."""
    names: dict[str, tuple[str, str]] = {}
    classes = root / "classes.csv"
    if classes.is_file():
        with classes.open(newline="") as f:
            for row in csv.reader(f):
                if len(row) >= 4 and row[1].strip().isdigit():
                    names[row[1].strip()] = (row[0].strip(), row[2].strip())
    records = []
    for line in (root / f"{split}.txt").read_text().splitlines():
        if not line.strip():
            continue
        fields = [s.strip() for s in line.split(",")]
        path = root / fields[0]
        if len(fields) >= 3 and fields[1] in names:
            records.append(ImageRecord(path, names[fields[1]][0], names[fields[1]][1]))
        else:
            records.append(_labels_from_folders(path, root / split) if path.is_relative_to(root / split)
                           else ImageRecord(path, fields[1] if len(fields) > 1 else "", ""))
    return records


def list_split(root: Path, split: str, val_fraction: float = 0.1, test_fraction: float = 0.1) -> list[ImageRecord]:
    """The images of one split of `root`.

    Grocery Store layout: `<root>/<split>.txt` lists (or else `<root>/<split>/` folders) define the split.
    Any other folder: every image under it, split by a hash of its relative path.
    """
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {SPLITS}")
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"image folder not found: {root}")
    if (root / f"{split}.txt").is_file():
        return _read_split_list(root, split)
    if any((root / s).is_dir() for s in SPLITS):
        folder = root / split
        return [_labels_from_folders(p, folder) for p in scan(folder)] if folder.is_dir() else []
    return [
        _labels_from_folders(p, root)
        for p in scan(root)
        if hash_split(p.relative_to(root).as_posix(), val_fraction, test_fraction) == split
    ]
