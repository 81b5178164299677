"""The Python API (lightning_gan.api): every array kind and PIL mode round trips, generators, the list of models."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import lightning_gan
from lightning_gan.api import Generator, Model


@pytest.fixture(scope="module")
def gray_world():
    return lightning_gan.load_model("gray_world", device="cpu")  # a size-keeping baseline


@pytest.mark.parametrize("shape", [(10, 12), (10, 12, 1), (10, 12, 2), (10, 12, 3), (10, 12, 4)])
@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_every_array_kind_comes_back_in_its_own_layout(gray_world, shape, dtype):
    rng = np.random.default_rng(0)
    array = rng.uniform(0.2, 0.8, shape)
    array = (array * 255).astype(np.uint8) if dtype == np.uint8 else array.astype(np.float32)
    out = gray_world(array)
    assert out.shape == array.shape and out.dtype == array.dtype
    if len(shape) == 3 and shape[2] in (2, 4):
        np.testing.assert_allclose(out[..., -1].astype(float), array[..., -1].astype(float), atol=1 if dtype == np.uint8 else 1e-5)


def test_gray_stays_gray_and_a_gray_pil_image_comes_back_gray(gray_world):
    gray = np.full((8, 8), 100, dtype=np.uint8)
    assert abs(int(gray_world(gray)[4, 4]) - 100) <= 1
    assert gray_world(Image.new("L", (9, 7), 90)).mode == "L"
    assert gray_world(Image.new("LA", (9, 7), (90, 128))).getpixel((3, 3)) == (90, 128)
    assert gray_world(Image.new("P", (9, 7))).mode == "RGB"


def test_bad_arrays_are_refused_with_the_reason(gray_world):
    with pytest.raises(ValueError, match="shape"):
        gray_world(np.zeros((4, 4, 5), dtype=np.uint8))
    with pytest.raises(ValueError, match="int32"):
        gray_world(np.zeros((4, 4, 3), dtype=np.int32))
    with pytest.raises(ValueError, match="NaN"):
        gray_world(np.full((4, 4, 3), np.nan, dtype=np.float32))


def test_half_reaches_the_loader_from_the_top_level():
    assert isinstance(lightning_gan.load_model("enhance", device="cpu", half=True), Model)


def test_a_generator_gives_seeded_images_of_a_class_in_any_case():
    grocery = lightning_gan.load_model("grocery", device="cpu")
    assert isinstance(grocery, Generator) and "Banana" in grocery.classes
    first, again, other = grocery(3, label="banana", seed=1), grocery(3, label="BANANA", seed=1), grocery(3, label="Banana", seed=2)
    assert len(first) == 3 and all(isinstance(x, Image.Image) for x in first)
    assert all(np.array_equal(np.asarray(a), np.asarray(b)) for a, b in zip(first, again))
    assert not np.array_equal(np.asarray(first[0]), np.asarray(other[0]))
    with pytest.raises(ValueError, match="known labels: .*Banana"):
        grocery(1, label="spaceship")


def test_list_models_says_what_each_does():
    models = lightning_gan.list_models()
    assert models["enhance"] == "restore" and models["sr4x"] == "upscale x4"
    assert models["inpaint"] == "inpaint" and models["grocery"] == "generate"
    assert "clahe" not in models and lightning_gan.list_models(baselines=True)["clahe"] == "baseline"


def test_translate_says_a_shipped_restorer_is_not_a_translator(tmp_path, capsys):
    from lightning_gan.commands.translate import main

    Image.new("RGB", (16, 16)).save(tmp_path / "a.png")
    assert main([str(tmp_path / "a.png"), str(tmp_path / "out"), "--model", "enhance"]) == 2
    assert "not a translator" in capsys.readouterr().err


def test_generate_takes_labels_in_any_case(tmp_path):
    from lightning_gan.commands.generate import main

    assert main([str(tmp_path / "out"), "--model", "grocery", "--label", "banana", "-n", "2"]) == 0
    assert len(list((tmp_path / "out").glob("Banana_*.png"))) == 2


def test_a_result_with_nan_is_never_returned_as_pixels():
    import torch

    from lightning_gan.inference import Restorer

    broken = Model(Restorer("broken", lambda x, m: x * float("nan")))
    with pytest.raises(ValueError, match="broken produced NaN or infinite values"):
        broken(np.full((8, 8, 3), 100, dtype=np.uint8))
    with pytest.raises(ValueError, match="NaN"):
        broken(torch.rand(1, 3, 8, 8))
