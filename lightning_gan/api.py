"""The Python API: a shipped model, a checkpoint or a baseline as a callable on PIL images, arrays or tensors.

    from lightning_gan import load_model

    enhance = load_model("enhance")                  # or "denoise", "sr4x", a .ckpt path, "clahe", ...
    better = enhance(Image.open("shelf.jpg"))        # PIL in, PIL out of the same mode (alpha kept, any size)
    array = enhance(np.asarray(photo))               # H x W, H x W x 1/3/4 arrays, uint8 or float in [0, 1]: same out
    batch = enhance(torch.rand(2, 3, 512, 512))      # float (B, 3, H, W) in [0, 1] in, the same out
    grocery = load_model("grocery")                  # a generator: seeded PIL images of a class
    bananas = grocery(4, label="banana", seed=1)
    list_models()                                    # {"enhance": "restore", "sr4x": "upscale x4", "grocery": "generate", ...}
    fixed, report = fix(Image.open("shop.jpg"), min_size=800)  # auto-fix: only what the photo needs (report.summary())
    fixer = load_model("fix")                        # the same as a callable; fixer.restorer.reports: what it did

The `enhance` command and the web app go through the same restorer (`lightning_gan.inference`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from lightning_gan.files import OVERLAP, TILE, resolve_device
from lightning_gan.inference import ModelError, Restorer, load_restorer, shipped_with


@dataclass
class Model:
    """A loaded restorer with its tiling settings; call it on an image (see the module docstring)."""

    restorer: Restorer
    tile: int = TILE
    overlap: int = OVERLAP

    @property
    def scale(self) -> int:
        return self.restorer.scale

    @property
    def needs_mask(self) -> bool:
        return self.restorer.use_mask

    def __call__(self, image, mask=None):
        if isinstance(image, Image.Image):
            return self._pil(image, mask)
        if isinstance(image, np.ndarray):
            return self._array(image, mask)
        if isinstance(image, torch.Tensor):
            return self.tensor(image, mask)
        raise TypeError(f"expected a PIL image, a numpy array or a torch tensor, got {type(image).__name__}")

    def tensor(self, images: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """(B, 3, H, W) float in [0, 1] -> (B, 3, H * scale, W * scale) on the input's device."""
        if images.ndim != 4 or images.shape[1] != 3:
            raise ValueError(f"expected images of shape (B, 3, H, W), got {tuple(images.shape)}")
        out = self.restorer(images.float(), mask, tile=self.tile, overlap=self.overlap)
        if not torch.isfinite(out).all():  # never written as black or banded pixels
            raise ValueError(f"{self.restorer.name} produced NaN or infinite values for this image; nothing was written")
        return out.to(images.device)

    def _array(self, array: np.ndarray, mask) -> np.ndarray:
        """H x W (gray) or H x W x C with C = 1 (gray), 2 (gray, alpha), 3 (RGB) or 4 (RGBA); uint8 in 0..255 or
        float in [0, 1]. The output has the input's layout and dtype: gray stays gray (the luma of the result), the
        alpha is kept as it is (straight alpha, resized with the image)."""
        channels = 1 if array.ndim == 2 else array.shape[2] if array.ndim == 3 else 0
        if channels not in (1, 2, 3, 4):
            raise ValueError(f"expected an H x W or H x W x 1/2/3/4 array, got shape {array.shape}")
        if array.dtype != np.uint8 and not np.issubdtype(array.dtype, np.floating):
            raise ValueError(f"expected a uint8 array (0..255) or a float array (0..1), got {array.dtype}")
        unit = array.astype(np.float32) / 255 if array.dtype == np.uint8 else array.astype(np.float32)
        if not np.isfinite(unit).all():
            raise ValueError("the array holds NaN or infinite values")
        planes = unit.reshape(*unit.shape[:2], channels)
        colour = planes[..., :3] if channels >= 3 else np.repeat(planes[..., :1], 3, axis=2)
        x = torch.from_numpy(np.ascontiguousarray(colour)).permute(2, 0, 1)[None].clamp(0, 1)
        y = self.tensor(x, _mask_tensor(mask))[0].permute(1, 2, 0).numpy()
        if channels <= 2:
            y = y @ np.array([[0.299], [0.587], [0.114]], dtype=np.float32)
        if channels in (2, 4):
            alpha = torch.from_numpy(np.ascontiguousarray(planes[..., -1]))[None, None]
            alpha = F.interpolate(alpha, size=y.shape[:2], mode="bicubic", align_corners=False)[0, 0].clamp(0, 1)
            y = np.concatenate([y, alpha.numpy()[..., None]], axis=2)
        y = y.reshape(y.shape[:2]) if array.ndim == 2 else y
        if array.dtype == np.uint8:
            return (y * 255 + 0.5).clip(0, 255).astype(np.uint8)
        return y.astype(array.dtype)

    def _pil(self, image: Image.Image, mask) -> Image.Image:
        """PIL in, PIL out in the same mode for L, LA, RGB and RGBA; other modes come back RGB, or RGBA when they
        have transparency."""
        if image.mode not in ("L", "LA", "RGB", "RGBA"):
            image = image.convert("RGBA" if image.mode == "PA" or "transparency" in image.info else "RGB")
        return Image.fromarray(self._array(np.asarray(image), mask))


@dataclass
class Generator:
    """A loaded product-image generator (the shipped `grocery`, or a DCGAN / conditional GAN checkpoint): call it
    for `count` seeded PIL images; `label` picks a class (any case), `classes` lists them."""

    model: object

    @property
    def classes(self) -> list[str] | None:
        return getattr(self.model, "classes", None)

    def __call__(self, count: int = 1, label: str | None = None, seed: int = 0) -> list[Image.Image]:
        from lightning_gan.inference.generation import images, labels_for

        if count < 1:
            raise ValueError(f"count must be at least 1, got {count}")
        batch = images(self.model, count, seed, labels_for(self.model, label, count), interpolate=False)
        return [Image.fromarray((x.permute(1, 2, 0).clamp(0, 1).cpu().numpy() * 255 + 0.5).astype(np.uint8)) for x in batch]


def _mask_tensor(mask) -> torch.Tensor | None:
    """A mask as (1, 1, H, W) float, 1 inside the area to fill: PIL image, array or tensor."""
    if mask is None or isinstance(mask, torch.Tensor):
        return mask
    if isinstance(mask, Image.Image):
        from lightning_gan.inference.photos import mask_of

        return mask_of(mask)  # transparency: the opaque pixels are the area
    return (torch.from_numpy(np.asarray(mask).copy()) > 127).float()[None, None]


def load_model(spec: str, device: str = "auto", strength: float = 1.0, tile: int = TILE, overlap: int = OVERLAP,
               half: bool | None = None) -> Model | Generator:
    """A shipped model name (`list_models()`), a checkpoint or exported .safetensors path, or a classical baseline
    name; `device` "auto" picks the GPU when there is one; `half` runs the network in fp16 (None: on CUDA only).
    Restorers come back as a `Model`, generators (`grocery`, DCGAN / conditional GAN checkpoints) as a `Generator`."""
    if spec == "fix":
        from lightning_gan.inference.autofix import Fixer

        return Model(Fixer(resolve_device(device), tile=tile, overlap=overlap, half=half), tile, overlap)
    if str(spec) in shipped_with("render") or (str(spec).endswith(".ckpt") and _is_generator_checkpoint(spec)):
        from lightning_gan.inference.generation import load_generator_model

        return Generator(load_generator_model(spec, resolve_device(device)))
    return Model(load_restorer(spec, resolve_device(device), strength, half), tile, overlap)


def fix(image, min_size: int | None = None, device: str = "auto"):
    """Auto-fix one photo (`lightning-gan fix`): a PIL image (a JPEG file's quality is read from its tables), an
    array or a (1, 3, H, W) tensor in, `(fixed, report)` out: the fixed photo in the input's kind and mode, and what
    was found, done and skipped (`lightning_gan.inference.autofix.FixReport`)."""
    from lightning_gan.inference.analysis import jpeg_quality
    from lightning_gan.inference.autofix import Fixer

    fixer = Fixer(resolve_device(device), min_size)
    if isinstance(image, torch.Tensor) and (image.ndim != 4 or len(image) != 1):
        raise ValueError(f"fix takes one photo: a (1, 3, H, W) tensor, got {tuple(image.shape)}")
    fixer.quality = jpeg_quality(image) if isinstance(image, Image.Image) else None
    fixed = Model(fixer)(image)
    return fixed, fixer.reports[-1]


def _is_generator_checkpoint(path: str) -> bool:
    from lightning_gan.inference import load_checkpoint_model

    try:
        return callable(getattr(load_checkpoint_model(Path(path)), "render", None))
    except ModelError:
        return False


def list_models(baselines: bool = False) -> dict[str, str]:
    """The shipped models and what each does ("restore", "upscale x4", "inpaint", "generate"), and `fix` (the
    auto-fix pipeline over them); with `baselines`, the classical methods too ("baseline")."""
    from lightning_gan.inference import PRETRAINED_DIR, pretrained_names
    from lightning_gan.inference.autofix import MODELS

    kinds = {}
    generators = set(shipped_with("render"))
    for name in pretrained_names():
        hp = json.loads((PRETRAINED_DIR / f"{name}.json").read_text()).get("hparams", {})
        kinds[name] = ("generate" if name in generators else "inpaint" if hp.get("use_mask")
                       else f"upscale x{hp['scale']}" if hp.get("scale", 1) > 1 else "restore")
    kinds["fix"] = "auto-fix: " + ", ".join(sorted({m for m in MODELS.values() if m in kinds}))
    if baselines:
        from lightning_gan.inference.baselines import BASELINES

        kinds |= {name: "baseline" for name in BASELINES}
    return kinds
