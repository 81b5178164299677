"""lightning_gan.commands.generate: seeded files, grids, interpolation, label checks, the shipped generator."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import quick_trainer
from PIL import Image

from lightning_gan.commands import main
from lightning_gan.data.datamodule import ProductImageDataModule
from lightning_gan.models.cgan import ConditionalGAN
from lightning_gan.models.dcgan import DCGAN


@pytest.fixture
def cgan_checkpoint(two_class_folder, tmp_path) -> Path:
    data = ProductImageDataModule(root=str(two_class_folder), image_size=16, batch_size=8)
    model = ConditionalGAN(latent_dim=8, g_width=8, d_width=8, image_size=16, grid_size=8)
    trainer = quick_trainer(tmp_path, max_epochs=1, limit_train_batches=1, limit_val_batches=0)
    trainer.fit(model, datamodule=data)
    trainer.save_checkpoint(tmp_path / "cgan.ckpt")
    return tmp_path / "cgan.ckpt"


def test_generate_same_seed_same_files(cgan_checkpoint, tmp_path, capsys):
    args = ["generate", "--model", str(cgan_checkpoint), "-n", "3", "--label", "red", "--seed", "7"]
    main([*args, str(tmp_path / "one")])
    main([*args, str(tmp_path / "two")])
    names = sorted(p.name for p in (tmp_path / "one").iterdir())
    assert names == ["red_7_0000.png", "red_7_0001.png", "red_7_0002.png"]
    for name in names:
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()
    main(["generate", "--model", str(cgan_checkpoint), "-n", "3", "--label", "red", "--seed", "8", str(tmp_path / "three")])
    assert (tmp_path / "three" / "red_8_0000.png").read_bytes() != (tmp_path / "one" / names[0]).read_bytes()
    before = (tmp_path / "one" / names[0]).stat().st_mtime_ns
    with pytest.raises(SystemExit) as stop:  # existing files are kept
        main([*args, str(tmp_path / "one")])
    assert stop.value.code == 2 and (tmp_path / "one" / names[0]).stat().st_mtime_ns == before
    assert "--overwrite" in capsys.readouterr().err


def test_generate_grid_interpolation_and_bad_labels(cgan_checkpoint, tmp_path, capsys):
    main(["generate", "--model", str(cgan_checkpoint), "-n", "10", "--grid", str(tmp_path / "g")])
    assert [p.name for p in (tmp_path / "g").iterdir()] == ["grid.png"]
    main(["generate", "--model", str(cgan_checkpoint), "-n", "5", "--interpolate", "--label", "blue", str(tmp_path / "i")])
    with Image.open(tmp_path / "i" / "interpolation.png") as strip:
        assert strip.width > 4 * strip.height  # five frames side by side
    with pytest.raises(SystemExit):
        main(["generate", "--model", str(cgan_checkpoint), "--label", "green", str(tmp_path / "x")])
    assert "known labels: blue, red" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_generate_refuses_labels_for_dcgan_and_other_model_kinds(two_class_folder, tmp_path, capsys):
    data = ProductImageDataModule(root=str(two_class_folder), image_size=16, batch_size=8)
    trainer = quick_trainer(tmp_path, max_epochs=1, limit_train_batches=1, limit_val_batches=0)
    trainer.fit(DCGAN(latent_dim=8, g_width=8, d_width=8, image_size=16, grid_size=4), datamodule=data)
    trainer.save_checkpoint(tmp_path / "dcgan.ckpt")
    with pytest.raises(SystemExit):
        main(["generate", "--model", str(tmp_path / "dcgan.ckpt"), "--label", "red", str(tmp_path / "x")])
    assert "unconditional" in capsys.readouterr().err
    main(["generate", "--model", str(tmp_path / "dcgan.ckpt"), "-n", "2", str(tmp_path / "ok")])
    assert len(list((tmp_path / "ok").glob("*.png"))) == 2
    with pytest.raises(SystemExit):
        main(["translate", "--model", str(tmp_path / "dcgan.ckpt"), str(two_class_folder), str(tmp_path / "t")])
    assert "needs a CycleGAN checkpoint" in capsys.readouterr().err


def test_shipped_grocery_generator_works_offline(tmp_path, capsys):
    from lightning_gan.inference import load_restorer, shipped_with

    assert "grocery" in shipped_with("render") and "grocery" not in shipped_with("restorer")
    main(["generate", str(tmp_path / "out"), "--model", "grocery", "--label", "Banana", "-n", "3", "--seed", "1"])
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert files == ["Banana_1_0000.png", "Banana_1_0001.png", "Banana_1_0002.png"]
    with Image.open(tmp_path / "out" / files[0]) as image:
        assert image.size == (64, 64)
        pixels = np.asarray(image).astype(float)
    assert pixels.std() > 10  # a picture, not a flat colour
    with pytest.raises(SystemExit):
        main(["generate", str(tmp_path / "x"), "--model", "grocery", "--label", "Granny-Smith"])
    assert "known labels" in capsys.readouterr().err  # coarse classes: Apple, not its varieties
    with pytest.raises(ValueError, match="generation"):
        load_restorer("grocery")


def test_upscale_enlarges_samples_to_catalogue_size_and_refuses_a_same_size_model(tmp_path, capsys):
    main(["generate", str(tmp_path / "small"), "--model", "grocery", "--label", "Apple", "-n", "2", "--seed", "4"])
    main(["generate", str(tmp_path / "big"), "--model", "grocery", "--label", "Apple", "-n", "2", "--seed", "4",
          "--upscale", "sr4x-clean"])
    with Image.open(tmp_path / "small" / "Apple_4_0000.png") as small, Image.open(tmp_path / "big" / "Apple_4_0000.png") as big:
        assert small.size == (64, 64) and big.size == (256, 256)
        shrunk = np.asarray(big.resize((64, 64), Image.Resampling.BOX)).astype(float)
        assert np.abs(shrunk - np.asarray(small).astype(float)).mean() < 6  # the same sample, enlarged
    with pytest.raises(SystemExit):
        main(["generate", str(tmp_path / "x"), "--model", "grocery", "--upscale", "denoise"])
    assert "does not enlarge" in capsys.readouterr().err and not (tmp_path / "x").exists()


def test_truncated_noise_stays_within_the_bound_and_redraws_only_what_lies_beyond():
    import torch

    from lightning_gan.inference.generation import latents

    plain = latents(64, 32, seed=3)
    assert torch.equal(plain, torch.randn(64, 32, generator=torch.Generator().manual_seed(3)))  # seeds as before
    cut = latents(64, 32, seed=3, truncation=0.7)
    assert cut.abs().max() <= 0.7 and torch.equal(cut, latents(64, 32, seed=3, truncation=0.7))
    inside = plain.abs() <= 0.7
    assert torch.equal(cut[inside], plain[inside]) and not torch.equal(cut, plain)
    with pytest.raises(ValueError, match="--truncation"):
        latents(4, 8, seed=0, truncation=0.0)


def test_truncation_gives_less_varied_samples_of_the_shipped_generator(tmp_path, capsys):
    from lightning_gan.inference.generation import images, labels_for, load_generator_model

    model = load_generator_model("grocery", "cpu")
    labels = labels_for(model, "Apple", 24)

    def spread(truncation):  # mean per-pixel standard deviation over the samples
        return float(images(model, 24, 5, labels, False, truncation).std(dim=0).mean())

    assert spread(0.5) < 0.9 * spread(None)
    with pytest.raises(SystemExit):
        main(["generate", str(tmp_path / "x"), "--model", "grocery", "--truncation", "-1"])
    assert "--truncation" in capsys.readouterr().err and not (tmp_path / "x").exists()
    main(["generate", str(tmp_path / "t"), "--model", "grocery", "--label", "Apple", "-n", "2", "--truncation", "1"])
    assert len(list((tmp_path / "t").glob("Apple_0_*.png"))) == 2
