"""GANEnhance: image-to-image product photo enhancement (docs/design.md §6)."""

from __future__ import annotations

from lightning_gan.models.base import default_adam
from lightning_gan.models.enhance_base import EnhancementGAN
from lightning_gan.nets.builders import encoder_decoder_generator
from lightning_gan.nets.enhance import PatchDiscriminator


class GANEnhance(EnhancementGAN):
    """The design document's enhancement GAN, corrected: the generator is an encoder-decoder that takes the degraded photo (not
    noise); loss = adversarial + l1_weight * L1. Learning rates G 2e-4, D 4e-5 as docs/design.md §6 says.

    Args:
        width: generator width.
        blocks: residual blocks in the generator's bottleneck.
        global_residual: the generator predicts a correction added to its input.
        d_width: discriminator width.
        d_layers: stride-2 layers of the patch discriminator.
    """

    def __init__(self, width: int = 32, blocks: int = 4, global_residual: bool = True, d_width: int = 64,
                 d_layers: int = 3, **kwargs):
        kwargs["d_optimizer"] = kwargs.get("d_optimizer") or default_adam(4e-5)  # the design's D rate
        super().__init__(**kwargs)
        self.set_networks(encoder_decoder_generator(self.in_channels, width, blocks, global_residual),  # photo, mask, noise map
                          PatchDiscriminator(6, d_width, d_layers))
