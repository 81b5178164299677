"""Catalogues larger than memory: `prepare` an image folder into LitData chunks once, then stream them to every rank.

LitData (Lightning's streaming format) writes each split as compressed-image chunks plus an index; a
`StreamingDataset` reads them from local disk or an object store (s3://, gs://, azure://; `local:/path` serves a local
folder through the same download-and-cache path), shards them per DDP rank and dataloader worker, and its
`StreamingDataLoader` has a `state_dict` that Lightning saves in the checkpoint, so a resumed run continues mid-epoch.

A prepared dataset is a folder with one LitData dataset per split and `prepared.json` (settings, classes, counts and
the files that could not be read). Items are the image re-encoded once at `size` (short side resized, centre
cropped: the same square as the in-memory cache), its index in the split listing (the seed of its evaluation
degradation), its relative path and its fine and coarse labels.
"""

from __future__ import annotations

import io
import json
import multiprocessing
import os
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import torch
from PIL import Image, ImageOps

from lightning_gan.data.images import SPLITS, UNREADABLE, list_split, read_rgb
from lightning_gan.files import atomic_path

MANIFEST = "prepared.json"
PREPARING = ".preparing"  # present while `prepare` writes: the folder is ours, and unfinished
LOCK = ".prepare.lock"  # locked by the one `prepare` writing the folder (kept afterwards; it holds nothing)
FORMATS = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP"}
REMOTE_PREFIXES = ("s3://", "gs://", "azure://", "r2://", "local:")


def is_remote(root: str | os.PathLike) -> bool:
    return str(root).startswith(REMOTE_PREFIXES)


def is_prepared(root: str | os.PathLike) -> bool:
    """A LitData dataset made by `prepare`: an object-store URL, or a local folder holding `prepared.json`."""
    return is_remote(root) or (Path(root) / MANIFEST).is_file()


def split_url(root: str | os.PathLike, split: str) -> str:
    return f"{str(root).rstrip('/')}/{split}"


def read_manifest(root: str | os.PathLike) -> dict:
    """`prepared.json` of a prepared dataset, local or remote (downloaded with LitData's storage providers)."""
    root = str(root)
    if root.startswith("local:"):
        root = root.removeprefix("local:")
    if is_remote(root):
        from litdata.streaming.fs_provider import _get_fs_provider

        local = Path(torch.hub.get_dir()).parent / "lightning_gan" / "manifests" / root.replace("://", "/").strip("/")
        local.mkdir(parents=True, exist_ok=True)
        _get_fs_provider(root).download_file(split_url(root, MANIFEST), str(local / MANIFEST))
        root = str(local)
    path = Path(root) / MANIFEST
    if not path.is_file():
        raise FileNotFoundError(f"--data.root {root}: no {MANIFEST}; make one with `lightning-gan prepare SRC {root}`")
    return json.loads(path.read_text())


@dataclass(frozen=True)
class Encoder:
    """The `optimize` function: one listing entry to one sample, or None (the file is listed in `skipped_dir`)."""

    size: int
    format: str
    quality: int
    skipped_dir: str

    def __call__(self, entry: tuple[int, str, str, str, str]) -> dict | None:
        index, path, relative, fine, coarse = entry
        try:
            image = ImageOps.fit(read_rgb(Path(path)), (self.size, self.size), Image.Resampling.BICUBIC)
        except UNREADABLE as error:
            with open(Path(self.skipped_dir) / f"{os.getpid()}.txt", "a") as f:
                f.write(f"{path} ({type(error).__name__}: {error})\n")
            return None
        buffer = io.BytesIO()
        options = {"quality": self.quality} if self.format in ("jpeg", "webp") else {}
        image.save(buffer, FORMATS[self.format], **options)
        return {"image": buffer.getvalue(), "index": index, "path": relative, "fine": fine, "coarse": coarse}


@contextmanager
def _environment_restored():
    """LitData's `optimize` leaves DATA_OPTIMIZER_* variables in os.environ (its writer threads set them); after
    that, every StreamingDataset of this process and its children believes it runs inside `optimize` and stops
    sharding across DDP ranks. It also forces multiprocessing's start method for the whole process (to its
    `start_method`), which would change how the caller's own DataLoader workers start. Put both back."""
    saved, method = dict(os.environ), multiprocessing.get_start_method(allow_none=True)
    try:
        yield
    finally:
        for key in set(os.environ) - set(saved):
            del os.environ[key]
        os.environ.update(saved)
        multiprocessing.set_start_method(method, force=True)


def _relative(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)


def prepare(source: str | os.PathLike, destination: str | os.PathLike, size: int = 256,
            format: Literal["jpeg", "png", "webp"] = "jpeg", quality: int = 95, num_workers: int | None = None,
            val_fraction: float = 0.1, test_fraction: float = 0.1, start_method: Literal["spawn", "fork"] = "spawn") -> dict:
    """Write `source` (Grocery Store layout or any folder, split as the folder reader splits it) as LitData chunks.

    `start_method`: how LitData starts its workers. `spawn` (LitData's default, safe beside threads) starts a fresh
    interpreter per worker and split, a few seconds each, 5-15 s inside a large process such as pytest; `fork`
    (what PyTorch's DataLoader uses on Linux) starts in milliseconds.

    Idempotent: a finished `destination` with the same settings is left alone; an interrupted one (still marked
    `.preparing`) is redone from scratch. A non-empty folder that `prepare` did not make is refused, never written
    into. Returns the manifest."""
    source, destination = Path(source).expanduser(), Path(destination).expanduser()
    if format not in FORMATS:
        raise ValueError(f"--format {format!r}: expected one of {', '.join(FORMATS)}")
    if size < 8:
        raise ValueError(f"--size {size}: too small (at least 8 px)")
    if not 1 <= quality <= 100:
        raise ValueError(f"--quality {quality}: expected 1-100")
    if not source.is_dir():
        raise FileNotFoundError(f"prepare: source folder not found: {source}")
    settings = {"source": str(source.resolve()), "size": size, "format": format,
                "quality": quality if format != "png" else None, "val_fraction": val_fraction,
                "test_fraction": test_fraction}
    if finished(destination, settings) is None and destination.exists() and (
            set(p.name for p in destination.iterdir()) - {LOCK}) and not (destination / PREPARING).exists():
        raise FileExistsError(f"prepare: {destination} is not empty and was not made by prepare; refusing to write into it")
    destination.mkdir(parents=True, exist_ok=True)
    with _exclusive(destination):
        manifest = finished(destination, settings)  # checked again under the lock: a run may have just finished
        if manifest is not None:
            print(f"{destination}: already prepared ({manifest['counts']}); nothing to do")
            return manifest
        return _write(source, destination, settings, size, format, quality, num_workers, val_fraction, test_fraction,
                      start_method)


def finished(destination: Path, settings: dict) -> dict | None:
    """The manifest of a finished dataset made with `settings` (FileExistsError for other settings), else None."""
    if not (destination / MANIFEST).is_file() or (destination / PREPARING).exists():
        return None
    manifest = json.loads((destination / MANIFEST).read_text())
    if manifest.get("settings") != settings:
        raise FileExistsError(f"prepare: {destination} holds a dataset prepared with other settings "
                              f"({manifest.get('settings')}); choose another destination or delete it")
    return manifest


@contextmanager
def _exclusive(destination: Path):
    """One `prepare` per destination: an exclusive lock on destination/.prepare.lock for the whole run (released
    by the OS if the process dies, so an interrupted run never blocks the next one)."""
    import fcntl

    handle = open(destination / LOCK, "a")  # noqa: SIM115 - held for the whole block
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise FileExistsError(f"prepare: another prepare is writing into {destination} now; wait for it to "
                                  "finish (it leaves a finished dataset there)") from None
        yield
    finally:
        handle.close()


def _write(source: Path, destination: Path, settings: dict, size: int, format: str, quality: int,
           num_workers: int | None, val_fraction: float, test_fraction: float, start_method: str) -> dict:
    for leftover in (destination / name for name in (*SPLITS, MANIFEST, "skipped")):  # an interrupted run of ours
        if leftover.is_dir():
            shutil.rmtree(leftover)
        else:
            leftover.unlink(missing_ok=True)
    (destination / PREPARING).touch()
    skipped_dir = destination / "skipped"
    skipped_dir.mkdir()

    listings = {split: list_split(source, split, val_fraction, test_fraction) for split in SPLITS}
    if not any(listings.values()):
        raise ValueError(f"prepare: no image in {source} (looked for jpg/jpeg/png/webp/bmp)")
    classes = {kind: sorted({getattr(r, kind) for r in listings["train"] or sum(listings.values(), [])})
               for kind in ("fine", "coarse")}
    from litdata import optimize  # imported here: the in-memory data path needs no litdata

    counts, skipped = {}, []
    for split, records in listings.items():
        if not records:
            continue
        entries = [(i, str(r.path), _relative(r.path, source), r.fine, r.coarse) for i, r in enumerate(records)]
        workers = max(1, min(num_workers or os.cpu_count() or 1, len(entries)))
        (skipped_dir / split).mkdir()
        print(f"prepare: {split}: {len(entries)} images -> {destination / split}")
        with _environment_restored():
            optimize(fn=Encoder(size, format, quality, str(skipped_dir / split)), inputs=entries,
                     output_dir=str(destination / split), chunk_bytes="64MB", num_workers=workers,
                     reorder_files=False, keep_data_ordered=True,  # static slices per worker: listing order kept
                     start_method=start_method)
        bad = sorted(line for f in (skipped_dir / split).glob("*.txt") for line in f.read_text().splitlines())
        counts[split], skipped = len(entries) - len(bad), skipped + bad
    shutil.rmtree(skipped_dir)
    manifest = {"format_version": 1, "settings": settings, "classes": classes, "counts": counts, "skipped": skipped}
    with atomic_path(destination / MANIFEST) as partial:
        partial.write_text(json.dumps(manifest, indent=2))
    (destination / PREPARING).unlink()
    if skipped:
        print(f"prepare: skipped {len(skipped)} unreadable image(s):\n  " + "\n  ".join(skipped))
    print(f"prepare: done: {counts} images in {destination}")
    return manifest


def shared_seed(trainer) -> int:
    """The run's seed, rank 0's on every DDP rank: ranks that shuffled differently would read overlapping shards."""
    seed = torch.initial_seed() % 2**31
    return trainer.strategy.broadcast(seed) if trainer is not None else seed


def stream_loader(root: str | os.PathLike, split: str, classes: list[str], label: str, size: int, batch_size: int,
                  train: bool, num_workers: int, seed: int, cache_dir: str | None = None):
    """A `StreamingDataLoader` over one prepared split: shuffled and whole batches only when training; each DDP
    rank and worker reads its own chunks."""
    from litdata import StreamingDataLoader

    from lightning_gan.data.product_stream import ProductStream  # imports litdata: only when streaming

    dataset = ProductStream(split_url(root, split), classes, label, size, shuffle=train, drop_last=train, seed=seed,
                            cache_dir=cache_dir)
    return StreamingDataLoader(dataset, batch_size=batch_size, num_workers=num_workers, drop_last=train,
                               persistent_workers=num_workers > 0)
