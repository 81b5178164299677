"""Loading models for inference, one resolver for every tool: a shipped name (`lightning_gan/pretrained`), an exported
`.safetensors` with its card beside it, a training checkpoint, or a classical baseline."""

from __future__ import annotations

import json
from pathlib import Path

import torch
from torch import Tensor

from lightning_gan.files import first_line, save_weights
from lightning_gan.inference.baselines import BASELINES, UPSAMPLERS
from lightning_gan.inference.restorer import ModelError, Restorer

PRETRAINED_DIR = Path(__file__).parent.parent / "pretrained"
UPSCALE_BASELINE = 4  # `--model bicubic` (and bilinear, nearest) enlarge as the shipped sr4x does


def pretrained_names() -> list[str]:
    return sorted(p.stem for p in PRETRAINED_DIR.glob("*.safetensors"))


def card_builder(class_path: str):
    """What builds a card's model: its family in `inference.families` (no Lightning), else, for a model class
    defined elsewhere (a variant of your own), the LightningModule itself."""
    from lightning_gan.inference.families import FAMILIES

    if class_path in FAMILIES:
        return FAMILIES[class_path]
    from lightning_gan.models.base import model_class  # imports Lightning: only for classes outside the families

    cls = model_class(class_path)
    return lambda hparams: cls(**hparams)


def shipped_with(capability: str) -> list[str]:
    """Shipped models that have the method `capability` (`restorer`, `render`), read from their cards."""
    from lightning_gan.inference.families import CAPABILITY, FAMILIES

    names = []
    for name in pretrained_names():
        try:
            class_path = json.loads((PRETRAINED_DIR / f"{name}.json").read_text())["class_path"]
            kind = CAPABILITY[FAMILIES[class_path]] if class_path in FAMILIES else card_builder(class_path)
        except (ValueError, KeyError, OSError):
            continue
        if callable(getattr(kind, capability, None)):
            names.append(name)
    return names


def _from_module(name: str, model, device: torch.device, strength: float = 1.0, half: bool = False) -> Restorer:
    """The model's own restorer (`EnhancementGAN.restorer`): the model family owns padding, prefill and compositing."""
    make = getattr(model, "restorer", None)
    if make is None:
        raise ModelError(f"{name} is a {type(model).__name__} model (generation); this needs an enhancement model "
                         "(GANEnhance or EAGAN)")
    if strength < 0:
        raise ModelError(f"--strength must be >= 0, got {strength}")
    try:
        restorer = make(name, device, strength, half)
    except ValueError as error:
        raise ModelError(str(error)) from error
    if getattr(model, "input_model", None) and restorer.before is None:  # trained behind a frozen earlier stage
        restorer.before = load_restorer(model.input_model, device, half=half)
    return restorer


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
    model = load_checkpoint_model(ckpt)
    state = {k: (v.half() if v.is_floating_point() else v).contiguous() for k, v in model.inference_generator.state_dict().items()}
    hparams = {k: v for k, v in dict(model.hparams).items() if not k.startswith("_") and not k.endswith(("_optimizer", "_scheduler"))}
    if "perceptual_weight" in hparams:
        hparams["perceptual_weight"] = 0.0  # inference never needs VGG19
    card = {"name": name, "class_path": f"{type(model).__module__}.{type(model).__name__}", "hparams": hparams, **facts}
    out_dir.mkdir(parents=True, exist_ok=True)
    save_weights(state, out_dir / f"{name}.safetensors")
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


def read_card(card_path: Path) -> tuple:
    """What builds a card's model and its hyper-parameters; an unreadable card is one ModelError naming it."""
    try:
        card = json.loads(card_path.read_text())
        return card_builder(card["class_path"]), dict(card["hparams"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise ModelError(f"{card_path}: not a usable model card ({first_line(error)})") from error


def load_pretrained_model(name: str, folder: Path = PRETRAINED_DIR):
    """A shipped model: fp16 generator weights (safetensors) plus the model's hyper-parameters (JSON card). A broken
    card or weights file is one ModelError naming it."""
    from safetensors.torch import load_file

    card_path, weights_path = folder / f"{name}.json", folder / f"{name}.safetensors"
    build, hparams = read_card(card_path)
    try:
        with torch.device("meta"):  # the card's model built without memory: its size is checked before it is real
            shapes = {k: tuple(v.shape) for k, v in build(hparams).inference_generator.state_dict().items()}
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
    model = build(hparams)
    network = model.inference_generator
    check_weights(loaded, network.state_dict(), str(weights_path))
    weights = {k: v.float() if v.is_floating_point() else v for k, v in loaded.items()}
    try:
        network.load_state_dict(weights)
    except RuntimeError as error:
        raise ModelError(f"{weights_path} does not fit its card's model: {first_line(error)}") from error
    return model


def load_model_object(spec: str):
    """The one resolver of model specs for every tool: a shipped name, an exported `.safetensors` (its card `.json`
    beside it) or a training checkpoint, as the model object. Anything else is one ModelError naming the spec."""
    if spec in pretrained_names():
        return load_pretrained_model(spec)
    path = Path(spec)
    if path.suffix == ".safetensors" and path.is_file():
        if not path.with_suffix(".json").is_file():
            raise ModelError(f"--model {spec}: no card {path.with_suffix('.json').name} beside it")
        return load_pretrained_model(path.stem, path.parent)
    if path.is_file():
        return load_checkpoint_model(path)
    raise ModelError(f"--model {spec!r} is neither a checkpoint file, an exported .safetensors model nor a shipped "
                     f"model ({', '.join(pretrained_names()) or 'none'})")


def network_of(spec: str):
    """The generator network `spec` describes, its weights not loaded when it is a card (a shipped name or an exported
    file): the architecture of a cascade's earlier stage, whose weights come with the cascade."""
    if spec in pretrained_names() or Path(spec).suffix == ".safetensors":
        card = PRETRAINED_DIR / f"{spec}.json" if spec in pretrained_names() else Path(spec).with_suffix(".json")
        build, hparams = read_card(card)
        return build(hparams).inference_generator
    with torch.device("cpu"):  # a checkpoint is loaded whole, also while a card is sized on the meta device
        return load_model_object(spec).inference_generator


def load_restorer(spec: str, device: str | torch.device = "cpu", strength: float = 1.0, half: bool | None = None) -> Restorer:
    """`spec`: a checkpoint path, a shipped pretrained name, an exported model or a baseline name. `strength` scales
    the noise level that noise-level-aware denoisers are given (1 = as estimated; below 1 keeps more grain, above
    removes more). `half`: run the network in fp16 (None: on CUDA only, as Real-ESRGAN does; global tone operators
    stay fp32)."""
    device = torch.device(device)
    half = device.type == "cuda" if half is None else half
    if spec in BASELINES:
        if strength != 1.0:
            raise ModelError(f"--strength needs a noise-level-aware model; {spec} is a classical baseline")
        return baseline_restorer(spec, UPSCALE_BASELINE if spec in UPSAMPLERS else 1, device)
    try:
        model = load_model_object(spec)
    except ModelError as error:
        if Path(spec).exists() or spec in pretrained_names():
            raise
        raise ModelError(f"{error}, nor a baseline ({', '.join(BASELINES)})") from None
    return _from_module(spec, model, device, strength, half)


def baseline_restorer(name: str, scale: int, device: str | torch.device = "cpu") -> Restorer:
    fn = BASELINES[name]
    return Restorer(name, lambda x, m: fn(x, m, scale), scale, False, torch.device(device))
