"""Image quality metrics shared by training, evaluation and benchmarks."""

from __future__ import annotations

import functools
import importlib.util

import torch
import torch.nn.functional as F
from torch import Tensor
from torchmetrics import MetricCollection
from torchmetrics.image import PeakSignalNoiseRatio, StructuralSimilarityIndexMeasure


def fidelity_metrics(prefix: str = "") -> MetricCollection:
    """PSNR and SSIM of RGB images in [0, 1], averaged over images."""
    return MetricCollection(
        {
            "psnr": PeakSignalNoiseRatio(data_range=1.0, reduction="elementwise_mean", dim=(1, 2, 3)),
            "ssim": StructuralSimilarityIndexMeasure(data_range=1.0),
        },
        postfix=prefix,
    )


def _laplacian_pyramid(images: Tensor, levels: int) -> list[Tensor]:
    pyramid, current = [], images
    for _ in range(levels - 1):
        smaller = F.avg_pool2d(current, 2)
        pyramid.append(current - F.interpolate(smaller, scale_factor=2, mode="bilinear", align_corners=False))
        current = smaller
    return pyramid + [current]


def _patches(level: Tensor, count: int, size: int, generator: torch.Generator) -> Tensor:
    """`count` random size x size patches per image, as (n * count, channels, size * size)."""
    n, c, h, w = level.shape
    ys = torch.randint(0, h - size + 1, (n, count), generator=generator)
    xs = torch.randint(0, w - size + 1, (n, count), generator=generator)
    offsets = torch.arange(size)
    rows = (ys[..., None] + offsets).view(n, count, size, 1).expand(-1, -1, -1, size)
    cols = (xs[..., None] + offsets).view(n, count, 1, size).expand(-1, -1, size, -1)
    flat = (rows * w + cols).reshape(n, 1, -1).expand(-1, c, -1).to(level.device)
    patches = level.reshape(n, c, h * w).gather(2, flat).view(n, c, count, size * size)
    return patches.permute(0, 2, 1, 3).reshape(n * count, c, size * size)


@torch.no_grad()
def sliced_wasserstein(a: Tensor, b: Tensor, levels: int = 3, patches_per_image: int = 64, patch_size: int = 7,
                       directions: int = 256, seed: int = 0) -> Tensor:
    """Sliced Wasserstein distance between two image sets on Laplacian-pyramid patches (Karras et al. 2018).

    Needs no pretrained network. Images (N, 3, H, W) in [0, 1]; returns the mean over pyramid levels, x1e3 as
    ProGAN reports it. The same `seed` picks the same patch positions and directions for both sets. Unlike
    ProGAN, both sets are normalised with the channel statistics of `a`, so a global colour shift still counts.
    """
    generator = torch.Generator().manual_seed(seed)
    distances = []
    for level_a, level_b in zip(_laplacian_pyramid(a.float(), levels), _laplacian_pyramid(b.float(), levels)):
        size = min(patch_size, level_a.shape[-1], level_b.shape[-1])
        positions_seed = int(torch.randint(0, 2**31, (), generator=generator))
        pa = _patches(level_a, patches_per_image, size, torch.Generator().manual_seed(positions_seed))
        pb = _patches(level_b, patches_per_image, size, torch.Generator().manual_seed(positions_seed))
        count = min(len(pa), len(pb))
        mean, std = pa.mean(dim=(0, 2), keepdim=True), pa.std(dim=(0, 2), keepdim=True).clamp_min(1e-8)
        pa, pb = ((pa[:count] - mean) / std).flatten(1), ((pb[:count] - mean) / std).flatten(1)
        projections = torch.randn(pa.shape[1], directions, generator=generator).to(pa.device)
        projections /= projections.norm(dim=0, keepdim=True)
        sorted_a = (pa @ projections).sort(dim=0).values
        sorted_b = (pb @ projections).sort(dim=0).values
        distances.append((sorted_a - sorted_b).abs().mean())
    return torch.stack(distances).mean() * 1e3


ALEXNET_FILE = "alexnet-owt-7be5be79.pth"  # the torchvision backbone torchmetrics' LPIPS ('alex') loads


def lpips_metric(device: str | torch.device = "cpu"):
    """(LPIPS module, None) when its AlexNet backbone is in the torch hub cache, else (None, why not)."""
    from pathlib import Path

    path = Path(torch.hub.get_dir()) / "checkpoints" / ALEXNET_FILE
    if not path.is_file():
        return None, (f"LPIPS not computed: its AlexNet weights are not at {path} (nothing is downloaded at run time; "
                      f"copy https://download.pytorch.org/models/{ALEXNET_FILE} there to enable it)")
    from torchmetrics.image.lpip import LearnedPerceptualImagePatchSimilarity

    try:
        return LearnedPerceptualImagePatchSimilarity(net_type="alex").to(device).eval(), None
    except Exception as error:  # noqa: BLE001 - report and go on without LPIPS
        return None, f"LPIPS not computed: {error}"


# --- generation metrics: SWD always; FID, KID and IS with the Inception weights or any feature extractor -----------

INCEPTION_FILE = "weights-inception-2015-12-05-6726825d.pth"  # torch-fidelity's port of the TF FID Inception
INCEPTION_URL = f"https://github.com/toshas/torch-fidelity/releases/download/v0.2.0/{INCEPTION_FILE}"
GENERATION_METRICS = ("swd", "fid", "kid", "is", "domain_fid", "domain_kid")
DOMAIN_METRICS = ("domain_fid", "domain_kid")  # FID / KID in the shipped product classifier's features (domain.py)


def inception_weights() -> tuple[str | None, str | None]:
    """(path, None) when the FID Inception weights are in the torch hub cache, else (None, what to do)."""
    from pathlib import Path

    path = Path(torch.hub.get_dir()) / "checkpoints" / INCEPTION_FILE
    if path.is_file():
        return str(path), None
    return None, (f"FID/KID/IS not computed: the Inception weights are not at {path} (nothing is downloaded at run "
                  f"time). Fetch {INCEPTION_URL} on a machine with internet and copy it there, or pass a "
                  "feature_extractor; SWD is computed without them.")


def _feature_metrics(names: tuple[str, ...], extractor: torch.nn.Module | None, weights: str | None, subset: int) -> dict:
    from torchmetrics.image.fid import FrechetInceptionDistance
    from torchmetrics.image.inception import InceptionScore
    from torchmetrics.image.kid import KernelInceptionDistance

    feature = extractor if extractor is not None else 2048
    extra = {} if extractor is not None else {"feature_extractor_weights_path": weights}
    built = {}
    if "fid" in names:
        built["fid"] = FrechetInceptionDistance(feature=feature, normalize=True, **extra)
    if "kid" in names:
        built["kid"] = KernelInceptionDistance(feature=feature, normalize=True, subset_size=subset, **extra)
    if "is" in names:
        # IS converts to uint8 whenever normalize is set, so a custom extractor gets the float images as they are.
        is_feature = extractor if extractor is not None else "logits_unbiased"
        built["is"] = InceptionScore(feature=is_feature, normalize=extractor is None, splits=min(10, subset), **extra)
    return built


@functools.lru_cache(maxsize=2)
def _domain_extractor(device: str) -> torch.nn.Module:
    """The shipped classifier's feature module, loaded once per device (validation asks every epoch)."""
    from lightning_gan.evaluation.domain import load_domain_classifier

    return load_domain_classifier(device=device).extractor()


@torch.no_grad()
def generation_metrics(real: Tensor, fake: Tensor, names: tuple[str, ...] | list[str] = GENERATION_METRICS,
                       feature_extractor: torch.nn.Module | None = None, batch: int = 64) -> tuple[dict[str, float], list[str]]:
    """Scores of generated images `fake` against `real` (both (N, 3, H, W) in [0, 1]) and notes on what was skipped.

    swd: sliced Wasserstein on Laplacian patches (x1e3, no weights needed). fid, kid (the mean over subsets of up
    to 100 images) and is (Inception Score of `fake`, higher is better) use the standard Inception weights from
    the hub cache, or `feature_extractor` (any module mapping [0, 1] images to (N, F) features; for IS its output
    is taken as class logits). Without either, they are left out with a note. domain_fid and domain_kid: FID
    and KID in the features of the shipped product classifier (always available, offline).
    """
    unknown = [n for n in names if n not in GENERATION_METRICS]
    if unknown:
        raise ValueError(f"unknown generation metric {', '.join(unknown)}; known: {', '.join(GENERATION_METRICS)}")
    scores: dict[str, float] = {}
    notes: list[str] = []
    if "swd" in names:
        scores["swd"] = sliced_wasserstein(real, fake).item()
    domain = tuple(n for n in names if n in DOMAIN_METRICS)
    if domain:
        found, _ = generation_metrics(real, fake, tuple(n.removeprefix("domain_") for n in domain),
                                      _domain_extractor(str(real.device)), batch)
        scores.update({f"domain_{k}": v for k, v in found.items()})
    wanted = tuple(n for n in names if n not in ("swd", *DOMAIN_METRICS))
    if not wanted:
        return scores, notes
    weights, note = (None, None) if feature_extractor is not None else inception_weights()
    if note is None and feature_extractor is None and importlib.util.find_spec("torch_fidelity") is None:
        note = "FID/KID/IS not computed: the Inception network needs torch-fidelity (pip install 'lightning-gan[metrics]')"
    if note:
        return scores, [note]
    subset = min(100, len(real), len(fake))
    metrics = {k: m.to(real.device) for k, m in _feature_metrics(wanted, feature_extractor, weights, subset).items()}
    for chunk in real.split(batch):
        for name in ("fid", "kid"):
            if name in metrics:
                metrics[name].update(chunk, real=True)
    for chunk in fake.split(batch):
        for name, metric in metrics.items():
            metric.update(chunk, real=False) if name != "is" else metric.update(chunk)
    for name, metric in metrics.items():
        value = metric.compute()
        scores[name] = float(value[0] if isinstance(value, tuple) else value)
    return scores, notes
