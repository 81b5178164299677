"""Generation: a generator model (shipped, exported or a checkpoint) drawing seeded images, and latent walks."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import Tensor
from torchvision.utils import save_image

from lightning_gan.files import atomic_path, check_number
from lightning_gan.inference.loading import load_model_object
from lightning_gan.inference.restorer import ModelError


def load_generator_model(spec: str | Path, device: str):
    """A shipped generator by name (`grocery`), an exported .safetensors (card beside it) or a checkpoint."""
    model = load_model_object(str(spec))
    if not callable(getattr(model, "render", None)):
        raise ModelError(f"--model {spec} is a {type(model).__name__}; generate needs a generator (DCGAN or ConditionalGAN)")
    return model.to(device).eval()


def slerp(a: Tensor, b: Tensor, t: Tensor) -> Tensor:
    """Spherical interpolation: Gaussian latents keep their typical norm along the way (White 2016)."""
    cos = (a * b).sum() / (a.norm() * b.norm())
    omega = cos.clamp(-1, 1).acos()
    if omega.abs() < 1e-4:
        return torch.lerp(a, b, t[:, None])
    return (torch.sin((1 - t) * omega)[:, None] * a + torch.sin(t * omega)[:, None] * b) / torch.sin(omega)


def labels_for(model, label: str | None, count: int) -> Tensor | None:
    classes = getattr(model, "classes", None)
    if classes is None:
        if label is not None:
            raise ModelError(f"--label {label!r}: this {type(model).__name__} model is unconditional")
        return None
    if label is None:
        return torch.arange(count) % len(classes)
    return torch.full((count,), model.label_of(label), dtype=torch.long)


def latents(count: int, dim: int, seed: int, truncation: float | None = None) -> Tensor:
    """(count, dim) standard normal noise drawn on the CPU, the same for a seed. With `truncation` t, every value
    outside [-t, t] is drawn again until none is (the truncation trick, Brock et al. ICLR 2019, section 3.1):
    samples nearer the mode of what the generator learnt, more typical and less varied; t = 2 changes 5 % of the
    values, t = 0.5 62 %."""
    check_number("--truncation", truncation, low=0.1)
    generator = torch.Generator().manual_seed(seed)
    z = torch.randn(count, dim, generator=generator)
    if truncation is not None:
        outside = z.abs() > truncation
        while outside.any():  # each round keeps a share erf(t / sqrt 2) of what it draws: a few rounds
            z[outside] = torch.randn(int(outside.sum()), generator=generator)
            outside = z.abs() > truncation
    return z


@torch.no_grad()
def images(model, count: int, seed: int, labels: Tensor | None, interpolate: bool,
           truncation: float | None = None) -> Tensor:
    """`count` images in [0, 1], deterministic for a seed (and truncation: `latents`)."""
    if interpolate:
        ends = latents(2, model.hparams.latent_dim, seed, truncation)
        z = slerp(ends[0], ends[1], torch.linspace(0, 1, count))
    else:
        z = latents(count, model.hparams.latent_dim, seed, truncation)
    return model.render(z, labels)


def upscaler(spec: str, device: str):
    """A super-resolution restorer (e.g. `sr4x-clean`: generated samples are clean, not compressed) that enlarges
    samples to catalogue size; refused when the model does not enlarge."""
    from lightning_gan.inference.loading import load_restorer

    restorer = load_restorer(spec, device)
    if restorer.scale < 2:
        raise ModelError(f"--upscale {spec}: {restorer.name} does not enlarge (scale x{restorer.scale}); "
                         "give a super-resolution model such as sr4x-clean")
    return restorer


@torch.no_grad()
def enlarged(batch: Tensor, restorer) -> Tensor:
    """Each sample through the upscaler, one at a time (memory stays that of one image)."""
    return torch.cat([restorer(image[None]).cpu() for image in batch]).clamp(0, 1)


def save_png(image: Tensor, path: Path) -> None:
    with atomic_path(path) as temporary:
        save_image(image, temporary, format="PNG")
