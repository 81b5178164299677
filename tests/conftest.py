"""Shared fixtures: W&B disabled unless a test asks for it, and small image folders made on the fly."""

from __future__ import annotations

import importlib.util
import sys
import zlib
from pathlib import Path

import lightning as L
import numpy as np
import pytest
import torch
from PIL import Image


@pytest.fixture(autouse=True)
def _no_wandb(monkeypatch):
    monkeypatch.setenv("WANDB_MODE", "disabled")
    monkeypatch.setenv("WANDB_SILENT", "true")


def write_image(path: Path, colour: tuple[int, int, int] = (200, 30, 30), size: int = 24, noise: bool = True) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(zlib.crc32(path.name.encode()))  # the same pixels in every run (str hash is salted per process)
    array = np.empty((size, size, 3), dtype=np.uint8)
    array[:] = colour
    if noise:
        array = np.clip(array.astype(int) + rng.integers(-20, 20, array.shape), 0, 255).astype(np.uint8)
    Image.fromarray(array).save(path)
    return path


@pytest.fixture
def two_class_folder(tmp_path: Path) -> Path:
    """A folder without splits: 40 red and 40 blue product 'photos' in two class folders."""
    root = tmp_path / "shop"
    for i in range(40):
        write_image(root / "red" / f"r{i:02d}.png", (210, 40, 40))
        write_image(root / "blue" / f"b{i:02d}.jpg", (40, 40, 210))
    return root


def save_checkpoint(model, path):
    """A checkpoint like the CLI's, without training: what load_restorer needs."""
    import lightning as L

    trainer = L.Trainer(logger=False, enable_checkpointing=False, enable_progress_bar=False, max_epochs=0)
    trainer.strategy.connect(model)
    trainer.save_checkpoint(path)
    return path


@pytest.fixture(scope="module")
def sr_checkpoint(tmp_path_factory):
    """A tiny x2 EAGAN checkpoint (not the identity), saved once per test module."""
    from lightning_gan.models.eagan import EAGAN

    torch.manual_seed(0)
    model = EAGAN(width=8, blocks=2, d_width=8, scale=2)
    torch.nn.init.normal_(model.generator_ema.module.tail.weight, std=0.05)  # not the identity
    return save_checkpoint(model, tmp_path_factory.mktemp("ckpt") / "sr.ckpt")


def quick_trainer(tmp_path: Path, **kwargs) -> L.Trainer:
    options = dict(logger=False, default_root_dir=tmp_path, enable_progress_bar=False, enable_model_summary=False)
    return L.Trainer(**(options | kwargs))


@pytest.fixture
def two_domains(tmp_path: Path) -> tuple[Path, Path]:
    for i in range(12):
        write_image(tmp_path / "photos" / f"p{i}.png", (180, 120, 60), size=20)
    for i in range(5):
        write_image(tmp_path / "catalogue" / f"c{i}.png", (240, 240, 240), size=20)
    return tmp_path / "photos", tmp_path / "catalogue"


def load_benchmark(name: str):
    """A script of benchmarks/ (not a package) imported as a module, for its tests."""
    spec = importlib.util.spec_from_file_location(name, Path(__file__).resolve().parents[1] / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
