"""DCGAN: unconditional product-image generation (Radford et al., "Unsupervised Representation Learning with Deep
Convolutional Generative Adversarial Networks", ICLR 2016; docs/design.md §7)."""

from __future__ import annotations

import torch
from lightning.pytorch.utilities import rank_zero_warn
from torch import Tensor, nn
from torchvision.utils import make_grid

from lightning_gan.diffaugment import diff_augment, parse_policy
from lightning_gan.metrics import GENERATION_METRICS, generation_metrics, inception_weights
from lightning_gan.models.base import AdversarialModule
from lightning_gan.nets.dcgan import DCGANDiscriminator, DCGANGenerator
from lightning_gan.nets.io import NoiseToImage, to_signed, to_unit


class DCGAN(AdversarialModule):
    """DCGAN (Radford et al. 2016) with Adam(2e-4, betas 0.5/0.999) for both networks.

    Validation logs D's accuracy on real and generated images, a fixed-noise sample grid, and every
    `metrics_every` validation epochs the generation `metrics` (`val/swd`, `val/fid`, `val/kid`: lower is better;
    `val/is`: higher) between up to `metric_samples` validation images and as many EMA samples.

    Args:
        latent_dim: size of the noise vector z.
        g_width: generator width (channels of its last hidden layer).
        d_width: discriminator width (channels of its first layer).
        image_size: output side, a power of two >= 16 (match --data.image_size).
        grid_size: number of images in the fixed-noise sample grid.
        diff_augment: DiffAugment policy for D's inputs, real and fake ("color,translation,cutout"; "" = off).
        metrics: generation metrics computed in validation: swd (always available), fid, kid, is (these need the
            Inception weights in the torch hub cache; without them they are skipped with a warning).
        metrics_every: compute them every N validation epochs (D accuracy and the grid every time).
        metric_samples: at most this many real images and as many samples.
        monitor: the metric that picks the best checkpoint, one of `metrics` as val/<name>.
    """

    def __init__(self, latent_dim: int = 100, g_width: int = 64, d_width: int = 64, image_size: int = 64,
                 grid_size: int = 64, diff_augment: str = "color,translation,cutout", metrics: list[str] | None = None,
                 metrics_every: int = 1, metric_samples: int = 512, monitor: str = "val/swd", **kwargs):
        super().__init__(**kwargs)
        self.policy = parse_policy(diff_augment)
        self.metric_names = tuple(metrics or ["swd"])
        unknown = [m for m in self.metric_names if m not in GENERATION_METRICS]
        if unknown:
            raise ValueError(f"--model.metrics: unknown {', '.join(unknown)}; known: {', '.join(GENERATION_METRICS)}")
        if monitor.removeprefix("val/") not in self.metric_names:
            raise ValueError(f"--model.monitor {monitor!r} must be one of the computed metrics: "
                             f"{', '.join('val/' + m for m in self.metric_names)}")
        if metrics_every < 1:
            raise ValueError(f"--model.metrics_every must be >= 1, got {metrics_every}")
        self.monitor = (monitor, "max" if monitor == "val/is" else "min")
        self._skip_inception_metrics_if_missing()
        self._validation_epochs = 0
        self.register_buffer("fixed_z", torch.randn(grid_size, latent_dim, generator=torch.Generator().manual_seed(0)))
        self.build()
        self._real: list[Tensor] = []  # evaluation images (and labels) gathered for the epoch's SWD
        self._labels: list[Tensor] = []

    def build(self) -> None:
        hp = self.hparams
        self.set_networks(DCGANGenerator(hp.latent_dim, hp.g_width, hp.image_size), DCGANDiscriminator(hp.d_width, hp.image_size))

    def noise(self, count: int, generator: torch.Generator | None = None) -> Tensor:
        return torch.randn(count, self.hparams.latent_dim, generator=generator).to(self.device)

    def generate(self, batch: dict) -> Tensor:
        return self.generator(self.noise(len(batch["clean"])))

    def judge(self, image: Tensor, batch: dict) -> Tensor:
        """D's logits for images in [-1, 1], seen through DiffAugment."""
        return self.discriminator(diff_augment(image, self.policy))

    def d_loss(self, batch: dict, fake: Tensor) -> tuple[Tensor, dict]:
        return self.adversarial_d(self.judge(to_signed(batch["clean"]), batch), self.judge(fake, batch))

    def g_loss(self, batch: dict, fake: Tensor) -> tuple[Tensor, dict]:
        return self.g_criterion(self.judge(fake, batch)), {}

    @torch.no_grad()
    def render(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        """Latents (count, latent_dim) to images in [0, 1] with the EMA generator (`labels`: the conditional
        subclass). `sample` and the `generate` tool (interpolations included) both draw through here."""
        return to_unit(self.inference_generator(z.to(self.device)))

    def sample(self, count: int, generator: torch.Generator | None = None, labels: Tensor | None = None) -> Tensor:
        """`count` images in [0, 1] from random latents."""
        return self.render(self.noise(count, generator), labels)

    def export_module(self, direction: str = "a2b") -> tuple[nn.Module, tuple[Tensor, ...], list[str], list[str], bool]:
        z = torch.randn(2, self.hparams.latent_dim)
        if hasattr(self, "classes"):  # the conditional subclass also takes a label
            return NoiseToImage(self.inference_generator, True), (z, torch.tensor([0, 1 % len(self.classes)])), \
                ["z", "label"], ["image"], False
        return NoiseToImage(self.inference_generator, False), (z,), ["z"], ["image"], False

    @torch.no_grad()
    def sample_grid(self) -> Tensor:
        """The fixed-noise contact sheet, 8 per row."""
        return make_grid(to_unit(self.inference_generator(self.fixed_z)), nrow=8)

    def validation_step(self, batch: dict, batch_idx: int) -> None:
        self._evaluate(batch, "val")

    def test_step(self, batch: dict, batch_idx: int) -> None:
        self._evaluate(batch, "test")

    def on_validation_epoch_end(self) -> None:
        self._log_distance("val")

    def on_test_epoch_end(self) -> None:
        self._log_distance("test")

    def _evaluate(self, batch: dict, stage: str) -> None:
        real, labels = batch["clean"], batch["label"]
        fake = self.sample(len(real), labels=labels)
        real_logits = self.discriminator(to_signed(real), *self._condition(labels))
        fake_logits = self.discriminator(to_signed(fake), *self._condition(labels))
        _, logs = self.adversarial_d(real_logits, fake_logits)
        self.log_dict({f"{stage}/{k}": v for k, v in logs.items()}, batch_size=len(real))
        self._real.append(real)
        self._labels.append(labels)

    def _condition(self, labels: Tensor) -> tuple:
        return ()

    def _skip_inception_metrics_if_missing(self) -> None:
        needs_inception = [m for m in self.metric_names if m != "swd"]
        _, note = inception_weights() if needs_inception else (None, None)
        if note:
            if self.monitor[0].removeprefix("val/") in needs_inception:
                raise ValueError(f"--model.monitor {self.monitor[0]}: {note}")
            rank_zero_warn(note)
            self.metric_names = tuple(m for m in self.metric_names if m == "swd")

    def _log_distance(self, stage: str) -> None:
        if not self._real:
            return
        real, labels = torch.cat(self._real), torch.cat(self._labels)
        self._real.clear()
        self._labels.clear()
        if stage == "val" and not self.trainer.sanity_checking:
            self._validation_epochs += 1
        due = stage != "val" or self.trainer.sanity_checking or (self._validation_epochs - 1) % self.hparams.metrics_every == 0
        if due:
            keep = torch.randperm(len(real), generator=torch.Generator().manual_seed(0))[: self.hparams.metric_samples]
            real, labels = real[keep.to(real.device)], labels[keep.to(labels.device)]
            fake = self.sample(len(real), torch.Generator().manual_seed(1), labels=labels)
            scores, _ = generation_metrics(real, fake, self.metric_names)
            self.log_dict({f"{stage}/{k}": v for k, v in scores.items()}, prog_bar=True)
        self.log_grid(f"{stage}_samples", self.sample_grid())
