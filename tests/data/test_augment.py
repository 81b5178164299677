"""Device-side augmentation: geometry as configured, no resampling for native crops."""

from __future__ import annotations

import torch

from lightning_gan.data.augment import augment, center_crop, native_crops


def test_augment_without_rotation_or_zoom_is_the_image_or_its_mirror():
    images = (torch.rand(6, 3, 32, 32) * 255).to(torch.uint8)
    out = augment(images, 32, flip=True, rotation=0.0, crop_scale=(1.0, 1.0))
    original = images.float() / 255
    for i in range(6):
        assert min((out[i] - original[i]).abs().max(), (out[i] - original[i].flip(-1)).abs().max()) < 1e-5


def test_augment_varies_per_image_and_keeps_range():
    same = (torch.rand(1, 3, 40, 40) * 255).to(torch.uint8).expand(4, -1, -1, -1)
    out = augment(same, 32)
    assert out.shape == (4, 3, 32, 32) and 0 <= out.min() and out.max() <= 1
    assert (out[0] - out[1]).abs().mean() > 1e-3


def test_native_crops_are_exact_windows():
    images = (torch.rand(4, 3, 40, 30) * 255).to(torch.uint8)
    crops = native_crops(images, 16, flip=False)
    windows = images.float().div(255).unfold(2, 16, 1).unfold(3, 16, 1)  # (B, C, 25, 15, 16, 16)
    for i in range(4):
        distance = (windows[i] - crops[i][:, None, None]).abs().amax(dim=(0, 3, 4))
        assert distance.min() == 0


def test_center_crop():
    images = torch.arange(36.0).view(1, 1, 6, 6)
    assert center_crop(images, 2).flatten().tolist() == [14.0, 15.0, 20.0, 21.0]
