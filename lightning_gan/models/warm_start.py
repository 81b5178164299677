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


# Generator parts that depend on the upscaling factor (`ResNetGenerator`: the pixel-shuffle stages and the conv after
# them). A source of another factor seeds only the rest; these start afresh (the tail at zero: bicubic), as EDSR
# (Lim et al. CVPRW 2017) seeds its x4 model from its x2 one.
UPSCALING_PARTS = ("up.", "tail.")


def warm_start(model: nn.Module, spec: str, weights: dict[str, Tensor] | None = None) -> None:
    """`model`'s generator and its EMA copy set to the generator of `spec` (`load_grown`'s rules). A source that
    upscales by another factor (`scale`) seeds everything but the upscaling parts (`UPSCALING_PARTS`); a cascade
    seeds a single generator with its second stage, a single generator seeds a cascade's second stage."""
    theirs = None
    if weights is None:
        weights, theirs = generator_source(spec)
    target, weights = cascade_fit(model.generator, weights)
    if theirs is not None:
        ours, source_scale = getattr(model.hparams, "scale", 1), getattr(theirs, "scale", 1)
        if ours != source_scale:
            weights = across_scales(target.state_dict(), weights, spec, source_scale, ours)
    load_grown(target, weights, spec)
    if getattr(model, "generator_ema", None) is not None:
        load_grown(cascade_fit(model.generator_ema.module, weights)[0], weights, spec)


def cascade_fit(net: nn.Module, weights: dict[str, Tensor]) -> tuple[nn.Module, dict[str, Tensor]]:
    """The part of `net` that `weights` seed, and the weights for it: a single generator seeds a cascade's second
    stage (its first stage already holds the earlier stage's weights); a cascade seeds a single generator with its
    second stage (`init_from sr2x` is the upscaler); otherwise the whole network, as they are."""
    from lightning_gan.nets.cascade import Cascade

    is_cascade = any(k.startswith(("first.", "second.")) for k in weights)
    if isinstance(net, Cascade) and not is_cascade:
        return net.second, weights
    if is_cascade and not isinstance(net, Cascade):
        return net, {k.removeprefix("second."): v for k, v in weights.items() if k.startswith("second.")}
    return net, weights


def trainable_generator(spec: str) -> nn.Module:
    """A copy of the inference generator of `spec` (shipped name, exported file or checkpoint) to train further as
    the first stage of a `Cascade`: a plain photo-to-photo network (no upscaling, mask or noise map)."""
    import copy

    from lightning_gan.inference.loading import load_model_object
    from lightning_gan.inference.restorer import ModelError

    try:
        model = load_model_object(spec)
    except (ModelError, OSError, KeyError) as error:
        raise ValueError(f"--model.input_model {spec}: {error}") from error
    settings = vars(model.hparams) if not isinstance(model.hparams, dict) else model.hparams
    if settings.get("scale", 1) != 1 or settings.get("use_mask") or settings.get("noise_map"):
        raise ValueError(f"--model.train_input_model: {spec} is not a plain photo-to-photo model (scale 1, no mask, "
                         "no noise map)")
    return copy.deepcopy(model.inference_generator).float().requires_grad_(True)


def across_scales(own: dict[str, Tensor], weights: dict[str, Tensor], spec: str, source_scale: int, scale: int) -> dict[str, Tensor]:
    """`weights` of a generator upscaling x`source_scale` made to fit one upscaling x`scale`: every part but the
    upscaling ones from the source, those from `own` (the fresh model)."""
    kept = {k: v for k, v in weights.items() if not k.startswith(UPSCALING_PARTS)}
    if not kept or any(k not in own for k in kept):
        raise ValueError(f"--model.init_from {spec}: a x{source_scale} generator of another architecture cannot seed a x{scale} one")
    print(f"init_from {spec}: x{source_scale} -> x{scale}: body from {spec}, upscaling layers ({', '.join(UPSCALING_PARTS)}) fresh")
    return {**{k: v for k, v in own.items() if k.startswith(UPSCALING_PARTS)}, **kept}


def identity_blocks_added(net: nn.Module, weights: dict[str, Tensor]) -> dict[str, str]:
    """Keys of `net` (with their block's name) that `weights` lack because they belong to whole blocks the source
    does not have (a deeper level), where the block starts as the identity (`starts_as_identity`: NAFNet's, whose
    residual scales start at zero). Seeded with the source's blocks and these fresh ones, the deeper network
    computes exactly what the source did (a function-preserving deepening, as Net2Net's, Chen et al. ICLR 2016),
    then trains its new capacity."""
    added = {}
    for key in set(net.state_dict()) - set(weights):
        parts = key.split(".")
        for end in range(1, len(parts)):
            block = ".".join(parts[:end])
            if parts[end - 1].isdigit() and getattr(net.get_submodule(block), "starts_as_identity", False):
                if not any(k.startswith(block + ".") for k in weights):
                    added[key] = block
                break
    return added


def load_grown(net: nn.Module, weights: dict[str, Tensor], source: str = "") -> None:
    """Load `weights` into `net`; blocks `net` has beyond the source's that start as the identity keep their fresh
    values (`identity_blocks_added`); a tensor with more input channels (dim 1) in `net` gets the source's weights in
    its leading channels and zeros in the rest; one with fewer keeps the source's leading channels (the source computing
    with the dropped inputs at zero: a denoiser's noise map at level 0). Any other mismatch is an error naming the
    tensor."""
    own = net.state_dict()
    added = identity_blocks_added(net, weights)
    if set(own) - set(added) != set(weights):
        missing, extra = sorted(set(own) - set(added) - set(weights)), sorted(set(weights) - set(own))
        raise ValueError(f"--model.init_from {source}: a different architecture (missing {missing[:3]}, unexpected {extra[:3]})")
    if added:
        blocks = sorted(set(added.values()))
        print(f"init_from {source}: {len(blocks)} block(s) the source lacks start as the identity ({blocks[0]}, ...)")
    grown = {key: own[key] for key in added}
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
