"""GANEnhance: image-to-image product photo enhancement (docs/design.md §6)."""

from __future__ import annotations

from lightning_gan.models.enhance_base import EnhancementGAN
from lightning_gan.nets.enhance import EncoderDecoder, PatchDiscriminator


class GANEnhance(EnhancementGAN):
    """The design document's enhancement GAN, corrected: the generator is an encoder-decoder that takes the degraded photo (not
    noise); loss = adversarial + l1_weight * L1. Learning rates G 2e-4, D 4e-5 as docs/design.md §6 says.

    Args:
        width: generator width.
        blocks: residual blocks in the generator's bottleneck.
        global_residual: the generator predicts a correction added to its input.
        d_width: discriminator width.
        d_layers: stride-2 layers of the patch discriminator.
        g_lr: generator learning rate (when no g_optimizer is given).
        d_lr: discriminator learning rate (when no d_optimizer is given).
    """

    def __init__(self, width: int = 32, blocks: int = 4, global_residual: bool = True, d_width: int = 64,
                 d_layers: int = 3, g_lr: float = 2e-4, d_lr: float = 4e-5, **kwargs):
        super().__init__(g_lr=g_lr, d_lr=d_lr, **kwargs)
        self.save_hyperparameters(ignore=["g_optimizer", "d_optimizer", "g_scheduler", "d_scheduler"])
        self.set_networks(EncoderDecoder(3 + self.use_mask, width, blocks, global_residual),
                          PatchDiscriminator(6, d_width, d_layers))
