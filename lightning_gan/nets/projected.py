"""A discriminator that sees through a trained feature network (Projected GANs, Sauer et al., "Projected GANs Converge
Faster", NeurIPS 2021; Vision-aided GAN, Kumari et al. CVPR 2022): the images go through a frozen, pretrained
classifier; its feature maps at several resolutions are mixed by fixed random 1x1 projections (the paper's
cross-channel mixing) and judged by one small trainable head per resolution. On little data and few steps the heads
learn from features that already know what a product looks like, instead of from pixels.

The feature network here is the project's own product classifier (`ProductClassifier`, trained on Grocery Store
train, `lightning_gan/pretrained/domain`): nothing is downloaded. A generator trained against it must be scored
with an independent classifier, not with these features (they are what it was optimised to please)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.parametrizations import spectral_norm

from lightning_gan.nets.classifier import BLOCKS, ProductClassifier

PROJECTION_SEED = 0  # the random projections are part of the discriminator: the same seed, the same D on resume


class FrozenFeatures(nn.Module):
    """The classifier's stem and residual stages, frozen and always in eval mode (its batch-norm statistics are
    the classifier's, not the batch's): images in [-1, 1] -> the feature map at the end of each stage."""

    def __init__(self, classifier: ProductClassifier, input_size: int):
        super().__init__()
        modules = list(classifier.body)
        self.layers = nn.ModuleList(m for m in modules if not isinstance(m, (nn.AdaptiveAvgPool2d, nn.Flatten)))
        self.taps = stage_ends(self.layers)
        self.input_size = input_size  # the classifier's image side: other sizes are resized to it
        self.requires_grad_(False)
        self.eval()

    def train(self, mode: bool = True) -> FrozenFeatures:
        return super().train(False)

    def forward(self, images: Tensor) -> list[Tensor]:
        h = to_side(images, self.input_size) * 2  # [-1, 1] -> the classifier's input scale ((x01 - 0.5) / 0.25)
        features = []
        for index, layer in enumerate(self.layers):
            h = layer(h)
            if index in self.taps:
                features.append(h)
        return features


def to_side(images: Tensor, side: int) -> Tensor:
    """Images resized (bilinear) to the classifier's square side, unless they have it already."""
    if images.shape[-2:] == (side, side):
        return images
    return F.interpolate(images, size=(side, side), mode="bilinear", align_corners=False)


def stage_ends(layers: nn.ModuleList) -> set[int]:
    """Indices of the last residual block at each resolution (a stage ends where the next block has a stride)."""
    blocks = [i for i, m in enumerate(layers) if isinstance(m, tuple(BLOCKS.values()))]
    ends = set()
    for here, after in zip(blocks, blocks[1:] + [None]):
        if after is None or layers[after].stride != 1:
            ends.add(here)
    return ends


class ProjectedHead(nn.Module):
    """One resolution's judge: a fixed random 1x1 projection of the features, spectral-norm stride-2 convolutions
    down to 4x4, then a logit per position plus, with classes, the projection term <embed(y), h> (Miyato & Koyama,
    ICLR 2018)."""

    def __init__(self, channels: int, size: int, width: int, num_classes: int, generator: torch.Generator):
        super().__init__()
        projected = min(channels, 4 * width)
        self.project = nn.Conv2d(channels, projected, 1, bias=False)
        with torch.no_grad():  # fixed, random, orthogonal-ish: mixes channels so no single feature can be gamed
            self.project.weight.copy_(torch.randn(self.project.weight.shape, generator=generator) / channels**0.5)
        self.project.requires_grad_(False)
        layers, c_in = [], projected
        while size > 4:
            layers += [spectral_norm(nn.Conv2d(c_in, width, 4, 2, 1)), nn.LeakyReLU(0.2, True)]
            c_in, size = width, size // 2
        self.body = nn.Sequential(*layers, spectral_norm(nn.Conv2d(c_in, width, 3, 1, 1)), nn.LeakyReLU(0.2, True))
        self.logit = spectral_norm(nn.Conv2d(width, 1, 1))
        self.embed = spectral_norm(nn.Embedding(num_classes, width)) if num_classes else None

    def forward(self, features: Tensor, labels: Tensor | None = None) -> Tensor:
        h = self.body(self.project(features))
        logits = self.logit(h)
        if self.embed is not None and labels is not None:
            logits = logits + (self.embed(labels)[:, :, None, None] * h).sum(dim=1, keepdim=True)
        return logits.flatten(1)


class ProjectedDiscriminator(nn.Module):
    """(B, 3, S, S) in [-1, 1] (and class labels when conditional) -> (B, N) logits: every position of every
    resolution's head, judged together by the adversarial loss.

    Args:
        classifier: the trained feature network (frozen here).
        input_size: the classifier's image side.
        num_classes: 0 for an unconditional D.
        width: channels of each head.
    """

    def __init__(self, classifier: ProductClassifier, input_size: int, num_classes: int = 0, width: int = 64):
        super().__init__()
        self.features = FrozenFeatures(classifier, input_size)
        with torch.no_grad():
            shapes = [f.shape[1:] for f in self.features(torch.zeros(1, 3, input_size, input_size))]
        generator = torch.Generator().manual_seed(PROJECTION_SEED)
        self.heads = nn.ModuleList(ProjectedHead(c, h, width, num_classes, generator) for c, h, _ in shapes)

    def forward(self, images: Tensor, labels: Tensor | None = None) -> Tensor:
        return torch.cat([head(f, labels) for head, f in zip(self.heads, self.features(images))], dim=1)


class EnsembleDiscriminator(nn.Module):
    """A pixel discriminator and a projected one judging together (Vision-aided GAN, Kumari et al. CVPR 2022: the
    off-the-shelf features join the usual D rather than replace it). With the projected D alone, the generator
    learned to please the small classifier's features (a repeating diagonal dot texture over every class, seen at
    328-656 generator steps); the pixel D sees that texture as unreal.

    Returns (B, 2N) logits: the pixel D's single logit repeated N times beside the projected D's N, so that the
    losses (a mean over logits) weigh the two judges equally. `reconstruct` passes to the pixel D (FastGAN's
    self-supervised decoders)."""

    def __init__(self, pixel: nn.Module, projected: ProjectedDiscriminator):
        super().__init__()
        self.pixel, self.projected = pixel, projected

    def forward(self, images: Tensor, labels: Tensor | None = None, reconstruct: bool = False):
        seen = self.projected(images, labels)
        out = self.pixel(images, labels, reconstruct=True) if reconstruct else self.pixel(images, labels)
        pixel, reconstruction = out if reconstruct else (out, None)
        logits = torch.cat([pixel.expand(-1, seen.shape[1]), seen], dim=1)
        return (logits, reconstruction) if reconstruct else logits


class ClassJudge(nn.Module):
    """The trained classifier as a frozen judge of class (AC-GAN's auxiliary classifier loss, Odena et al., ICML 2017,
    with the classifier pretrained and frozen instead of trained beside D): images in [-1, 1] and the generator's
    class labels -> the cross-entropy of the classifier's prediction against those classes. Shape is what names a
    product (a carrot is a long orange stick, not an orange ball); the classifier has learnt it, a GAN's D on a few
    thousand shelf photos learns it slowly.

    Args:
        classifier: the trained classifier (frozen here, batch norm in eval mode).
        input_size: its image side: other sizes are resized to it.
        index: for each generator class, the classifier's index of the same class.
    """

    def __init__(self, classifier: ProductClassifier, input_size: int, index: list[int]):
        super().__init__()
        self.net = classifier
        self.input_size = input_size
        self.register_buffer("index", torch.tensor(index, dtype=torch.long), persistent=False)
        self.requires_grad_(False)
        self.eval()

    def train(self, mode: bool = True) -> ClassJudge:
        return super().train(False)

    def forward(self, images: Tensor, labels: Tensor) -> Tensor:
        return F.cross_entropy(self.net((to_side(images, self.input_size) + 1) / 2), self.index[labels])
