"""DCGAN: unconditional product-image generation (the design's chapter 7)."""

from __future__ import annotations

import torch
from torch import Tensor
from torchvision.utils import make_grid

from lightning_gan.metrics import sliced_wasserstein, to_signed, to_unit
from lightning_gan.models.base import AdversarialModule
from lightning_gan.nets.dcgan import DCGANDiscriminator, DCGANGenerator


class DCGAN(AdversarialModule):
    """DCGAN (Radford et al. 2016) with Adam(2e-4, betas 0.5/0.999) for both networks.

    Validation logs D's accuracy on real and generated images, the sliced Wasserstein distance (`val/swd`,
    lower is better) between the validation images and as many EMA samples, and a fixed-noise sample grid.

    Args:
        latent_dim: size of the noise vector z.
        g_width: generator width (channels of its last hidden layer).
        d_width: discriminator width (channels of its first layer).
        image_size: output side, a power of two >= 16 (match --data.image_size).
        grid_size: number of images in the fixed-noise sample grid.
    """

    monitor = ("val/swd", "min")

    def __init__(self, latent_dim: int = 100, g_width: int = 64, d_width: int = 64, image_size: int = 64,
                 grid_size: int = 64, **kwargs):
        super().__init__(**kwargs)
        self.save_hyperparameters(ignore=["g_optimizer", "d_optimizer", "g_scheduler", "d_scheduler"])
        self.generator = DCGANGenerator(latent_dim, g_width, image_size)
        self.discriminator = DCGANDiscriminator(d_width, image_size)
        self.setup_ema()
        self.register_buffer("fixed_z", torch.randn(grid_size, latent_dim, generator=torch.Generator().manual_seed(0)))
        self._real: list[Tensor] = []  # evaluation images gathered for the epoch's SWD

    def noise(self, count: int) -> Tensor:
        return torch.randn(count, self.hparams.latent_dim, device=self.device)

    def generate(self, batch: dict) -> Tensor:
        return self.generator(self.noise(len(batch["clean"])))

    def d_loss(self, batch: dict, fake: Tensor) -> tuple[Tensor, dict]:
        return self.adversarial_d(self.discriminator(to_signed(batch["clean"])), self.discriminator(fake))

    def g_loss(self, batch: dict, fake: Tensor) -> tuple[Tensor, dict]:
        return self.g_criterion(self.discriminator(fake)), {}

    @torch.no_grad()
    def sample(self, count: int, generator: torch.Generator | None = None) -> Tensor:
        """`count` images in [0, 1] from the EMA generator."""
        z = torch.randn(count, self.hparams.latent_dim, generator=generator).to(self.device)
        return to_unit(self.inference_generator(z))

    def validation_step(self, batch: dict, batch_idx: int) -> None:
        self._evaluate(batch, "val")

    def test_step(self, batch: dict, batch_idx: int) -> None:
        self._evaluate(batch, "test")

    def on_validation_epoch_end(self) -> None:
        self._log_distance("val")

    def on_test_epoch_end(self) -> None:
        self._log_distance("test")

    def _evaluate(self, batch: dict, stage: str) -> None:
        real = batch["clean"]
        fake = self.sample(len(real))
        _, logs = self.adversarial_d(self.discriminator(to_signed(real)), self.discriminator(to_signed(fake)))
        self.log_dict({f"{stage}/{k}": v for k, v in logs.items()}, batch_size=len(real))
        self._real.append(real)

    def _log_distance(self, stage: str) -> None:
        real = torch.cat(self._real)
        self._real.clear()
        fake = self.sample(len(real), torch.Generator().manual_seed(1))
        self.log(f"{stage}/swd", sliced_wasserstein(real, fake), prog_bar=True)
        grid = make_grid(to_unit(self.inference_generator(self.fixed_z)), nrow=8)
        self.log_grid(f"{stage}_samples", grid)
