"""EAGAN, the enhancement GAN of docs/design.md §5 (SRResNet generator: Ledig et al., "Photo-Realistic Single Image
Super-Resolution Using a GAN", CVPR 2017), for enhancement, denoising, inpainting, super-resolution and
colorization."""

from __future__ import annotations

from typing import Literal

from torch import Tensor

from lightning_gan.models.enhance_base import EnhancementGAN
from lightning_gan.nets.builders import RestorationKind, eagan_generator
from lightning_gan.nets.enhance import GlobalLocalDiscriminator, PatchDiscriminator, UNetDiscriminator
from lightning_gan.training.losses import gradient_loss, ssim_loss


class EAGAN(EnhancementGAN):
    """Residual-block generator with batch norm (a U-Net, or an image-adaptive tone operator) and a patch
    discriminator (optionally spectral-normed, optionally global + local).

    Loss G = adversarial + l1 + ssim_weight * (1 - SSIM) + gradient_weight * Sobel-gradient L1
    + perceptual_weight * VGG19-feature L1. The perceptual term needs VGG19 weights in the torch hub cache; with
    `perceptual_weight: 0` (the default configs) nothing pretrained is needed.

    Args:
        generator: `resnet` (SRResNet-style), `edsr` (the same without batch norm, EDSR; both upsample for scale > 1),
            `unshuffle` (EDSR blocks at half resolution on pixel-unshuffled input, FFDNet's downsampling:
            denoising), `nafnet` (a U-Net of NAFNet's activation-free gated blocks, Chen et al. ECCV 2022:
            cheap depthwise convolutions, on pixel-unshuffled input like `unshuffle`; denoising), `unet`, or `tone`: global curves and a
            colour matrix predicted from a thumbnail of the whole photo (`lightning_gan.nets.tone`; enhancement of
            exposure, white balance and contrast, never repaints a pixel), `guarded_tone`: the same idea with
            invariants that hold for any weights (white and the grey axis kept, no new clipping, white balance only
            when the highlights show a cast) and an edge-aware local shadow lift (`GuardedToneGenerator`), or `ffc`:
            Fast Fourier Convolution residual blocks whose receptive field is the whole image (`lightning_gan.nets.ffc`,
            LaMa; inpainting of large holes).
        width: generator width (for `tone`: of its parameter network).
        blocks: residual blocks (resnet, edsr, unshuffle, ffc), blocks at the bottom level (nafnet) or U-Net depth
            (unet); unused by `tone`.
        level_blocks: `nafnet` only: blocks at each encoder and decoder level, times (1, 1, 2) and (1, 1, 1); a model
            of 1 warm-starts one of 2 exactly (the added blocks start as the identity).
        knots: knots of each colour channel's curve (`tone`; the shared curve of `guarded_tone`).
        thumb: side of the thumbnail the `tone` / `guarded_tone` parameter network sees.
        tone_guards: `tone` only: wrap the operator in the photo-measured gates and the shoulder of `guarded_tone`
            (a well-exposed photo without a cast comes out exactly as it went in; nothing unclipped becomes clipped).
        discriminator: `patch` (pix2pix), `global_local` (a whole-photo and a random-crop patch discriminator,
            as in EnlightenGAN) or `unet` (a logit per pixel, spectral norm: Real-ESRGAN's, for real-world
            super-resolution; crops must be multiples of 8).
        d_width: discriminator width.
        d_layers: stride-2 layers of the patch discriminator.
        spectral_norm: spectral normalisation in the discriminator instead of batch norm.
        ssim_weight: weight of 1 - SSIM.
        gradient_weight: weight of the Sobel-gradient L1 loss.
        perceptual_weight: weight of the VGG19 perceptual loss (0 = off, needs no weights).
    """

    def __init__(self, generator: RestorationKind = "resnet",
                 width: int = 64, blocks: int = 8, level_blocks: int = 1,
                 knots: int = 17, thumb: int = 128, tone_guards: bool = False,
                 discriminator: Literal["patch", "global_local", "unet"] = "patch",
                 d_width: int = 64, d_layers: int = 3, spectral_norm: bool = False, ssim_weight: float = 10.0,
                 gradient_weight: float = 10.0, perceptual_weight: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        net = eagan_generator(generator, self.in_channels, width, blocks, self.scale, knots, thumb, tone_guards, level_blocks)
        if discriminator == "global_local":
            critic = GlobalLocalDiscriminator(6, d_width, d_layers, spectral_norm)
        elif discriminator == "unet":
            critic = UNetDiscriminator(6, d_width)
        else:
            critic = PatchDiscriminator(6, d_width, d_layers, spectral_norm)
        self.set_networks(net, critic)
        self.ssim_weight, self.gradient_weight, self.perceptual_weight = ssim_weight, gradient_weight, perceptual_weight
        self.perceptual = None
        if perceptual_weight > 0:
            from lightning_gan.training.perceptual import PerceptualLoss  # only when used: it needs VGG19 weights

            self.perceptual = PerceptualLoss()

    def extra_losses(self, fake: Tensor, real: Tensor) -> dict[str, Tensor]:
        terms = {}
        if self.ssim_weight:
            terms["g_ssim"] = self.ssim_weight * ssim_loss(fake, real)
        if self.gradient_weight:
            terms["g_gradient"] = self.gradient_weight * gradient_loss(fake, real)
        if self.perceptual is not None:
            terms["g_perceptual"] = self.perceptual_weight * self.perceptual(fake, real)
        return terms
