"""The model families as inference needs them, built from a shipped card (its class path and hyper-parameters) with
no Lightning: `ImageRestoration` (enhance, denoise, JPEG repair, inpaint, upscale) and `ImageGeneration` (seeded
product images). The training modules share the same rules (`RestorationRules` is a base of
`lightning_gan.models.enhance_base.EnhancementGAN`) and the same generator builders (`lightning_gan.nets.builders`),
so a card loads into the network it was trained as."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from types import SimpleNamespace

import torch
from torch import Tensor, nn

from lightning_gan.inference.baselines import diffusion_fill
from lightning_gan.inference.restorer import INPAINT_WORKING_SIZE, Restorer, fast_inference, global_restorer
from lightning_gan.nets.builders import eagan_generator, encoder_decoder_generator, noise_generator
from lightning_gan.nets.cascade import Cascade
from lightning_gan.nets.io import NOISE_ESTIMATORS, ImageToImage, NoiseToImage, noise_level_map, pad_to_multiple, to_signed, to_unit


class RestorationRules:
    """How an image-to-image generator is fed and run on whole photos. Needs the attributes `inference_generator`,
    `scale`, `use_mask`, `prefill_holes`, `noise_map`, `noise_estimator`, `noise_floor`, `jpeg_consistency`,
    `noise_strength` and `noise_level`."""

    @property
    def in_channels(self) -> int:
        return 3 + int(self.use_mask) + int(self.noise_map)

    def noise_levels(self, degraded: Tensor) -> Tensor:
        """(B,) noise levels (sigma, 0-1 units) the noise map shows before `noise_strength`: the measured level when one
        was set (`set_noise_level`), else the model's own blind estimate (`noise_estimator`)."""
        if self.noise_level is not None:
            return degraded.new_full((len(degraded),), self.noise_level)
        return NOISE_ESTIMATORS[self.noise_estimator](degraded)

    def network_input(self, degraded: Tensor, mask: Tensor | None = None, levels: Tensor | None = None) -> Tensor:
        """Degraded images in [0, 1] (and the mask, and the noise-level map) as the generator's input in [-1, 1].
        `levels`: the noise levels already measured (on the whole photo, when this is a tile of it)."""
        parts = []
        if self.use_mask:
            if mask is None:
                raise ValueError("this model inpaints: it needs a mask (1 inside the area to fill)")
            if mask.shape[-2:] != degraded.shape[-2:]:
                raise ValueError(f"mask size {tuple(mask.shape[-2:])} differs from the image size {tuple(degraded.shape[-2:])}")
            if self.prefill_holes:
                # Holes can be far wider than the generator's receptive field: start from a diffusion fill, refine it.
                degraded = diffusion_fill(degraded, mask)
            parts.append(to_signed(mask))
        if self.noise_map:
            levels = self.noise_levels(degraded) if levels is None else levels
            parts.append(noise_level_map(self.noise_strength * levels.to(degraded), degraded))
        return torch.cat([to_signed(degraded), *parts], dim=1) if parts else to_signed(degraded)

    def enhance(self, degraded: Tensor, mask: Tensor | None = None, generator: nn.Module | None = None,
                levels: Tensor | None = None) -> Tensor:
        """Degraded images in [0, 1] to restored images in [0, 1] (the EMA generator unless one is given)."""
        return to_unit((generator or self.inference_generator)(self.network_input(degraded, mask, levels)))

    def restorer(self, name: str, device: torch.device, strength: float = 1.0, half: bool = False) -> Restorer:
        """Whole photos in, restored photos out (`lightning_gan.inference.Restorer`: tiling, working size): this
        model's EMA generator, fused for inference, with padding to the generator's size multiple, the hole's
        prefill, and pixels outside the mask kept exactly. A `Cascade` runs as its second stage's restorer with the
        first stage's as `before`, named `name/input_model`."""
        if strength != 1.0 and not self.noise_map:
            raise ValueError(f"--strength needs a noise-level-aware model (trained with --model.noise_map true); {name} is not")
        self.to(device).eval()
        self.noise_strength = strength
        network = self.inference_generator
        if isinstance(network, Cascade):
            restorer = self._restorer(name, network.second, device, half)
            restorer.before = stage_restorer(f"{name}/{self.input_model}", network.first, device, half)
            return restorer
        return self._restorer(name, network, device, half)

    def _restorer(self, name: str, network: nn.Module, device: torch.device, half: bool) -> Restorer:
        if getattr(network, "global_operator", False):
            return global_restorer(name, network, device)
        multiple = getattr(network, "size_multiple", 1)  # e.g. the encoder-decoder needs sides divisible by 4
        dtype = torch.float16 if half else torch.float32  # fp16: half the memory and about 2x on tensor cores
        generator = fast_inference(network).to(dtype)

        def run(x: Tensor, m: Tensor | None, levels: Tensor | None = None) -> Tensor:
            height, width = x.shape[-2:]
            x = x.contiguous(memory_format=torch.channels_last)
            padded_mask = pad_to_multiple(m, multiple).to(dtype) if m is not None else None
            out = self.enhance(pad_to_multiple(x, multiple).to(dtype), padded_mask, generator, levels).float()
            out = out[..., : height * self.scale, : width * self.scale]
            return out if m is None else torch.where(m > 0.5, out, x)

        def measured_once(whole: Tensor) -> Callable[[Tensor, Tensor | None], Tensor]:
            """The noise level of the whole photo for every tile (a tile of sky and a tile of foliage would read
            differently, and the seams would show). Photos whose own estimate is under `noise_floor` come back as
            they are (a level set from outside, as `fix` does, is never gated)."""
            levels = self.noise_levels(whole)
            if self.noise_level is not None or not self.noise_floor:
                return lambda x, m: run(x, m, levels)
            clean = (levels * 255 < self.noise_floor).view(-1, 1, 1, 1)
            return lambda x, m: x if clean.all() else torch.where(clean, x, run(x, m, levels))

        working_size = INPAINT_WORKING_SIZE if getattr(network, "global_inpainter", False) else None
        set_level = self._set_noise_level if self.noise_map else None
        finish = None
        if self.jpeg_consistency and self.scale == 1:
            from lightning_gan.nets.jpeg import consistent_with_file

            finish = consistent_with_file
        return Restorer(name, run, self.scale, self.use_mask, device, working_size=working_size, set_noise_level=set_level,
                        finish=finish, prepare=measured_once if self.noise_map else None, prepare_flips=self.noise_map)

    def _set_noise_level(self, level: float | None) -> None:
        self.noise_level = level

    def export_module(self, direction: str = "a2b") -> tuple[nn.Module, tuple[Tensor, ...], list[str], list[str], bool]:
        module = ImageToImage(self.inference_generator, self.use_mask, self.noise_map)
        inputs, names = [torch.rand(1, 3, 64, 64)], ["image"]
        if self.use_mask:
            inputs.append((torch.rand(1, 1, 64, 64) > 0.8).float())
            names.append("mask")
        if self.noise_map:
            inputs.append(torch.full((1,), 25 / 255))
            names.append("noise_level")
        return module, tuple(inputs), names, ["restored"], True


def stage_restorer(name: str, network: nn.Module, device: torch.device, half: bool = False) -> Restorer:
    """A plain photo-to-photo network ([-1, 1] in and out, any size) as a restorer: a cascade's first stage."""
    dtype = torch.float16 if half else torch.float32
    generator = fast_inference(network).to(device, dtype)

    def run(x: Tensor, m: Tensor | None) -> Tensor:
        return to_unit(generator(to_signed(x.contiguous(memory_format=torch.channels_last)).to(dtype)).float())

    return Restorer(name, run, 1, False, device)


class ImageRestoration(RestorationRules):
    """A restoration model for inference: its generator and the rules above, nothing for training."""

    def __init__(self, generator: nn.Module, hparams: dict, scale: int = 1, use_mask: bool = False,
                 prefill_holes: bool = True, noise_map: bool = False, noise_estimator: str = "haar",
                 noise_floor: float = 0.0, jpeg_consistency: bool = False, input_model: str | None = None,
                 train_input_model: bool = False):
        self.inference_generator, self.hparams = generator.requires_grad_(False), SimpleNamespace(**hparams)
        self.input_model = input_model  # the earlier stage it was trained behind; its restorer runs it first
        self.train_input_model = train_input_model  # that stage trained with it: its weights are in this model
        self.scale, self.use_mask, self.prefill_holes, self.noise_map = scale, use_mask, prefill_holes, noise_map
        self.noise_estimator, self.noise_floor = noise_estimator, noise_floor
        self.jpeg_consistency = jpeg_consistency
        self.noise_strength = 1.0  # multiplies the estimated noise level (`enhance --strength`)
        self.noise_level: float | None = None  # a measured level (sigma, 0-1 units) in place of the estimate

    def to(self, device: torch.device | str) -> ImageRestoration:
        self.inference_generator.to(device)
        return self

    def eval(self) -> ImageRestoration:
        self.inference_generator.eval()
        return self


class ImageGeneration:
    """A generator of product images for inference: latents (and classes) in, images in [0, 1] out."""

    def __init__(self, generator: nn.Module, hparams: dict):
        self.inference_generator, self.hparams = generator.requires_grad_(False), SimpleNamespace(**hparams)
        self.device = torch.device("cpu")
        if hparams.get("classes"):
            self.classes = list(hparams["classes"])

    def label_of(self, name: str) -> int:
        """The index of class `name`, in any case ("banana" is Banana)."""
        folded = [c.casefold() for c in self.classes]
        if name.casefold() not in folded:
            raise ValueError(f"unknown label {name!r}; known labels: {', '.join(self.classes)}")
        return folded.index(name.casefold())

    @torch.no_grad()
    def render(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        """Latents (count, latent_dim) to images in [0, 1]; `labels` picks each one's class (default: in turn)."""
        if not hasattr(self, "classes"):
            return to_unit(self.inference_generator(z.to(self.device)))
        if labels is None:
            labels = torch.arange(len(z)) % len(self.classes)
        return to_unit(self.inference_generator(z.to(self.device), labels.clamp_min(0).to(self.device)))

    def export_module(self, direction: str = "a2b") -> tuple[nn.Module, tuple[Tensor, ...], list[str], list[str], bool]:
        z = torch.randn(2, self.hparams.latent_dim)
        if hasattr(self, "classes"):
            return NoiseToImage(self.inference_generator, True), (z, torch.tensor([0, 1 % len(self.classes)])), \
                ["z", "label"], ["image"], False
        return NoiseToImage(self.inference_generator, False), (z,), ["z"], ["image"], False

    def to(self, device: torch.device | str) -> ImageGeneration:
        self.device = torch.device(device)
        self.inference_generator.to(device)
        return self

    def eval(self) -> ImageGeneration:
        self.inference_generator.eval()
        return self


def known(function: Callable, hparams: dict, **given) -> dict:
    """The hyper-parameters `function` takes (a card may lack newer ones: the function's defaults apply), plus `given`."""
    names = inspect.signature(function).parameters
    return {k: v for k, v in hparams.items() if k in names} | given


def restoration_settings(hparams: dict) -> dict:
    """The card's values of ImageRestoration's settings (scale, use_mask, ...)."""
    settings = known(ImageRestoration.__init__, hparams)
    return {k: v for k, v in settings.items() if k not in ("self", "generator", "hparams")}


def eagan(hparams: dict) -> ImageRestoration:
    settings = restoration_settings(hparams)
    channels = 3 + int(settings.get("use_mask", False)) + int(settings.get("noise_map", False))
    net = eagan_generator(**known(eagan_generator, hparams, in_channels=channels))
    if settings.get("train_input_model"):  # the earlier stage's architecture from its card; the weights are ours
        from lightning_gan.inference.loading import network_of  # loading imports the families: load late

        net = Cascade(network_of(settings["input_model"]), net)
    return ImageRestoration(net, hparams, **settings)


def gan_enhance(hparams: dict) -> ImageRestoration:
    settings = restoration_settings(hparams)
    channels = 3 + int(settings.get("use_mask", False)) + int(settings.get("noise_map", False))
    net = encoder_decoder_generator(**known(encoder_decoder_generator, hparams, in_channels=channels))
    return ImageRestoration(net, hparams, **settings)


def dcgan(hparams: dict) -> ImageGeneration:
    return ImageGeneration(noise_generator(**known(noise_generator, hparams, classes=0)), hparams)


def conditional_gan(hparams: dict) -> ImageGeneration:
    classes = len(hparams.get("classes") or [])
    if not classes:
        raise ValueError("a conditional generator's card must list its classes")
    return ImageGeneration(noise_generator(**known(noise_generator, hparams, classes=classes)), hparams)


# The model classes whose cards load without Lightning, by the class path a card records.
FAMILIES: dict[str, Callable[[dict], ImageRestoration | ImageGeneration]] = {
    "lightning_gan.models.eagan.EAGAN": eagan,
    "lightning_gan.models.gan_enhance.GANEnhance": gan_enhance,
    "lightning_gan.models.dcgan.DCGAN": dcgan,
    "lightning_gan.models.cgan.ConditionalGAN": conditional_gan,
}
CAPABILITY = {eagan: ImageRestoration, gan_enhance: ImageRestoration, dcgan: ImageGeneration,
              conditional_gan: ImageGeneration}
