"""Image quality metrics shared by training, evaluation and benchmarks."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor
from torchmetrics import MetricCollection
from torchmetrics.image import PeakSignalNoiseRatio, StructuralSimilarityIndexMeasure


def to_unit(x: Tensor) -> Tensor:
    """Network space [-1, 1] to image space [0, 1]."""
    return ((x + 1) / 2).clamp(0, 1)


def to_signed(x: Tensor) -> Tensor:
    """Image space [0, 1] to network space [-1, 1]."""
    return x * 2 - 1


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
