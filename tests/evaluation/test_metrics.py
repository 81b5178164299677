"""lightning_gan.evaluation.metrics: SWD, FID/KID with a small feature extractor, the note when Inception weights are missing."""

from __future__ import annotations

import kornia
import pytest
import torch
from torch import nn

from lightning_gan.data.datamodule import SAMPLE_ROOT, load_images
from lightning_gan.data.images import list_split
from lightning_gan.evaluation.metrics import generation_metrics, sliced_wasserstein


@pytest.fixture(scope="module")
def photos() -> torch.Tensor:
    """The embedded sample's 81 test photos at 32 x 32, in [0, 1]."""
    _, images = load_images(list_split(SAMPLE_ROOT, "test"), 32)
    return images.float() / 255


def tiny_extractor() -> nn.Module:
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 16, 3, 2), nn.ReLU(), nn.Conv2d(16, 32, 3, 2), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten())
    net.num_features = 32
    return net


def test_swd_is_zero_for_a_set_against_itself_and_grows_with_the_shift(photos):
    assert sliced_wasserstein(photos, photos).item() == pytest.approx(0.0, abs=1e-6)
    shifts = [sliced_wasserstein(photos, (photos + s).clamp(0, 1)).item() for s in (0.02, 0.05, 0.1, 0.2)]
    assert all(a < b for a, b in zip(shifts, shifts[1:])), shifts
    blurred = kornia.filters.gaussian_blur2d(photos, (7, 7), (2.0, 2.0))
    assert sliced_wasserstein(photos, blurred).item() > shifts[0]


def test_fid_and_kid_with_a_small_feature_extractor(photos):
    extractor = tiny_extractor()
    same, notes = generation_metrics(photos, photos, ("swd", "fid", "kid", "is"), feature_extractor=extractor)
    shifted, _ = generation_metrics(photos, (photos + 0.2).clamp(0, 1), ("fid", "kid"), feature_extractor=extractor)
    assert notes == [] and set(same) == {"swd", "fid", "kid", "is"}
    assert abs(same["fid"]) < 1e-6 and abs(same["kid"]) < 1e-4
    assert shifted["fid"] > 1e-3 and shifted["fid"] > 1000 * abs(same["fid"])
    assert shifted["kid"] > 10 * abs(same["kid"]) + 1e-4


def test_missing_inception_weights_give_a_note_and_swd_still_works(photos, monkeypatch, tmp_path):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    scores, notes = generation_metrics(photos[:20], photos[20:40], ("swd", "fid"))
    assert set(scores) == {"swd"} and len(notes) == 1
    assert str(tmp_path / "checkpoints") in notes[0] and "feature_extractor" in notes[0]
    with pytest.raises(ValueError, match="unknown generation metric lpips"):
        generation_metrics(photos, photos, ("lpips",))
