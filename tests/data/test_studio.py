"""Studio shots made from any photo (data/studio.py): a cut-out of the photo on a neutral seamless background."""

from __future__ import annotations

import torch

from lightning_gan.data.degradations import Draw
from lightning_gan.data.studio import background_shift, cutout, some_studio_shots, studio_shot


def photos(n: int = 4, size: int = 64) -> torch.Tensor:
    torch.manual_seed(0)
    x = torch.rand(n, 3, size, size) * 0.5
    x[:, 0] += 0.4  # reddish: far from neutral
    return x


def test_background_is_neutral_light_and_the_cut_out_is_the_photo():
    x = photos()
    seeds = torch.arange(4)
    shot = studio_shot(x, Draw(4, x.device, seeds))
    mask = cutout(Draw(4, x.device, seeds), 64, 64)  # the same seeded draws give the same cut-out
    outside, inside = mask == 0, mask == 1
    spread = shot.amax(dim=1, keepdim=True) - shot.amin(dim=1, keepdim=True)
    assert spread[outside].max() < 1e-6  # grey or white, no tint
    assert shot[:, :1][outside].min() > 0.86 * 0.94 * 0.65 - 1e-6  # lightest: light grey, darkened by sweep and shadow
    assert inside.float().mean() > 0.15 and outside.float().mean() > 0.15
    torch.testing.assert_close(shot * inside, x * inside)


def test_seeded_shots_repeat_and_differ_between_photos():
    x = photos()
    a = studio_shot(x, Draw(4, x.device, torch.arange(4)))
    b = studio_shot(x, Draw(4, x.device, torch.arange(4)))
    assert torch.equal(a, b)
    masks = cutout(Draw(4, x.device, torch.arange(4)), 64, 64)
    assert not torch.equal(masks[0], masks[1])


def test_share_of_studio_shots_in_training():
    x = photos(200, 32)
    torch.manual_seed(1)  # the training draws use the global RNG: seeded, the bounds below can never flake
    assert torch.equal(some_studio_shots(x, 0.0), x)
    changed = (some_studio_shots(x, 0.3) != x).flatten(1).any(dim=1).float().mean()
    assert 0.18 < changed < 0.42
    assert (some_studio_shots(x, 1.0) != x).flatten(1).any(dim=1).all()


def test_background_shift_reads_the_background_only_in_levels():
    shot = torch.full((1, 3, 8, 8), 0.5)
    background = torch.zeros(1, 1, 8, 8, dtype=torch.bool)
    background[..., :4, :] = True
    moved = shot.clone()
    moved[:, 1, :4] += 2 / 255  # green up 2 levels on the background
    moved[:, 0, 4:] += 0.5  # a big change on the product is not the background's
    assert abs(background_shift(moved, shot, background) - 2.0) < 1e-4
    assert background_shift(shot, shot, background) == 0.0
