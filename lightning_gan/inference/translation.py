"""Translation between two domains (a CycleGAN's generator for one direction) of whole photos at a working size."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image

from lightning_gan.inference.loading import load_model_object
from lightning_gan.inference.photos import restore_rgb
from lightning_gan.inference.restorer import ModelError, Restorer
from lightning_gan.nets.io import pad_to_multiple, to_signed, to_unit


def load_translator(path: Path, direction: str, device: str) -> tuple[Restorer, int]:
    """The checkpoint's (EMA) generator for `direction` as a Restorer, and the side it trained at."""
    model = load_model_object(str(path))
    if not callable(getattr(model, "translator", None)):
        raise ModelError(f"--model {path} ({type(model).__name__}) is not a translator; translate needs a CycleGAN "
                         "checkpoint, e.g. from make train EXP=cyclegan_catalog")
    model = model.to(device).eval()
    generator = model.translator(direction)

    def run(x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        height, width = x.shape[-2:]
        return to_unit(generator(to_signed(pad_to_multiple(x, generator.size_multiple))))[..., :height, :width]

    return Restorer(f"cyclegan-{direction}", run, 1, False, torch.device(device)), int(model.hparams.image_size)


def translate_rgb(translator: Restorer, rgb: Image.Image, size: int, tile: int, overlap: int) -> np.ndarray:
    """Translate at shorter side `size` (0 = as is) and return the result at the input's size."""
    working = rgb
    if size and min(rgb.size) != size:
        scale = size / min(rgb.size)
        working = rgb.resize((max(1, round(rgb.width * scale)), max(1, round(rgb.height * scale))), Image.Resampling.LANCZOS)
    array = restore_rgb(translator, working, None, tile, overlap)
    if working.size != rgb.size:
        array = np.asarray(Image.fromarray(array).resize(rgb.size, Image.Resampling.BICUBIC))
    return array
