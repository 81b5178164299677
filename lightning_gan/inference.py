"""Restoring whole photos of any size: load a model (checkpoint, shipped name or baseline), tile, blend."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from tqdm import tqdm

from lightning_gan.baselines import BASELINES, UPSAMPLERS
from lightning_gan.files import OVERLAP, TILE, first_line
from lightning_gan.nets.io import to_signed, to_unit

PRETRAINED_DIR = Path(__file__).parent / "pretrained"
UPSCALE_BASELINE = 4  # `--model bicubic` (and bilinear, nearest) enlarge as the shipped sr4x does
INPAINT_WORKING_SIZE = 1024  # long side above which whole-image inpainters fill at this size (Restorer.working_size);
# on 1044 px photos filling at 512 lost 0.2 dB in the holes against the whole photo (benchmarks/inpaint_resolution.py)


class ModelError(ValueError):
    """A model spec that cannot be used for the requested job (named in the message)."""


@dataclass
class Restorer:
    """Degraded (B, 3, H, W) in [0, 1] (plus a mask for inpainting) -> restored (B, 3, H*scale, W*scale)."""

    name: str
    fn: Callable[[Tensor, Tensor | None], Tensor]
    scale: int = 1
    use_mask: bool = False
    device: torch.device = torch.device("cpu")
    # Global operators (exposure, colour): the whole photo -> the per-tile function, so that every tile gets the
    # parameters predicted from the whole photo (tile by tile they would differ and leave seams).
    prepare: Callable[[Tensor], Callable[[Tensor, Tensor | None], Tensor]] | None = None
    # Inpainters: photos whose long side exceeds this are filled at this size and only the hole is upsampled into
    # the original. A hole's content comes from the whole photo, which tiles would cut; and at the working size the
    # hole spans as many pixels as the training holes did, so the model's strokes keep their scale. None = off.
    working_size: int | None = None
    # Operators whose parameters are tied to the photo's coordinates (a local map over the whole photo) render the
    # whole photo at once; their per-pixel rendering needs no tiling to bound memory.
    tiles: bool = True
    # Noise-level-aware denoisers: give the noise level (sigma, 0-1 units) measured elsewhere instead of the blind
    # estimate of each tile (None: back to the estimate). `fix` measures it once on the whole photo.
    set_noise_level: Callable[[float | None], None] | None = None
    # Applied to the whole result after tiling: (input, result) -> result, e.g. JPEG consistency (nets.jpeg), which
    # needs the 8 x 8 grid of the whole photo.
    finish: Callable[[Tensor, Tensor], Tensor] | None = None

    @torch.no_grad()
    def __call__(self, degraded: Tensor, mask: Tensor | None = None, tile: int = TILE, overlap: int = OVERLAP) -> Tensor:
        if self.use_mask and mask is None:
            raise ModelError(f"{self.name} inpaints: give it a mask (white = area to fill)")
        if mask is not None and mask.shape[-2:] != degraded.shape[-2:]:
            raise ModelError(f"mask size {tuple(mask.shape[-2:])} differs from the image size {tuple(degraded.shape[-2:])}")
        degraded = degraded.to(self.device)
        mask = mask.to(self.device) if mask is not None else None
        if mask is not None and self.working_size and max(degraded.shape[-2:]) > self.working_size:
            return self._fill_at_working_size(degraded, mask, tile, overlap)
        fn = self.fn if self.prepare is None else self.prepare(degraded)
        out = fn(degraded, mask) if not self.tiles else tiled(fn, degraded, mask, self.scale, tile, overlap)
        return (out if self.finish is None else self.finish(degraded, out)).clamp(0, 1)

    def _fill_at_working_size(self, degraded: Tensor, mask: Tensor, tile: int, overlap: int) -> Tensor:
        height, width = degraded.shape[-2:]
        factor = self.working_size / max(height, width)
        size = (max(1, round(height * factor)), max(1, round(width * factor)))
        small = F.interpolate(degraded, size=size, mode="bilinear", antialias=True, align_corners=False)
        small_mask = (F.interpolate(mask.float(), size=size, mode="area") > 0).float()  # any damaged pixel: hole
        filled = tiled(self.fn, small, small_mask, 1, tile, overlap)
        filled = F.interpolate(filled, size=(height, width), mode="bicubic", align_corners=False)
        return torch.where(mask > 0.5, filled, degraded).clamp(0, 1)


def _ramp(n: int, overlap: int, start_inside: bool, end_inside: bool, device: torch.device) -> Tensor:
    """1-D tile weights: ~0 over the first overlap/2 pixels of an edge inside the image (where zero padding distorts
    the output), then a linear ramp over the next overlap/2, so neighbouring tiles cross-fade using only their clean
    interiors. Edges on the image border keep weight 1: no other tile covers them."""
    r = torch.ones(n, device=device)
    k = min(overlap // 2, n // 4)
    if k > 0:
        edge = torch.cat([torch.full((k,), 1e-4, device=device), torch.linspace(1.0 / (k + 1), k / (k + 1), k, device=device)])
        if start_inside:
            r[: 2 * k] = edge
        if end_inside:
            r[n - 2 * k :] = edge.flip(0)
    return r


def _starts(length: int, tile: int, overlap: int) -> list[int]:
    if length <= tile:
        return [0]
    step = tile - overlap
    starts = list(range(0, length - tile, step)) + [length - tile]
    return sorted(set(starts))


def tiled(fn: Callable[[Tensor, Tensor | None], Tensor], image: Tensor, mask: Tensor | None, scale: int,
          tile: int = TILE, overlap: int = OVERLAP) -> Tensor:
    """Run `fn` on overlapping tiles and cross-fade them: memory stays bounded for any image size."""
    _, _, height, width = image.shape
    if height <= tile and width <= tile:
        return fn(image, mask)
    if overlap * 2 >= tile:
        raise ValueError(f"tile ({tile}) must be more than twice the overlap ({overlap})")
    out = torch.zeros(image.shape[0], 3, height * scale, width * scale, device=image.device)
    weight = torch.zeros(1, 1, height * scale, width * scale, device=image.device)
    corners = [(top, left) for top in _starts(height, tile, overlap) for left in _starts(width, tile, overlap)]
    # a tile bar for large photos, in a terminal only (disable=None): a multi-megapixel photo takes a minute on a CPU
    for top, left in tqdm(corners, desc="tiles", unit="tile", leave=False, disable=None if len(corners) > 3 else True):
        h, w = min(tile, height), min(tile, width)
        window = (..., slice(top, top + h), slice(left, left + w))
        result = fn(image[window], mask[window] if mask is not None else None)
        rows = _ramp(h * scale, overlap * scale, top > 0, top + h < height, image.device)
        cols = _ramp(w * scale, overlap * scale, left > 0, left + w < width, image.device)
        blend = rows.view(1, 1, -1, 1) * cols.view(1, 1, 1, -1)
        target = (..., slice(top * scale, (top + h) * scale), slice(left * scale, (left + w) * scale))
        out[target] += result * blend
        weight[target] += blend
    return out / weight


# --- loading ------------------------------------------------------------------------------------------------------


def pretrained_names() -> list[str]:
    return sorted(p.stem for p in PRETRAINED_DIR.glob("*.safetensors"))


def shipped_with(capability: str) -> list[str]:
    """Shipped models whose class has the method `capability` (`restorer`, `render`), read from their cards."""
    from lightning_gan.models.base import model_class

    names = []
    for name in pretrained_names():
        try:
            cls = model_class(json.loads((PRETRAINED_DIR / f"{name}.json").read_text())["class_path"])
        except (ValueError, KeyError, OSError):
            continue
        if callable(getattr(cls, capability, None)):
            names.append(name)
    return names


def fast_inference(network: nn.Module) -> nn.Module:
    """An inference copy of a network: batch norm folded into the convolution before it (torch.fx), channels-last
    memory. On the 2-core CPU this took a 1024x1024 `enhance` from 4.4 s to 2.1 s. Networks that torch.fx cannot
    trace (shape checks in forward) keep their batch norms."""
    from torch.fx.experimental.optimization import fuse

    try:
        network = fuse(network.eval())  # a traced copy; the original is untouched
    except Exception:  # noqa: BLE001 - tracing is an optimisation only
        network = copy.deepcopy(network).eval()
    return network.to(memory_format=torch.channels_last)


def _from_module(name: str, model, device: torch.device, strength: float = 1.0, half: bool = False) -> Restorer:
    """The model's own restorer (`EnhancementGAN.restorer`): the model family owns padding, prefill and compositing."""
    make = getattr(model, "restorer", None)
    if make is None:
        raise ModelError(f"{name} is a {type(model).__name__} model (generation); this needs an enhancement model "
                         "(GANEnhance or EAGAN)")
    if strength < 0:
        raise ModelError(f"--strength must be >= 0, got {strength}")
    try:
        return make(name, device, strength, half)
    except ValueError as error:
        raise ModelError(str(error)) from error


def global_restorer(name: str, operator: nn.Module, device: torch.device) -> Restorer:
    """A `predict` / `render` operator (nets.tone): parameters from the whole photo, applied pixel by pixel."""

    def prepare(whole: Tensor) -> Callable[[Tensor, Tensor | None], Tensor]:
        params = operator.predict(to_signed(whole))
        return lambda x, m: to_unit(operator.render(to_signed(x), params))

    whole = getattr(operator, "whole_photo", False)
    return Restorer(name, lambda x, m: prepare(x)(x, m), 1, False, device, prepare, tiles=not whole)


def load_checkpoint_model(path: Path):
    """The LightningModule saved in a checkpoint of this project (its class is recorded at save time). Always
    weights-only: a checkpoint is data, never code. Every problem is one ModelError naming the file."""
    from lightning_gan.models.base import model_class

    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # noqa: BLE001 - any unreadable file gets the same clear message
        raise ModelError(f"cannot read checkpoint {path}: {first_line(error)}") from error
    if not isinstance(checkpoint, dict):
        raise ModelError(f"{path} is not a lightning-gan checkpoint (it holds a {type(checkpoint).__name__}, not a dict)")
    class_path = checkpoint.get("lightning_gan_class") or (checkpoint.get("hyper_parameters") or {}).get("_class_path")
    if not isinstance(class_path, str):
        raise ModelError(f"{path} is not a lightning-gan checkpoint (no model class recorded)")
    try:
        cls = model_class(class_path)
    except ValueError as error:
        raise ModelError(f"{path}: {error}") from error
    try:
        model = cls.load_from_checkpoint(path, map_location="cpu", weights_only=True)
    except (RuntimeError, TypeError, ValueError, KeyError, AttributeError) as error:
        raise ModelError(f"{path} does not load as {class_path.rpartition('.')[2]}: {first_line(error)}") from error
    network = getattr(model, "inference_generator", None)
    if network is not None:
        check_weights(network.state_dict(), network.state_dict(), str(path))
    return model


def export_pretrained(ckpt: Path, name: str, out_dir: Path, facts: dict) -> dict:
    """Save a checkpoint's EMA generator as `out_dir/name.safetensors` (fp16) and its card as `name.json`."""
    from safetensors.torch import save_file

    model = load_checkpoint_model(ckpt)
    state = {k: (v.half() if v.is_floating_point() else v).contiguous() for k, v in model.inference_generator.state_dict().items()}
    hparams = {k: v for k, v in dict(model.hparams).items() if not k.startswith("_") and not k.endswith(("_optimizer", "_scheduler"))}
    if "perceptual_weight" in hparams:
        hparams["perceptual_weight"] = 0.0  # inference never needs VGG19
    card = {"name": name, "class_path": f"{type(model).__module__}.{type(model).__name__}", "hparams": hparams, **facts}
    out_dir.mkdir(parents=True, exist_ok=True)
    save_file(state, out_dir / f"{name}.safetensors")
    (out_dir / f"{name}.json").write_text(json.dumps(card, indent=2))
    return card


def check_weights(weights: dict[str, Tensor], expected: dict[str, Tensor], source: str) -> None:
    """Refuse weights that would give black or banded images: a tensor that should hold floats but holds integers,
    or NaN / infinite values."""
    for key, value in weights.items():
        if key in expected and expected[key].is_floating_point() and not value.is_floating_point():
            raise ModelError(f"{source}: {key} holds {str(value.dtype).removeprefix('torch.')} values, not floating point")
        if value.is_floating_point() and not torch.isfinite(value).all():
            raise ModelError(f"{source}: {key} holds NaN or infinite values")


def load_pretrained_model(name: str, folder: Path = PRETRAINED_DIR):
    """A shipped model: fp16 generator weights (safetensors) plus the model's hyper-parameters (JSON card). A broken
    card or weights file is one ModelError naming it."""
    from safetensors.torch import load_file

    from lightning_gan.models.base import model_class

    card_path, weights_path = folder / f"{name}.json", folder / f"{name}.safetensors"
    try:
        card = json.loads(card_path.read_text())
        cls, hparams = model_class(card["class_path"]), dict(card["hparams"])
        with torch.device("meta"):  # the card's model built without memory: its size is checked before it is real
            shapes = {k: tuple(v.shape) for k, v in cls(**hparams).inference_generator.state_dict().items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise ModelError(f"{card_path}: not a usable model card ({first_line(error)})") from error
    try:
        loaded = load_file(weights_path)
    except Exception as error:  # noqa: BLE001 - a truncated or foreign file raises several kinds
        raise ModelError(f"{weights_path}: cannot be read as safetensors ({first_line(error)})") from error
    wrong = next((k for k in shapes if k not in loaded or tuple(loaded[k].shape) != shapes[k]), None)
    if wrong is not None or set(loaded) - set(shapes):
        raise ModelError(f"{weights_path} does not fit its card {card_path.name} ("
                         f"{wrong or sorted(set(loaded) - set(shapes))[0]}): the card describes another model")
    model = cls(**hparams)
    network = model.inference_generator
    check_weights(loaded, network.state_dict(), str(weights_path))
    weights = {k: v.float() if v.is_floating_point() else v for k, v in loaded.items()}
    try:
        network.load_state_dict(weights)
    except RuntimeError as error:
        raise ModelError(f"{weights_path} does not fit its card's model: {first_line(error)}") from error
    return model


def load_restorer(spec: str, device: str | torch.device = "cpu", strength: float = 1.0, half: bool | None = None) -> Restorer:
    """`spec`: a checkpoint path, a shipped pretrained name, or a baseline name. `strength` scales the noise level
    that noise-level-aware denoisers are given (1 = as estimated; below 1 keeps more grain, above removes more).
    `half`: run the network in fp16 (None: on CUDA only, as Real-ESRGAN does; global tone operators stay fp32)."""
    device = torch.device(device)
    half = device.type == "cuda" if half is None else half
    if spec in BASELINES:
        if strength != 1.0:
            raise ModelError(f"--strength needs a noise-level-aware model; {spec} is a classical baseline")
        return baseline_restorer(spec, UPSCALE_BASELINE if spec in UPSAMPLERS else 1, device)
    if spec in pretrained_names():
        return _from_module(spec, load_pretrained_model(spec), device, strength, half)
    path = Path(spec)
    if path.suffix == ".safetensors" and path.is_file():  # an exported model outside the package (its card beside it)
        if not path.with_suffix(".json").is_file():
            raise ModelError(f"--model {spec}: no card {path.with_suffix('.json').name} beside it")
        return _from_module(str(path), load_pretrained_model(path.stem, path.parent), device, strength, half)
    if path.is_file():
        return _from_module(str(path), load_checkpoint_model(path), device, strength, half)
    raise ModelError(f"--model {spec!r} is neither a checkpoint file, an exported .safetensors model, a shipped model "
                     f"({', '.join(pretrained_names()) or 'none'}) nor a baseline ({', '.join(BASELINES)})")


def baseline_restorer(name: str, scale: int, device: str | torch.device = "cpu") -> Restorer:
    fn = BASELINES[name]
    return Restorer(name, lambda x, m: fn(x, m, scale), scale, False, torch.device(device))

