"""The generators of the model families, built from their hyper-parameters. The LightningModules (training) and the
inference loader (`lightning_gan.inference.families`, which must not import Lightning) build them here, so a shipped
card gives the same network either way."""

from __future__ import annotations

from typing import Literal

from torch import nn

from lightning_gan.nets.cgan import ConditionalGenerator
from lightning_gan.nets.dcgan import DCGANGenerator
from lightning_gan.nets.eagan import ResNetGenerator, UNetGenerator, UnshuffleResNet
from lightning_gan.nets.enhance import EncoderDecoder
from lightning_gan.nets.fastgan import FastGANGenerator
from lightning_gan.nets.ffc import FFCInpainter
from lightning_gan.nets.nafnet import NAFNet
from lightning_gan.nets.tone import GuardedToneGenerator, ToneGenerator

RestorationKind = Literal["resnet", "edsr", "unshuffle", "nafnet", "unet", "tone", "guarded_tone", "ffc"]


def eagan_generator(generator: RestorationKind = "resnet", in_channels: int = 3, width: int = 64, blocks: int = 8,
                    scale: int = 1, knots: int = 17, thumb: int = 128, tone_guards: bool = False,
                    level_blocks: int = 1) -> nn.Module:
    """EAGAN's generator of kind `generator` (the choices are documented on `lightning_gan.models.eagan.EAGAN`)."""
    if generator not in ("resnet", "edsr") and scale != 1:
        raise ValueError(f"--model.generator {generator} does not upsample; use resnet or edsr for --model.scale > 1")
    if generator in ("tone", "guarded_tone") and in_channels != 3:
        raise ValueError("--model.generator tone changes colour and tone only; it cannot inpaint or denoise (use resnet or unet)")
    if level_blocks != 1 and generator != "nafnet":
        raise ValueError(f"--model.level_blocks is for --model.generator nafnet, not {generator}")
    if generator == "unet":
        return UNetGenerator(in_channels, width, blocks)
    if generator == "tone":
        return ToneGenerator(width, thumb, knots, guards=tone_guards)
    if generator == "guarded_tone":
        return GuardedToneGenerator(width, thumb, knots)
    if generator == "ffc":
        return FFCInpainter(in_channels, width, blocks)
    if generator == "unshuffle":
        return UnshuffleResNet(in_channels, width, blocks)
    if generator == "nafnet":
        return NAFNet(in_channels, width, blocks, level_blocks)
    if generator in ("resnet", "edsr"):
        return ResNetGenerator(in_channels, width, blocks, scale, norm=generator == "resnet")
    raise ValueError(f"--model.generator {generator!r} is unknown")


def encoder_decoder_generator(in_channels: int = 3, width: int = 32, blocks: int = 4,
                              global_residual: bool = True) -> nn.Module:
    """GANEnhance's encoder-decoder generator."""
    return EncoderDecoder(in_channels, width, blocks, global_residual)


def noise_generator(generator: Literal["dcgan", "fastgan"] = "dcgan", latent_dim: int = 100, g_width: int = 64,
                    image_size: int = 64, classes: int = 0, embed_dim: int = 32) -> nn.Module:
    """DCGAN's generator (`classes` 0), or the conditional GAN's for `classes` > 0."""
    if generator == "fastgan":
        return FastGANGenerator(classes, latent_dim, g_width, image_size, embed_dim)
    if classes:
        return ConditionalGenerator(classes, latent_dim, g_width, image_size, embed_dim)
    return DCGANGenerator(latent_dim, g_width, image_size)
