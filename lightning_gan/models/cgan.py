"""Conditional GAN: generate a product image of a given class (Mirza & Osindero, "Conditional Generative
Adversarial Nets", 2014; projection discriminator: Miyato & Koyama, "cGANs with Projection Discriminator", ICLR 2018)."""

from __future__ import annotations

import torch
from torch import Tensor
from torchvision.utils import make_grid

from lightning_gan.models.dcgan import DCGAN, discriminator_for, feature_classifier
from lightning_gan.nets.builders import noise_generator
from lightning_gan.nets.cgan import ProjectionDiscriminator
from lightning_gan.nets.io import to_unit
from lightning_gan.nets.projected import ClassJudge
from lightning_gan.training.diffaugment import diff_augment
from lightning_gan.training.losses import LossName


class ConditionalGAN(DCGAN):
    """DCGAN conditioned on the product class: conditional batch norm in G, a projection discriminator.

    The classes come from the datamodule (`--data.label fine|coarse`) when training starts and are stored in the
    checkpoint, so `lightning-gan generate --label NAME` knows them. Labels outside the training classes (-1) are
    left out of validation.

    Args:
        classes: class names, index = label; None = take them from the datamodule at fit time.
        embed_dim: size of the class embedding joined to z.
        grid_classes: classes shown in the sample grid (one row each, evenly spread over all classes).
        adversarial_loss: hinge by default, the loss of the projection-discriminator paper.
        class_weight: weight of the frozen classifier's cross-entropy on generated images against their classes
            (`lightning_gan.nets.projected.ClassJudge`; the classifier is `feature_network`, the one a projected D
            sees through, never the independent one that scores the generator); 0 = off. Every generator class
            must be one of the classifier's.
    """

    def __init__(self, classes: list[str] | None = None, embed_dim: int = 32, grid_classes: int = 8,
                 adversarial_loss: LossName = "hinge", class_weight: float = 0.0, **kwargs):
        if class_weight < 0:
            raise ValueError(f"--model.class_weight must be >= 0, got {class_weight}")
        super().__init__(adversarial_loss=adversarial_loss, **kwargs)

    def build(self) -> None:
        hp = self.hparams
        if not hp.get("classes"):
            self.generator = self.discriminator = None  # built in setup(), once the datamodule knows the classes
            return
        n = len(hp.classes)
        generator = noise_generator(hp.get("generator", "dcgan"), hp.latent_dim, hp.g_width, hp.image_size, n, hp.embed_dim)
        discriminator = discriminator_for(hp, n, lambda: ProjectionDiscriminator(n, hp.d_width, hp.image_size))
        self.set_networks(generator, discriminator)
        self.class_judge = class_judge(hp) if hp.get("class_weight") else None

    def setup(self, stage: str) -> None:
        if self.generator is not None:
            return
        classes = getattr(self.trainer.datamodule, "classes", None) if self.trainer else None
        if not classes:
            raise ValueError("ConditionalGAN needs class labels: use a datamodule with labelled folders, or set --model.classes")
        self.hparams["classes"] = list(classes)
        self.build()
        self.to(self.device)

    @property
    def classes(self) -> list[str]:
        return list(self.hparams.classes or [])

    def label_of(self, name: str) -> int:
        """The index of class `name`, in any case ("banana" is Banana)."""
        folded = [c.casefold() for c in self.classes]
        if name.casefold() not in folded:
            raise ValueError(f"unknown label {name!r}; known labels: {', '.join(self.classes)}")
        return folded.index(name.casefold())

    def _condition(self, labels: Tensor) -> tuple:
        return (labels.clamp_min(0),)

    def g_loss(self, batch: dict, fake: Tensor) -> tuple[Tensor, dict]:
        loss, logs = super().g_loss(batch, fake)
        if getattr(self, "class_judge", None) is None:
            return loss, logs
        labels = batch.get("fake_label", batch["label"].clamp_min(0))
        wrong = self.class_judge(diff_augment(fake, self.policy), labels)  # augmented like D's view: no pixel-exact trick
        return loss + self.hparams.class_weight * wrong, {**logs, "g_class": wrong.detach()}

    @torch.no_grad()
    def render(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        """Latents to images in [0, 1]; `labels` (count,) picks each one's class (default: classes in turn)."""
        if labels is None:
            labels = torch.arange(len(z)) % len(self.classes)
        return to_unit(self.inference_generator(z.to(self.device), labels.clamp_min(0).to(self.device)))

    @torch.no_grad()
    def sample_grid(self) -> Tensor:
        """One row per shown class, the same 8 noise vectors in every row (so rows differ by class only)."""
        rows = min(self.hparams.grid_classes, len(self.classes))
        shown = torch.linspace(0, len(self.classes) - 1, rows).round().long()
        labels = shown.repeat_interleave(8).to(self.device)
        z = self.fixed_z[:8].repeat(rows, 1)
        return make_grid(to_unit(self.inference_generator(z, labels)), nrow=8)

    def _evaluate(self, batch: dict, stage: str) -> None:
        known = batch["label"] >= 0
        if known.any():
            super()._evaluate({k: v[known] for k, v in batch.items()}, stage)


def class_judge(hp) -> ClassJudge:
    """The `feature_network` classifier (default: the shipped domain classifier) as a frozen judge of the
    generator's classes, matched by name; a class it does not know is refused, naming the option."""
    classifier = feature_classifier(hp)
    missing = [c for c in hp.classes if c not in classifier.classes]
    if missing:
        raise ValueError(f"--model.class_weight: the classifier {hp.get('feature_network') or 'shipped'} does not know the classes "
                         f"{', '.join(missing)}; give --model.feature_network a classifier trained on them")
    return ClassJudge(classifier.net, classifier.image_size, [classifier.classes.index(c) for c in hp.classes])
