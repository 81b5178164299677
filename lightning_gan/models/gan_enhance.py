"""GANEnhance: image-to-image product photo enhancement (the design's chapter 6)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor
from torchvision.utils import make_grid

from lightning_gan.metrics import fidelity_metrics, to_signed, to_unit
from lightning_gan.models.base import AdversarialModule
from lightning_gan.nets.enhance import EncoderDecoder, PatchDiscriminator


class GANEnhance(AdversarialModule):
    """A generator that takes the degraded photo (not noise) and a conditional patch discriminator that judges
    (degraded, candidate) pairs, as in pix2pix. Loss G = adversarial + l1_weight * L1(enhanced, clean).

    Validation logs PSNR/SSIM of the enhanced output (`val/psnr`, `val/ssim`) and of the degraded input
    (`val/psnr_input`, `val/ssim_input`) against the clean photo, and a degraded / enhanced / clean grid.

    Args:
        width: generator width.
        blocks: residual blocks in the generator's bottleneck.
        global_residual: the generator predicts a correction added to its input.
        d_width: discriminator width.
        d_layers: stride-2 layers of the patch discriminator.
        l1_weight: weight of the L1 reconstruction loss.
        adversarial_weight: weight of the adversarial loss.
        g_lr: generator learning rate (when no g_optimizer is given); the design's 2e-4.
        d_lr: discriminator learning rate (when no d_optimizer is given); the design's 4e-5.
        grid_images: images in the validation grid.
    """

    monitor = ("val/psnr", "max")

    def __init__(self, width: int = 32, blocks: int = 4, global_residual: bool = True, d_width: int = 64,
                 d_layers: int = 3, l1_weight: float = 100.0, adversarial_weight: float = 1.0,
                 g_lr: float = 2e-4, d_lr: float = 4e-5, grid_images: int = 8, **kwargs):
        super().__init__(g_lr=g_lr, d_lr=d_lr, **kwargs)
        self.save_hyperparameters(ignore=["g_optimizer", "d_optimizer", "g_scheduler", "d_scheduler"])
        self.generator = EncoderDecoder(3, width, blocks, global_residual)
        self.discriminator = PatchDiscriminator(6, d_width, d_layers)
        self.setup_ema()
        self.val_output = fidelity_metrics()
        self.val_input = fidelity_metrics("_input")

    def enhance(self, degraded: Tensor, generator: torch.nn.Module | None = None) -> Tensor:
        """Degraded images in [0, 1] to enhanced images in [0, 1] (EMA generator unless one is given)."""
        return to_unit((generator or self.inference_generator)(to_signed(degraded)))

    def generate(self, batch: dict) -> Tensor:
        return self.generator(to_signed(batch["degraded"]))

    def _judge(self, batch: dict, image: Tensor) -> Tensor:
        return self.discriminator(torch.cat([to_signed(batch["degraded"]), image], dim=1))

    def d_loss(self, batch: dict, fake: Tensor) -> tuple[Tensor, dict]:
        return self.adversarial_d(self._judge(batch, to_signed(batch["clean"])), self._judge(batch, fake))

    def g_loss(self, batch: dict, fake: Tensor) -> tuple[Tensor, dict]:
        adversarial = self.g_criterion(self._judge(batch, fake))
        l1 = F.l1_loss(fake, to_signed(batch["clean"]))
        loss = self.hparams.adversarial_weight * adversarial + self.hparams.l1_weight * l1
        return loss, {"g_adv": adversarial.detach(), "g_l1": l1.detach()}

    def validation_step(self, batch: dict, batch_idx: int) -> None:
        self._evaluate(batch, batch_idx, "val")

    def test_step(self, batch: dict, batch_idx: int) -> None:
        self._evaluate(batch, batch_idx, "test")

    def on_validation_epoch_end(self) -> None:
        self._log_fidelity("val")

    def on_test_epoch_end(self) -> None:
        self._log_fidelity("test")

    def _evaluate(self, batch: dict, batch_idx: int, stage: str) -> None:
        degraded, clean = batch["degraded"], batch["clean"]
        if degraded.shape != clean.shape:
            raise ValueError("GANEnhance needs degraded and clean images of one size; use a non-resizing preset")
        enhanced = self.enhance(degraded)
        _, logs = self.adversarial_d(self._judge(batch, to_signed(clean)), self._judge(batch, to_signed(enhanced)))
        self.log_dict({f"{stage}/{k}": v for k, v in logs.items()}, batch_size=len(clean))
        self.val_output.update(enhanced, clean)
        self.val_input.update(degraded, clean)
        if batch_idx == 0:
            n = min(self.hparams.grid_images, len(clean))
            rows = torch.cat([degraded[:n], enhanced[:n], clean[:n]])
            self.log_grid(f"{stage}_degraded_enhanced_clean", make_grid(rows, nrow=n))

    def _log_fidelity(self, stage: str) -> None:
        self.log_dict({f"{stage}/{k}": v for k, v in self.val_output.compute().items()}, prog_bar=True)
        self.log_dict({f"{stage}/{k}": v for k, v in self.val_input.compute().items()})
        self.val_output.reset()
        self.val_input.reset()
