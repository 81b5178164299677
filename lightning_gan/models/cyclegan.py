"""CycleGAN: unpaired translation between two photo domains, e.g. store photo -> catalogue shot (sections 3.4.2, 3.5.3)."""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torchvision.utils import make_grid

from lightning_gan.evaluation.metrics import sliced_wasserstein
from lightning_gan.models.base import AdversarialModule
from lightning_gan.nets.cyclegan import ResnetGenerator
from lightning_gan.nets.enhance import PatchDiscriminator
from lightning_gan.nets.io import ImageToImage, to_signed, to_unit
from lightning_gan.training.losses import LossName, cycle_loss, identity_loss


class ImagePool:
    """The last `size` generated images; D is shown a mix of this history and the newest fakes.

    A history of fakes keeps D from fitting only G's latest output, which damps the oscillation of the two
    (Shrivastava et al. 2017; CycleGAN uses 50). Each new image enters the pool; half the time the caller gets an
    old image back in its place."""

    def __init__(self, size: int = 50):
        self.size = size
        self.images: list[Tensor] = []

    def query(self, images: Tensor) -> Tensor:
        if self.size == 0:
            return images
        out = []
        for image in images.detach():
            if len(self.images) < self.size:
                self.images.append(image.clone())
                out.append(image)
            elif torch.rand(()) < 0.5:
                k = int(torch.randint(self.size, ()))
                out.append(self.images[k].to(image.device))
                self.images[k] = image.clone()
            else:
                out.append(image)
        return torch.stack(out)

    def state(self) -> Tensor | None:
        return torch.stack(self.images).cpu() if self.images else None

    def load(self, images: Tensor | None) -> None:
        self.images = list(images) if images is not None else []


class CycleGAN(AdversarialModule):
    """Two ResNet generators (A->B, B->A), two PatchGAN discriminators, least-squares adversarial loss, cycle L1 and
    identity L1 (Zhu et al. 2017). Batches are {"a", "b"} from `UnpairedDataModule`.

    Validation logs `val/swd_b`, the sliced Wasserstein distance of translated A images to the B images (lower =
    closer to the target domain), beside `val/swd_b_input` (untranslated A to B), and an A | A->B | A->B->A grid.

    Args:
        width: generator width (64 in the paper).
        blocks: residual blocks per generator (6 at 128 px, 9 at 256 px in the paper).
        d_width: discriminator width.
        d_layers: discriminator stride-2 layers (3 = the 70x70 PatchGAN).
        cycle_weight: weight of each cycle-consistency L1 (10 in the paper).
        identity_weight: weight of each identity L1 (half the cycle weight in the paper).
        pool_size: fakes kept per discriminator (50 in the paper; 0 = no pool).
        adversarial_loss: least squares in the paper.
        grid_images: validation images shown in the grid.
        image_size: the side it trains at (set from the datamodule); `translate` works at this size by default.
    """

    monitor = ("val/swd_b", "min")

    def __init__(self, width: int = 64, blocks: int = 6, d_width: int = 64, d_layers: int = 3, cycle_weight: float = 10.0,
                 identity_weight: float = 5.0, pool_size: int = 50, adversarial_loss: LossName = "least_squares",
                 grid_images: int = 8, image_size: int = 64, **kwargs):
        super().__init__(adversarial_loss=adversarial_loss, **kwargs)
        self.set_networks(
            nn.ModuleDict({"a2b": ResnetGenerator(width, blocks), "b2a": ResnetGenerator(width, blocks)}),
            nn.ModuleDict({domain: PatchDiscriminator(3, d_width, d_layers, norm="instance") for domain in ("a", "b")}),
        )
        self.pools = {"a": ImagePool(pool_size), "b": ImagePool(pool_size)}
        self._seen: dict[str, list[Tensor]] = {"a": [], "b": [], "fake_b": []}

    def setup(self, stage: str) -> None:
        data = getattr(self.trainer, "datamodule", None) if self.trainer else None
        if data is not None and "image_size" in getattr(data, "hparams", {}):
            self.hparams["image_size"] = data.hparams.image_size  # `translate` works at this size by default

    def translator(self, direction: str = "a2b") -> nn.Module:
        """The (EMA) generator for `direction` ("a2b" or "b2a"), images in [-1, 1]."""
        if direction not in ("a2b", "b2a"):
            raise ValueError(f"direction must be a2b or b2a, got {direction!r}")
        return self.inference_generator[direction]

    def export_module(self, direction: str = "a2b") -> tuple[nn.Module, tuple[Tensor, ...], list[str], list[str], bool]:
        return ImageToImage(self.translator(direction), False), (torch.rand(1, 3, 64, 64),), ["image"], ["translated"], True

    def generate(self, batch: dict) -> tuple[Tensor, Tensor]:
        return self.generator["a2b"](to_signed(batch["a"])), self.generator["b2a"](to_signed(batch["b"]))

    def d_loss(self, batch: dict, fake: tuple[Tensor, Tensor]) -> tuple[Tensor, dict]:
        fake_b, fake_a = fake
        loss_b, logs_b = self.adversarial_d(self.discriminator["b"](to_signed(batch["b"])),
                                            self.discriminator["b"](self.pools["b"].query(fake_b)))
        loss_a, logs_a = self.adversarial_d(self.discriminator["a"](to_signed(batch["a"])),
                                            self.discriminator["a"](self.pools["a"].query(fake_a)))
        logs = {f"{k}_a": v for k, v in logs_a.items()} | {f"{k}_b": v for k, v in logs_b.items()}
        return loss_a + loss_b, logs

    def cycle_terms(self, batch: dict, fake_b: Tensor, fake_a: Tensor) -> tuple[Tensor, Tensor]:
        """Cycle L1 (A->B->A and B->A->B) and identity L1 (G_A2B(B) = B, G_B2A(A) = A)."""
        real_a, real_b = to_signed(batch["a"]), to_signed(batch["b"])
        cycle = cycle_loss(real_a, self.generator["b2a"](fake_b)) + cycle_loss(real_b, self.generator["a2b"](fake_a))
        if not self.hparams.identity_weight:
            return cycle, torch.zeros((), device=cycle.device)
        identity = identity_loss(real_b, self.generator["a2b"](real_b)) + identity_loss(real_a, self.generator["b2a"](real_a))
        return cycle, identity

    def g_loss(self, batch: dict, fake: tuple[Tensor, Tensor]) -> tuple[Tensor, dict]:
        fake_b, fake_a = fake
        adversarial = self.g_criterion(self.discriminator["b"](fake_b)) + self.g_criterion(self.discriminator["a"](fake_a))
        cycle, identity = self.cycle_terms(batch, fake_b, fake_a)
        loss = adversarial + self.hparams.cycle_weight * cycle + self.hparams.identity_weight * identity
        return loss, {"g_adv": adversarial.detach(), "g_cycle": cycle.detach(), "g_identity": identity.detach()}

    # --- evaluation --------------------------------------------------------------------------------
    @torch.no_grad()
    def translate(self, images: Tensor, direction: str = "a2b") -> Tensor:
        """Images in [0, 1] to the other domain, in [0, 1]."""
        return to_unit(self.translator(direction)(to_signed(images)))

    def validation_step(self, batch: dict, batch_idx: int) -> None:
        self._evaluate(batch)

    def test_step(self, batch: dict, batch_idx: int) -> None:
        self._evaluate(batch)

    def _evaluate(self, batch: dict) -> None:
        self._seen["a"].append(batch["a"])
        self._seen["b"].append(batch["b"])
        self._seen["fake_b"].append(self.translate(batch["a"]))

    def on_validation_epoch_end(self) -> None:
        self._log_epoch("val")

    def on_test_epoch_end(self) -> None:
        self._log_epoch("test")

    def _log_epoch(self, stage: str) -> None:
        if not self._seen["a"]:
            return
        a, b, fake_b = (torch.cat(self._seen[k]) for k in ("a", "b", "fake_b"))
        for items in self._seen.values():
            items.clear()
        self.log(f"{stage}/swd_b", sliced_wasserstein(b, fake_b), prog_bar=True)
        self.log(f"{stage}/swd_b_input", sliced_wasserstein(b, a))
        shown = a[: self.hparams.grid_images]
        round_trip = self.translate(fake_b[: len(shown)], "b2a")
        rows = torch.stack([shown, fake_b[: len(shown)], round_trip], dim=1).flatten(0, 1)
        self.log_grid(f"{stage}_a2b", make_grid(rows, nrow=3))

    # --- exact resume: the pools are part of the training state ------------------------------------
    def on_save_checkpoint(self, checkpoint: dict) -> None:
        super().on_save_checkpoint(checkpoint)
        checkpoint["image_pools"] = {k: pool.state() for k, pool in self.pools.items()}

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        super().on_load_checkpoint(checkpoint)
        for k, images in checkpoint.get("image_pools", {}).items():
            self.pools[k].load(images)
