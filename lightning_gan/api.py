"""The Python API: a shipped model, a checkpoint or a baseline as a callable on PIL images, arrays or tensors.

    from lightning_gan import load_model

    enhance = load_model("enhance")                  # or "denoise", "sr4x", a .ckpt path, "clahe", ...
    better = enhance(Image.open("shelf.jpg"))        # PIL in, PIL out (alpha kept, any size, tiled)
    array = enhance(np.asarray(photo))               # uint8 H x W x 3 in, uint8 out
    batch = enhance(torch.rand(2, 3, 512, 512))      # float (B, 3, H, W) in [0, 1] in, the same out

The `enhance` command and the web app go through the same restorer (`lightning_gan.inference`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

from lightning_gan.files import OVERLAP, TILE, resolve_device
from lightning_gan.inference import Restorer, load_restorer


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
        return self.restorer(images.float(), mask, tile=self.tile, overlap=self.overlap).to(images.device)

    def _array(self, array: np.ndarray, mask) -> np.ndarray:
        if array.ndim != 3 or array.shape[2] != 3 or array.dtype != np.uint8:
            raise ValueError(f"expected a uint8 H x W x 3 array, got {array.dtype} {array.shape}")
        x = torch.from_numpy(array.copy()).permute(2, 0, 1)[None].float() / 255
        y = self.tensor(x, _mask_tensor(mask))
        return (y[0].permute(1, 2, 0).numpy() * 255 + 0.5).clip(0, 255).astype(np.uint8)

    def _pil(self, image: Image.Image, mask) -> Image.Image:
        alpha = image.getchannel("A") if image.mode in ("RGBA", "LA") else None
        out = Image.fromarray(self._array(np.asarray(image.convert("RGB")), mask))
        if alpha is not None:
            out.putalpha(alpha.resize(out.size, Image.Resampling.BICUBIC))
        return out


def _mask_tensor(mask) -> torch.Tensor | None:
    """A mask as (1, 1, H, W) float, 1 inside the area to fill: PIL image, array or tensor."""
    if mask is None or isinstance(mask, torch.Tensor):
        return mask
    gray = np.asarray(mask.convert("L")) if isinstance(mask, Image.Image) else np.asarray(mask)
    return (torch.from_numpy(gray.copy()) > 127).float()[None, None]


def load_model(spec: str, device: str = "auto", strength: float = 1.0, tile: int = TILE, overlap: int = OVERLAP,
               half: bool | None = None) -> Model:
    """A shipped model name (`lightning_gan.inference.pretrained_names()`), a checkpoint or exported .safetensors
    path, or a classical baseline name; `device` "auto" picks the GPU when there is one; `half` runs the network
    in fp16 (None: on CUDA only)."""
    return Model(load_restorer(spec, resolve_device(device), strength, half), tile, overlap)
