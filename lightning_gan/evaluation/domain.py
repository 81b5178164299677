"""The domain classifier: a small product classifier trained here, shipped, and used to score generators offline.

FID/KID need a feature space; the standard one (Inception v3) cannot be downloaded here, and colour statistics (SWD)
cannot tell a banana from a yellow texture. A classifier trained on the Grocery Store photos gives three offline
measures of generated products:
- domain FID / KID: FID (Heusel et al., NeurIPS 2017) and KID (Binkowski et al., ICLR 2018) in its feature space;
- GAN-test accuracy (Shmelkov, Schmid, Alahari, "How good is my GAN?", ECCV 2018): the classifier's accuracy on
  samples generated for class c, next to its accuracy on real test photos;
- intra-class diversity: mean pairwise feature distance among images of one class, samples against real photos
  (a generator that ignores z scores 0).

    lightning-gan train-classifier --data ../shared/data/grocery-store            # writes pretrained/domain/
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from pathlib import Path

import lightning as L
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from lightning_gan.files import resolve_device
from lightning_gan.nets.classifier import ProductClassifier

DOMAIN_DIR = Path(__file__).parent.parent / "pretrained" / "domain"
CLASSIFIER_NAME = "grocery_classifier"


class ClassifierModule(L.LightningModule):
    """Trains `ProductClassifier` on the datamodule's labelled photos (cross-entropy with label smoothing, AdamW,
    one-cycle schedule); logs val/acc, which picks the checkpoint kept."""

    def __init__(self, classes: list[str], width: int = 32, blocks: int = 1, lr: float = 3e-3, weight_decay: float = 5e-4,
                 label_smoothing: float = 0.1, arch: str = "resnet"):
        super().__init__()
        self.save_hyperparameters()
        self.net = ProductClassifier(len(classes), width, blocks, arch=arch)

    def training_step(self, batch: dict, batch_idx: int) -> Tensor:
        known = batch["label"] >= 0
        loss = F.cross_entropy(self.net(batch["clean"][known]), batch["label"][known], label_smoothing=self.hparams.label_smoothing)
        self.log("train/loss", loss, prog_bar=True, batch_size=int(known.sum()))
        return loss

    def validation_step(self, batch: dict, batch_idx: int) -> None:
        self._accuracy(batch, "val")

    def test_step(self, batch: dict, batch_idx: int) -> None:
        self._accuracy(batch, "test")

    def _accuracy(self, batch: dict, stage: str) -> None:
        known = batch["label"] >= 0
        correct = (self.net(batch["clean"][known]).argmax(1) == batch["label"][known]).float()
        self.log(f"{stage}/acc", correct.mean(), prog_bar=True, batch_size=len(correct))

    def configure_optimizers(self):
        optimizer = torch.optim.AdamW(self.parameters(), lr=self.hparams.lr, weight_decay=self.hparams.weight_decay)
        schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, self.hparams.lr, total_steps=int(self.trainer.estimated_stepping_batches))
        return [optimizer], [{"scheduler": schedule, "interval": "step"}]


@dataclass
class DomainClassifier:
    """The shipped classifier, ready to score images (B, 3, H, W) in [0, 1] (resized to its `image_size`)."""

    net: ProductClassifier
    classes: list[str]
    image_size: int
    card: dict

    def _fit(self, images: Tensor) -> Tensor:
        if images.shape[-1] != self.image_size or images.shape[-2] != self.image_size:
            images = F.interpolate(images, size=(self.image_size, self.image_size), mode="bilinear", antialias=True, align_corners=False)
        return images.clamp(0, 1)

    @torch.no_grad()
    def features(self, images: Tensor, batch: int = 256) -> Tensor:
        device = next(self.net.parameters()).device
        return torch.cat([self.net.features(self._fit(chunk.to(device))).float().cpu() for chunk in images.split(batch)])

    @torch.no_grad()
    def predict(self, images: Tensor, batch: int = 256) -> Tensor:
        device = next(self.net.parameters()).device
        return torch.cat([self.net(self._fit(chunk.to(device))).argmax(1).cpu() for chunk in images.split(batch)])

    def extractor(self) -> nn.Module:
        """The feature module torchmetrics' FID/KID take (`feature=`), images in [0, 1]."""
        return DomainFeatures(self)

    def label_of(self, name: str) -> int:
        return self.classes.index(name) if name in self.classes else -1


class DomainFeatures(nn.Module):
    """`DomainClassifier.features` as a module with `num_features`, the interface torchmetrics expects."""

    def __init__(self, classifier: DomainClassifier):
        super().__init__()
        self.net = classifier.net
        self.size = classifier.image_size
        self.num_features = classifier.net.num_features

    def forward(self, images: Tensor) -> Tensor:
        if images.shape[-1] != self.size:
            images = F.interpolate(images.float(), size=(self.size, self.size), mode="bilinear", antialias=True, align_corners=False)
        return self.net.features(images.float().clamp(0, 1))


def load_domain_classifier(path: Path | None = None, device: str | torch.device = "cpu") -> DomainClassifier:
    """The classifier in `path` (a .safetensors with its .json card beside it); default: the shipped one."""
    from safetensors.torch import load_file

    path = Path(path) if path is not None else DOMAIN_DIR / f"{CLASSIFIER_NAME}.safetensors"
    card_path = path.with_suffix(".json")
    if not path.is_file() or not card_path.is_file():
        raise FileNotFoundError(f"domain classifier not found: {path} (with {card_path.name}); "
                                "train one with `lightning-gan train-classifier`")
    card = json.loads(card_path.read_text())
    net = ProductClassifier(len(card["classes"]), card["width"], card["blocks"], arch=card.get("arch", "resnet"))
    net.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in load_file(path).items()})
    return DomainClassifier(net.to(device).eval(), list(card["classes"]), int(card["image_size"]), card)


# --- generation measures in the classifier's feature space -----------------------------------------------------


def gan_test_accuracy(classifier: DomainClassifier, images: Tensor, labels: Tensor) -> float:
    """Share of `images` the classifier assigns to their own `labels` (indices into classifier.classes; -1 = not
    a class it knows, left out). On samples this is GAN-test (Shmelkov et al. 2018); on real photos, its accuracy."""
    known = labels >= 0
    if not known.any():
        raise ValueError("no image has a class the domain classifier knows")
    return (classifier.predict(images[known]) == labels[known]).float().mean().item()


def mean_pairwise_distance(features: Tensor) -> float:
    """Mean Euclidean distance over all pairs of rows (0 for fewer than two)."""
    if len(features) < 2:
        return 0.0
    distances = torch.cdist(features.double(), features.double())
    n = len(features)
    return (distances.sum() / (n * (n - 1))).item()


def intra_class_diversity(features: Tensor, labels: Tensor) -> dict[int, float]:
    """Per class (with at least two images): mean pairwise feature distance among its images."""
    return {int(c): mean_pairwise_distance(features[labels == c]) for c in labels.unique().tolist()
            if c >= 0 and int((labels == c).sum()) >= 2}


def mean_pairwise_ssim(images: Tensor, max_pairs: int = 256, seed: int = 0) -> float:
    """Mean SSIM over (up to `max_pairs` random) pairs of images in [0, 1]: the within-class collapse measure of
    AC-GAN (Odena et al., ICML 2017, there MS-SSIM; single-scale here, 7x7 window, as 64 px is too small for five
    scales). It needs no network, so unlike classifier features it does not shrink real photos of a class together."""
    import kornia

    n = len(images)
    if n < 2:
        return 1.0
    first, second = torch.triu_indices(n, n, 1)
    if len(first) > max_pairs:
        keep = torch.randperm(len(first), generator=torch.Generator().manual_seed(seed))[:max_pairs]
        first, second = first[keep], second[keep]
    return kornia.metrics.ssim(images[first].float(), images[second].float(), 7).mean().item()


def intra_class_ssim(images: Tensor, labels: Tensor) -> dict[int, float]:
    """Per class (with at least two images): mean pairwise SSIM among its images (1 = all alike)."""
    return {int(c): mean_pairwise_ssim(images[labels == c]) for c in labels.unique().tolist()
            if c >= 0 and int((labels == c).sum()) >= 2}


def ssim_diversity_ratio(fake: dict[int, float], real: dict[int, float]) -> float:
    """Mean over shared classes of (1 - SSIM among samples) / (1 - SSIM among real photos): 0 = copies, 1 = as varied."""
    shared = [c for c in fake if c in real and real[c] < 1]
    if not shared:
        raise ValueError("no class has at least two real and two generated images")
    return sum((1 - fake[c]) / (1 - real[c]) for c in shared) / len(shared)


def diversity_ratio(fake: dict[int, float], real: dict[int, float]) -> float:
    """Mean over classes present in both of fake diversity / real diversity (1 = as varied as the photos)."""
    shared = [c for c in fake if c in real and real[c] > 0]
    if not shared:
        raise ValueError("no class has at least two real and two generated images")
    return sum(fake[c] / real[c] for c in shared) / len(shared)


# --- training the shipped classifier ------------------------------------------------------------------------------


def train(args: argparse.Namespace) -> dict:

    from lightning_gan.data.datamodule import ProductImageDataModule
    from lightning_gan.files import atomic_path, save_weights

    if args.out is None:
        args.out = DOMAIN_DIR / f"{CLASSIFIER_NAME}.safetensors"
    if args.out.suffix != ".safetensors":
        raise ValueError(f"--out {args.out} must end in .safetensors")
    if args.out.exists() and not args.overwrite:
        raise FileExistsError(f"{args.out} exists; use --overwrite or another --out")
    if args.epochs < 1:
        raise ValueError(f"--epochs must be >= 1, got {args.epochs}")
    L.seed_everything(args.seed, verbose=False)
    data = ProductImageDataModule(root=args.data, image_size=args.size, batch_size=args.batch_size, label=args.label,
                                  rotation=10.0, crop_scale=(0.6, 1.0), cache_dir=args.cache_dir)
    data.setup("fit")
    module = ClassifierModule(list(data.classes), args.width, args.blocks, args.lr, arch=args.arch)
    device = resolve_device(args.device)
    best = {"acc": -1.0, "state": None, "epoch": -1}

    class KeepBest(L.Callback):  # the val-best weights, in memory: nothing is written until the end
        def on_validation_epoch_end(self, trainer, pl_module):
            acc = float(trainer.callback_metrics.get("val/acc", -1))
            if not trainer.sanity_checking and acc > best["acc"]:
                best.update(acc=acc, epoch=trainer.current_epoch,
                            state={k: v.detach().cpu().clone() for k, v in pl_module.net.state_dict().items()})

    trainer = L.Trainer(max_epochs=args.epochs, accelerator="gpu" if device.startswith("cuda") else "cpu", devices=1,
                        logger=False, enable_checkpointing=False, callbacks=[KeepBest()], num_sanity_val_steps=0,
                        default_root_dir=str(args.out.parent))
    start = time.perf_counter()
    trainer.fit(module, datamodule=data)
    minutes = (time.perf_counter() - start) / 60
    module.net.load_state_dict(best["state"])
    data.setup("test")
    test_acc = float(trainer.test(module, datamodule=data, verbose=False)[0]["test/acc"])
    card = {"name": args.out.stem, "classes": list(data.classes), "label": args.label, "image_size": args.size,
            "width": args.width, "blocks": args.blocks, "arch": args.arch,
            "val_accuracy": round(best["acc"], 4), "best_epoch": best["epoch"],
            "test_accuracy": round(test_acc, 4), "training": {"data": str(args.data), "epochs": args.epochs,
            "minutes": round(minutes, 1), "device": device, "seed": args.seed}}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    state = {k: (v.half() if v.is_floating_point() else v).contiguous() for k, v in module.net.state_dict().items()}
    save_weights(state, args.out)
    with atomic_path(args.out.with_suffix(".json")) as temporary:
        Path(temporary).write_text(json.dumps(card, indent=2))
    return card


