"""nets/jpeg.py: the quality read from a JPEG's pixels, and the projection of a repair onto what the file allows."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from PIL import Image

from lightning_gan.data.datamodule import SAMPLE_ROOT
from lightning_gan.data.images import read_rgb, scan
from lightning_gan.nets.io import dct_basis
from lightning_gan.nets.jpeg import ON_GRID, _blocks, consistent_with_file, estimate_quality, jpeg_consistent, luma_255, luma_steps


def tensor(image: Image.Image) -> torch.Tensor:
    return torch.from_numpy(np.asarray(image.convert("RGB")).copy()).permute(2, 0, 1).float()[None] / 255


def saved(image: Image.Image, quality: int) -> torch.Tensor:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return tensor(Image.open(buffer))


@pytest.fixture(scope="module")
def photo() -> Image.Image:
    """A 200 px photo: four sample shelf photos side by side, resized (off the grid of their own JPEG files)."""
    tiles = [read_rgb(p) for p in scan(SAMPLE_ROOT / "test")[:4]]
    canvas = Image.new("RGB", (192, 192))
    for k, tile in enumerate(tiles):
        canvas.paste(tile, ((k % 2) * 96, (k // 2) * 96))
    return canvas.resize((200, 200), Image.Resampling.BICUBIC)


def psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    return float(10 * torch.log10(1 / ((a - b) ** 2).mean()))


@pytest.mark.parametrize("quality", [10, 35, 60, 85, 95])
def test_the_quality_is_read_from_the_pixels(photo, quality):
    found, score = estimate_quality(saved(photo, quality))
    assert abs(found - quality) <= 1 and score < ON_GRID


def test_a_photo_that_is_not_a_saved_jpeg_is_not_on_any_grid(photo):
    noisy = (tensor(photo) + 0.01 * torch.randn(1, 3, 200, 200, generator=torch.Generator().manual_seed(0))).clamp(0, 1)
    assert estimate_quality(noisy)[1] > ON_GRID
    repaired = noisy * 0.9
    assert torch.equal(consistent_with_file(noisy, repaired), repaired)  # nothing to be consistent with


@pytest.mark.parametrize("quality", [20, 95])
def test_the_projection_keeps_the_original_and_moves_a_bad_repair_towards_it(photo, quality):
    clean, jpeg = tensor(photo), saved(photo, quality)
    assert psnr(jpeg_consistent(clean, jpeg, quality), clean) > 50  # the original lies in the file's cells
    bad = (jpeg + 0.05 * torch.randn(jpeg.shape, generator=torch.Generator().manual_seed(1))).clamp(0, 1)
    projected = jpeg_consistent(bad, jpeg, quality)
    assert psnr(projected, clean) > psnr(bad, clean)
    steps = luma_steps(quality).view(1, 64, 1)
    basis = dct_basis(8)
    stored = (basis @ _blocks(luma_255(jpeg.double()))[0] / steps).round()
    inside = basis @ _blocks(luma_255(projected.double()))[0] / steps - stored
    assert float(inside.abs().max()) < 0.5 + 0.02 * 255 / steps.min()  # in the cells, up to 8-bit clamping


def test_a_jpeg_repair_model_with_consistency_cannot_leave_the_files_cells(photo):
    from lightning_gan.models.eagan import EAGAN

    torch.manual_seed(0)
    model = EAGAN(generator="unshuffle", width=8, blocks=1, jpeg_consistency=True)
    torch.nn.init.normal_(model.generator_ema.module.tail.weight, std=0.05)  # an untrained repair that changes things
    jpeg, clean = saved(photo, 90), tensor(photo)
    restorer = model.restorer("dejpeg", torch.device("cpu"))
    model.jpeg_consistency = False
    free = model.restorer("free", torch.device("cpu"))
    luma = lambda x: luma_255(x) / 255  # noqa: E731 - the projection moves luma; chroma is the network's
    assert psnr(luma(restorer(jpeg)), luma(clean)) > psnr(luma(free(jpeg)), luma(clean)) + 3


def test_a_jpeg_saved_at_95_comes_back_as_it_is_and_lower_qualities_get_the_whole_repair(photo):
    jpeg = saved(photo, 95)
    assert torch.equal(consistent_with_file(jpeg, jpeg * 0.5), jpeg)
    low = saved(photo, 40)
    repaired = (low + 0.003).clamp(0, 1)  # a small change, inside the wide cells of quality 40
    torch.testing.assert_close(consistent_with_file(low, repaired), jpeg_consistent(repaired, low, 40))
