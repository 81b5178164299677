"""Each classical baseline improves PSNR on the defect it is meant for."""

from __future__ import annotations

import pytest
import torch
from torchmetrics.functional.image import peak_signal_noise_ratio

from lightning_gan.data.datamodule import ProductImageDataModule
from lightning_gan.data.degradations import degrade
from lightning_gan.inference.baselines import BASELINES, baselines_for, get_baseline


def psnr(a, b) -> float:
    return peak_signal_noise_ratio(a, b, data_range=1.0, reduction="elementwise_mean", dim=(1, 2, 3)).item()


@pytest.fixture(scope="module")
def photos() -> torch.Tensor:
    """The embedded sample's validation photos at 64x64."""
    data = ProductImageDataModule(image_size=64)
    data.setup("validate")
    return torch.cat([data.on_after_batch_transfer(b, 0)["clean"] for b in data.val_dataloader()])


def salt_and_pepper(x: torch.Tensor, amount: float = 0.05) -> torch.Tensor:
    g = torch.Generator().manual_seed(0)
    u = torch.rand(x.shape[0], 1, *x.shape[2:], generator=g).expand_as(x)
    return torch.where(u < amount / 2, 0.0, torch.where(u > 1 - amount / 2, 1.0, x))


CASES = [  # baseline, how to damage, margin in dB it must gain at least
    ("median_filter", lambda x: salt_and_pepper(x), 3.0),
    ("gaussian_filter", lambda x: degrade(x, "noise", seeds=torch.arange(len(x))).image, 2.0),
    ("bilateral_filter", lambda x: degrade(x, "noise", seeds=torch.arange(len(x))).image, 0.3),
    ("unsharp_mask", lambda x: degrade(x, "blur", seeds=torch.arange(len(x))).image, 0.5),
    ("auto_contrast", lambda x: degrade(x, "low_contrast", seeds=torch.arange(len(x))).image, 3.0),
    ("gamma_correction", lambda x: degrade(x, "lowlight", seeds=torch.arange(len(x))).image, 3.0),
    # -2 EV in linear light with sensor noise: equalization lifts it about 2.9 dB on these photos
    ("histogram_equalization", lambda x: degrade(x, "lowlight", seeds=torch.arange(len(x))).image, 2.0),
    ("clahe", lambda x: degrade(x, "lowlight", seeds=torch.arange(len(x))).image, 3.0),
]


@pytest.mark.parametrize("name,damage,margin", CASES, ids=[c[0] for c in CASES])
def test_baseline_repairs_its_defect(name, damage, margin, photos):
    damaged = damage(photos)
    assert psnr(get_baseline(name)(damaged), photos) > psnr(damaged, photos) + margin


def test_gray_world_removes_a_white_balance_cast():
    g = torch.Generator().manual_seed(0)
    grey = torch.rand(8, 1, 32, 32, generator=g).expand(-1, 3, -1, -1) * 0.6 + 0.2
    cast = (grey * torch.tensor([1.3, 1.0, 0.7]).view(1, 3, 1, 1)).clamp(0, 1)
    assert psnr(get_baseline("gray_world")(cast), grey) > psnr(cast, grey) + 10


def test_bicubic_and_bilinear_beat_nearest_on_downscale4(photos):
    small = degrade(photos, "downscale4").image
    nearest = psnr(get_baseline("nearest")(small, scale=4), photos)
    assert psnr(get_baseline("bicubic")(small, scale=4), photos) > nearest + 0.5
    assert psnr(get_baseline("bilinear")(small, scale=4), photos) > nearest + 0.5


def test_diffusion_fill_fills_holes_and_keeps_the_rest(photos):
    stained = degrade(photos, "stains", seeds=torch.arange(len(photos)))
    filled = get_baseline("diffusion_fill")(stained.image, stained.mask)
    assert psnr(filled, photos) > psnr(stained.image, photos) + 3
    outside = ~stained.mask.bool().expand_as(photos)
    assert torch.equal(filled[outside], stained.image[outside])


@pytest.mark.parametrize("name", list(BASELINES))
def test_every_baseline_keeps_shape_and_range(name):
    x = torch.rand(2, 3, 24, 20)
    out = get_baseline(name)(x, torch.zeros(2, 1, 24, 20), 1)
    assert out.shape == x.shape and out.min() >= 0 and out.max() <= 1


def test_task_selection_and_unknown_name():
    assert baselines_for(4, False) == ["bicubic", "bilinear", "nearest"]
    assert "diffusion_fill" in baselines_for(1, True) and "diffusion_fill" not in baselines_for(1, False)
    with pytest.raises(ValueError, match="median_filter"):
        get_baseline("magic")
