"""Warm starts: a new run's generator set to a trained one (a shipped model, an exported .safetensors or a
checkpoint), loaded through the tools' one resolver, so any model a tool can run can seed a training run."""

from __future__ import annotations

import torch
from torch import Tensor, nn


def generator_source(spec: str) -> tuple[dict[str, Tensor], object]:
    """The inference generator's weights and the hyper-parameters of a shipped model name, an exported .safetensors
    (card beside it) or a checkpoint, loaded the way the tools load them."""
    from lightning_gan.inference.loading import load_model_object
    from lightning_gan.inference.restorer import ModelError

    try:
        model = load_model_object(spec)
    except (ModelError, OSError, KeyError) as error:
        raise ValueError(f"--model.init_from {spec}: {error}") from error
    return model.inference_generator.state_dict(), model.hparams


def generator_weights(spec: str) -> dict[str, Tensor]:
    """The inference generator's weights of `spec` (see `generator_source`)."""
    return generator_source(spec)[0]


def warm_start(model: nn.Module, spec: str, weights: dict[str, Tensor] | None = None) -> None:
    """`model`'s generator and its EMA copy set to the generator of `spec` (`load_grown`'s rules)."""
    weights = generator_weights(spec) if weights is None else weights
    load_grown(model.generator, weights, spec)
    if getattr(model, "generator_ema", None) is not None:
        load_grown(model.generator_ema.module, weights, spec)


def load_grown(net: nn.Module, weights: dict[str, Tensor], source: str = "") -> None:
    """Load `weights` into `net`; a tensor with more input channels (dim 1) in `net` gets the source's weights in its
    leading channels and zeros in the rest; one with fewer keeps the source's leading channels (the source computing
    with the dropped inputs at zero: a denoiser's noise map at level 0). Any other mismatch is an error naming the
    tensor."""
    own = net.state_dict()
    if set(own) != set(weights):
        missing, extra = sorted(set(own) - set(weights)), sorted(set(weights) - set(own))
        raise ValueError(f"--model.init_from {source}: a different architecture (missing {missing[:3]}, unexpected {extra[:3]})")
    grown = {}
    for key, value in weights.items():
        target = own[key]
        if value.shape == target.shape:
            grown[key] = value
        elif value.dim() == target.dim() >= 2 and value.shape[0] == target.shape[0] and value.shape[2:] == target.shape[2:] \
                and value.shape[1] < target.shape[1]:
            grown[key] = torch.cat([value, value.new_zeros(value.shape[0], target.shape[1] - value.shape[1], *value.shape[2:])], 1)
        elif value.dim() == target.dim() >= 2 and value.shape[0] == target.shape[0] and value.shape[2:] == target.shape[2:]:
            grown[key] = value[:, : target.shape[1]]  # fewer inputs: the source as if the dropped ones were zero
        else:
            raise ValueError(f"--model.init_from {source}: {key} has shape {tuple(value.shape)}, this model {tuple(target.shape)}")
    net.load_state_dict(grown)
