"""DCGAN: unconditional product-image generation (Radford et al., "Unsupervised Representation Learning with Deep
Convolutional Generative Adversarial Networks", ICLR 2016; docs/design.md §7)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal

import torch
from lightning.pytorch.utilities import rank_zero_warn
from torch import Tensor, nn
from torchvision.utils import make_grid

from lightning_gan.evaluation.metrics import GENERATION_METRICS, generation_metrics, inception_weights
from lightning_gan.models.base import AdversarialModule
from lightning_gan.models.warm_start import generator_source, warm_start
from lightning_gan.nets.builders import noise_generator
from lightning_gan.nets.dcgan import DCGANDiscriminator
from lightning_gan.nets.fastgan import FastGANDiscriminator
from lightning_gan.nets.io import NoiseToImage, to_signed, to_unit
from lightning_gan.nets.projected import EnsembleDiscriminator, ProjectedDiscriminator
from lightning_gan.training.diffaugment import diff_augment, parse_policy


def mode_seeking_distance(a: Tensor, b: Tensor) -> Tensor:
    """Mean L1 distance between paired samples (Mao et al. 2019 divide it by the pairs' latent distance; for
    Gaussian z of a fixed size that distance is nearly constant, so it is left out)."""
    return (a - b).abs().mean()


FASTGAN_DISCRIMINATORS = ("fastgan", "fastgan_bn")
ENSEMBLE = "projected+fastgan_bn"  # both judge: the pixel D keeps the generator from gaming the classifier's features


def reconstructs(hp) -> bool:
    """Whether D also returns FastGAN's self-supervised reconstruction loss on real images."""
    return hp.get("discriminator") in (*FASTGAN_DISCRIMINATORS, ENSEMBLE) and hp.reconstruction_weight > 0


def fastgan_discriminator(hp, num_classes: int, kind: str | None = None) -> FastGANDiscriminator | None:
    """The FastGAN discriminator the hyper-parameters (or `kind`) name (with batch norm for `fastgan_bn`), else None."""
    kind = kind or hp.get("discriminator")
    if kind not in FASTGAN_DISCRIMINATORS:
        return None
    return FastGANDiscriminator(num_classes, hp.d_width, hp.image_size, batch_norm=kind == "fastgan_bn")


def discriminator_for(hp, num_classes: int, plain: Callable[[], nn.Module]) -> nn.Module:
    """The discriminator `hp.discriminator` names; `plain` builds the variant's own (DCGAN's, or a projection D)."""
    if hp.get("discriminator") == ENSEMBLE:
        pixel = fastgan_discriminator(hp, num_classes, "fastgan_bn")
        return EnsembleDiscriminator(pixel, projected_discriminator(hp, num_classes, "projected"))
    return projected_discriminator(hp, num_classes) or fastgan_discriminator(hp, num_classes) or plain()


def projected_discriminator(hp, num_classes: int, kind: str | None = None) -> ProjectedDiscriminator | None:
    """The projected discriminator over the product classifier's frozen features when the hyper-parameters name it
    (`feature_network`: a classifier .safetensors with its card; default the shipped one), else None."""
    if (kind or hp.get("discriminator")) != "projected":
        return None
    classifier = feature_classifier(hp)
    return ProjectedDiscriminator(classifier.net, classifier.image_size, num_classes, hp.d_width)


def feature_classifier(hp):
    """The trained classifier `hp.feature_network` names (.safetensors with its card; None = the shipped one)."""
    from lightning_gan.evaluation.domain import load_domain_classifier

    path = hp.get("feature_network")
    return load_domain_classifier(Path(path) if path else None)


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
        metrics: generation metrics computed in validation: swd and domain_fid / domain_kid (FID / KID in the
            shipped product classifier's features: offline, always available), fid, kid, is (these need the
            Inception weights in the torch hub cache; without them they are skipped with a warning).
        metrics_every: compute them every N validation epochs (D accuracy and the grid every time).
        metric_samples: at most this many real images and as many samples.
        monitor: the metric that picks the best checkpoint, one of `metrics` as val/<name>.
        generator: "dcgan" (the paper's transposed convolutions) or "fastgan" (upsampling + GLU + skip-layer
            excitation, `lightning_gan.nets.fastgan`: converges faster on a few thousand photos).
        discriminator: "dcgan" (the paper's; the conditional subclass makes it a projection discriminator) or
            "fastgan" (residual down blocks, minibatch stddev, self-supervised decoders), or "fastgan_bn" (the same
            with batch norm after its convolutions, as in FastGAN: spectral norm alone left its logits near 0), or
            "projected" (a small head per resolution on the frozen features of a trained product classifier, fixed
            random projections between: Projected GANs, Sauer et al. NeurIPS 2021, `lightning_gan.nets.projected`),
            or "projected+fastgan_bn" (both judge, each half of the loss: Vision-aided GAN, Kumari et al. CVPR 2022).
        feature_network: the classifier a projected D sees through (.safetensors with its .json card); None = the
            shipped `lightning_gan/pretrained/domain` one. Score such a generator with another classifier.
        reconstruction_weight: weight of the fastgan discriminator's self-supervised reconstruction loss on real images.
        r1_weight: zero-centred gradient penalty on real images, gamma / 2 * |grad D(x)|^2 (Mescheder et al., ICML
            2018: keeps D from growing sharp where the few real photos are); 0 = off.
        r1_every: apply it every N D steps, scaled by N (StyleGAN2's lazy regularisation: the double backward is costly).
        diversity_weight: mode-seeking term (Mao et al., "Mode Seeking GANs", CVPR 2019): pairs of samples that share
            a class but not z are pushed apart, against the collapse in which G ignores z; 0 = off.
        init_from: warm start (fresh runs only; a resume restores its checkpoint): the generator of a shipped model
            (e.g. `grocery`), an exported .safetensors or a checkpoint, with the same generator and classes; the
            discriminator starts fresh (a new kind of D can be tried on a trained G).
    """

    def __init__(self, latent_dim: int = 100, g_width: int = 64, d_width: int = 64, image_size: int = 64,
                 grid_size: int = 64, diff_augment: str = "color,translation,cutout", metrics: list[str] | None = None,
                 metrics_every: int = 1, metric_samples: int = 512, monitor: str = "val/swd",
                 generator: Literal["dcgan", "fastgan"] = "dcgan",
                 discriminator: Literal["dcgan", "fastgan", "fastgan_bn", "projected", "projected+fastgan_bn"] = "dcgan",
                 feature_network: str | None = None, reconstruction_weight: float = 1.0, r1_weight: float = 0.0, r1_every: int = 4,
                 diversity_weight: float = 0.0, init_from: str | None = None, **kwargs):
        super().__init__(**kwargs)
        if r1_every < 1:
            raise ValueError(f"--model.r1_every must be >= 1, got {r1_every}")
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

    def on_fit_start(self) -> None:
        spec = self.hparams.get("init_from")
        if spec and self.trainer.ckpt_path is None:
            weights, source = generator_source(spec)
            theirs, ours = list(getattr(source, "classes", None) or []), list(self.hparams.get("classes") or [])
            if theirs != ours:
                raise ValueError(f"--model.init_from {spec}: trained on other classes ({len(theirs)}: {theirs[:3]}...) "
                                 f"than this data ({len(ours)}: {ours[:3]}...)")
            warm_start(self, spec, weights)
        super().on_fit_start()

    def build(self) -> None:
        hp = self.hparams
        generator = noise_generator(hp.get("generator", "dcgan"), hp.latent_dim, hp.g_width, hp.image_size)
        discriminator = discriminator_for(hp, 0, lambda: DCGANDiscriminator(hp.d_width, hp.image_size))
        self.set_networks(generator, discriminator)

    def noise(self, count: int, generator: torch.Generator | None = None) -> Tensor:
        return torch.randn(count, self.hparams.latent_dim, generator=generator).to(self.device)

    def generate(self, batch: dict) -> Tensor:
        batch["fake_label"] = self.fake_labels(batch)
        return self.generator(self.noise(len(batch["clean"])), *self._condition(batch["fake_label"]))

    def fake_labels(self, batch: dict) -> Tensor:
        """The classes to generate for this batch: the real batch's, with the second half repeating the first
        when the mode-seeking term needs pairs that share a class."""
        labels = batch["label"].clamp_min(0)
        if self.hparams.get("diversity_weight") and len(labels) >= 2:
            half = len(labels) // 2
            labels = torch.cat([labels[:half], labels[:half], labels[2 * half:]])
        return labels

    def judge(self, image: Tensor, labels: Tensor) -> Tensor:
        """D's logits for images in [-1, 1] of these classes, seen through DiffAugment."""
        return self.discriminator(diff_augment(image, self.policy), *self._condition(labels))

    def d_loss(self, batch: dict, fake: Tensor) -> tuple[Tensor, dict]:
        hp = self.hparams
        labels = batch["label"].clamp_min(0)
        real = diff_augment(to_signed(batch["clean"]), self.policy)
        penalise = hp.get("r1_weight", 0.0) > 0 and int(self.d_steps) % hp.r1_every == 0
        if penalise:
            real = real.detach().requires_grad_(True)
        reconstruct = reconstructs(hp)
        out = self.discriminator(real, *self._condition(labels), **({"reconstruct": True} if reconstruct else {}))
        real_logits, reconstruction = out if reconstruct else (out, None)
        loss, logs = self.adversarial_d(real_logits, self.judge(fake, batch.get("fake_label", labels)))
        if reconstruction is not None:
            loss = loss + hp.reconstruction_weight * reconstruction
            logs["d_reconstruction"] = reconstruction.detach()
        if penalise:
            (grad,) = torch.autograd.grad(real_logits.sum(), real, create_graph=True)
            r1 = grad.pow(2).flatten(1).sum(1).mean()
            loss = loss + hp.r1_weight / 2 * hp.r1_every * r1
            logs["d_r1"] = r1.detach()
        return loss, logs

    def g_loss(self, batch: dict, fake: Tensor) -> tuple[Tensor, dict]:
        loss = self.g_criterion(self.judge(fake, batch.get("fake_label", batch["label"].clamp_min(0))))
        weight = self.hparams.get("diversity_weight", 0.0)
        if not weight or len(fake) < 2:
            return loss, {}
        spread = mode_seeking_distance(fake[: len(fake) // 2], fake[len(fake) // 2: 2 * (len(fake) // 2)])
        return loss + weight / (spread + 1e-5), {"g_pair_distance": spread.detach()}

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
        needs_inception = [m for m in self.metric_names if m in ("fid", "kid", "is")]
        _, note = inception_weights() if needs_inception else (None, None)
        if note:
            if self.monitor[0].removeprefix("val/") in needs_inception:
                raise ValueError(f"--model.monitor {self.monitor[0]}: {note}")
            rank_zero_warn(note)
            self.metric_names = tuple(m for m in self.metric_names if m not in needs_inception)

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
