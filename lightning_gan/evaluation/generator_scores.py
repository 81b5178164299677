"""Scores of a generator against real photos in the domain classifier's features: GAN-test, domain FID and KID,
within-class variety, SWD, and the grid of samples per class (`lightning-gan score-generator`)."""

from __future__ import annotations

import torch
from torchvision.utils import make_grid

from lightning_gan.evaluation.domain import (
    DomainClassifier,
    diversity_ratio,
    gan_test_accuracy,
    intra_class_diversity,
    intra_class_ssim,
    mean_pairwise_distance,
    ssim_diversity_ratio,
)
from lightning_gan.evaluation.metrics import generation_metrics
from lightning_gan.inference.generation import latents


def real_photos(data: str, split: str, size: int, label: str, cache_dir: str | None):
    """The split's photos as the generator's validation saw them (whole photo, resized), with labels and classes."""
    from lightning_gan.data.augment import resize
    from lightning_gan.data.datamodule import ProductImageDataModule

    module = ProductImageDataModule(root=data, image_size=size, label=label, cache_dir=cache_dir)
    module.setup("test" if split == "test" else "fit")
    cached = module.datasets[split]
    return resize(cached.images, size), cached.labels, list(module.classes)


def translate_labels(labels: torch.Tensor, names: list[str], classifier: DomainClassifier) -> torch.Tensor:
    """Generator/data class indices to the classifier's indices (-1 where it does not know the class)."""
    table = torch.tensor([classifier.label_of(n) for n in names] + [-1])
    return table[torch.where(labels >= 0, labels, len(names))]


@torch.no_grad()
def draw(model, labels: torch.Tensor | None, count: int, seed: int, truncation: float | None = None,
         batch: int = 256) -> torch.Tensor:
    z = latents(count, model.hparams.latent_dim, seed, truncation)
    out = [model.render(z[i:i + batch], None if labels is None else labels[i:i + batch]).cpu() for i in range(0, count, batch)]
    return torch.cat(out)


def score(model, classifier: DomainClassifier, real: torch.Tensor, real_labels: torch.Tensor, data_classes: list[str],
          per_class: int, seed: int, truncation: float | None = None) -> tuple[dict, dict]:
    """The scores, plus the per-class samples drawn for diversity (for the grid); `truncation` as in `generate`."""
    model_classes = list(getattr(model, "classes", None) or [])
    conditional = bool(model_classes)
    if conditional:  # the real photos' classes as the generator numbers them
        index = {name: i for i, name in enumerate(model_classes)}
        to_model = torch.tensor([index.get(n, -1) for n in data_classes] + [-1])
        gen_labels = to_model[torch.where(real_labels >= 0, real_labels, len(data_classes))]
        keep = gen_labels >= 0
        real, real_labels, gen_labels = real[keep], real_labels[keep], gen_labels[keep]
    fake = draw(model, gen_labels if conditional else None, len(real), seed, truncation)
    scores, notes = generation_metrics(real, fake, ("swd", "fid", "kid"), feature_extractor=classifier.extractor())
    result = {"images": len(real), "domain_fid": scores["fid"], "domain_kid": scores["kid"], "swd": scores["swd"], "notes": notes}
    real_cls = translate_labels(real_labels, data_classes, classifier)
    result["classifier_accuracy_real"] = gan_test_accuracy(classifier, real, real_cls)
    samples: dict = {}
    if conditional:
        classes = sorted({int(c) for c in gen_labels.tolist()})
        labels = torch.tensor(classes).repeat_interleave(per_class)
        drawn = draw(model, labels, len(labels), seed + 1, truncation)
        drawn_cls = translate_labels(labels, model_classes, classifier)
        result["gan_test_accuracy"] = gan_test_accuracy(classifier, drawn, drawn_cls)
        # GAN-test as a share of what the classifier manages on real photos: the bar is set in these units
        result["gan_test_ratio"] = ratio(result["gan_test_accuracy"], result["classifier_accuracy_real"])
        fake_div = intra_class_diversity(classifier.features(drawn), drawn_cls)
        real_div = intra_class_diversity(classifier.features(real), real_cls)
        result["diversity_ratio"] = diversity_ratio(fake_div, real_div)
        real_ssim = intra_class_ssim(real.cpu(), gen_labels)
        result["ssim_diversity_ratio"] = ssim_diversity_ratio(intra_class_ssim(drawn, labels), real_ssim)
        result["per_class"] = {}
        for c in (c for c in fake_div if c in real_div):
            own, own_real = drawn_cls == c, real_cls == c
            result["per_class"][classifier.classes[c]] = {
                "diversity_fake": round(fake_div[c], 4), "diversity_real": round(real_div[c], 4),
                "gan_test": round(gan_test_accuracy(classifier, drawn[own], drawn_cls[own]), 4),
                # the classifier on this class's real photos: a per-class GAN-test bar is relative to it
                "accuracy_real": round(gan_test_accuracy(classifier, real[own_real], real_cls[own_real]), 4)}
            row = result["per_class"][classifier.classes[c]]
            share = ratio(row["gan_test"], row["accuracy_real"])
            row["gan_test_ratio"] = None if share is None else round(share, 4)
        samples = {"images": drawn, "labels": labels, "names": model_classes, "real": real.cpu(), "real_labels": gen_labels}
    else:
        fake_features, real_features = classifier.features(fake), classifier.features(real)
        result["diversity_ratio"] = mean_pairwise_distance(fake_features) / max(mean_pairwise_distance(real_features), 1e-12)
        samples = {"images": fake[: 8 * per_class], "labels": None, "names": []}
    return result, samples


def ratio(part: float, whole: float) -> float | None:
    """part / whole; None when whole is 0 (e.g. a class none of whose real photos the classifier names: a share of
    nothing is undefined, and reading it as 0 would call a generator that gets every sample right a failure)."""
    return part / whole if whole > 0 else None


def grid_rows(samples: dict, rows: int | list[str]) -> torch.Tensor:
    """The generator's class indices to show: `rows` classes evenly spread, or the classes named (in that order)."""
    classes = samples["labels"].unique()
    if isinstance(rows, int):
        return classes[torch.linspace(0, len(classes) - 1, min(rows, len(classes))).round().long()]
    names = samples["names"]
    unknown = [n for n in rows if n not in names or names.index(n) not in classes.tolist()]
    if unknown:
        raise ValueError(f"--grid-classes: no samples of {', '.join(unknown)}; the scored classes are "
                         f"{', '.join(names[c] for c in classes.tolist())}")
    return torch.tensor([names.index(n) for n in rows])


def grid_of(samples: dict, rows: int | list[str], per_row: int = 8, real_per_row: int = 3, enlarge=None):
    """The sample grid as a PIL image, one row per class (`rows` classes evenly spread, or those named): its name,
    `per_row` samples, then (after a gap) `real_per_row` real photos of the class from the scored split, for
    comparison. `enlarge` (a super-resolution restorer) takes samples and photos alike to catalogue size."""
    from PIL import Image, ImageDraw, ImageFont
    from torchvision.transforms.functional import to_pil_image

    from lightning_gan.inference.generation import enlarged

    images, labels = samples["images"], samples["labels"]
    grow = (lambda batch: enlarged(batch, enlarge)) if enlarge is not None else (lambda batch: batch)
    if labels is None:
        return to_pil_image(make_grid(grow(images[: rows * per_row]), nrow=per_row, padding=2, pad_value=1.0))
    shown = grid_rows(samples, rows)
    fake = grow(torch.cat([images[labels == c][:per_row] for c in shown]))
    fake = to_pil_image(make_grid(fake, nrow=per_row, padding=2, pad_value=1.0))
    blanks = torch.ones_like(samples["real"][:1]).repeat(real_per_row, 1, 1, 1)  # for classes with fewer photos
    real = torch.cat([torch.cat([samples["real"][samples["real_labels"] == c], blanks])[:real_per_row] for c in shown])
    real = to_pil_image(make_grid(grow(real), nrow=real_per_row, padding=2, pad_value=1.0))
    row_height = fake.height // len(shown)
    points = max(11, row_height // 10)  # class names readable beside 64 px and 256 px tiles alike
    font = ImageFont.load_default(size=points)
    margin, gap, top = 10 * points, 16, points + 6
    sheet = Image.new("RGB", (margin + fake.width + gap + real.width, fake.height + top), "white")
    sheet.paste(fake, (margin, top))
    sheet.paste(real, (margin + fake.width + gap, top))
    draw = ImageDraw.Draw(sheet)
    draw.text((margin + 4, 2), "generated", fill="black", font=font)
    draw.text((margin + fake.width + gap + 4, 2), "real photos", fill="black", font=font)
    for i, c in enumerate(shown.tolist()):
        draw.text((4, top + i * row_height + row_height // 2 - points // 2), samples["names"][c], fill="black", font=font)
    return sheet
