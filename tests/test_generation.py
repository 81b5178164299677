"""Generation and translation: DiffAugment, the conditional GAN, CycleGAN and its image pool, `generate`, `translate`."""

from __future__ import annotations

from pathlib import Path

import lightning as L
import numpy as np
import pytest
import torch
from conftest import write_image
from PIL import Image

from lightning_gan.cli import main
from lightning_gan.data.datamodule import ProductImageDataModule
from lightning_gan.data.unpaired import UnpairedDataModule
from lightning_gan.diffaugment import cutout, diff_augment, parse_policy, translation
from lightning_gan.inference import load_checkpoint_model
from lightning_gan.models.base import ConstantThenLinearLR
from lightning_gan.models.cgan import ConditionalGAN
from lightning_gan.models.cyclegan import CycleGAN, ImagePool
from lightning_gan.models.dcgan import DCGAN


def quick_trainer(tmp_path: Path, **kwargs) -> L.Trainer:
    options = dict(logger=False, default_root_dir=tmp_path, enable_progress_bar=False, enable_model_summary=False)
    return L.Trainer(**(options | kwargs))


# --- DiffAugment -----------------------------------------------------------------------------------


@pytest.mark.parametrize("policy", ["color", "translation", "cutout", "color,translation,cutout"])
def test_diffaugment_keeps_shape_and_passes_gradients(policy):
    x = torch.randn(4, 3, 16, 16, requires_grad=True)
    y = diff_augment(x, policy)
    assert y.shape == x.shape
    y.square().sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_diffaugment_operations_do_what_they_say():
    torch.manual_seed(0)
    x = torch.ones(64, 1, 16, 16)
    erased = 1 - cutout(x).mean(dim=(1, 2, 3))
    assert erased.max() <= 0.25 + 1e-6 and erased.min() > 0  # one square of half the side, clipped at the border
    shifted = translation(torch.arange(256.0).view(1, 1, 16, 16).repeat(64, 1, 1, 1))
    moved = [(s != torch.arange(256.0).view(16, 16)).any() for s in shifted[:, 0]]
    assert sum(moved) > 32  # most images moved; what is left is the image itself or zeros
    assert diff_augment(x, "") is x
    with pytest.raises(ValueError, match="unknown DiffAugment policy zoom"):
        parse_policy("color,zoom")


# --- conditional GAN -----------------------------------------------------------------------------


def test_conditional_gan_follows_the_label(two_class_folder, tmp_path):
    """Red and blue 'products': after a short CPU training, images generated for 'red' are redder than for 'blue'."""
    L.seed_everything(0)
    data = ProductImageDataModule(root=str(two_class_folder), image_size=16, batch_size=16, augment=False)
    model = ConditionalGAN(latent_dim=16, g_width=16, d_width=16, image_size=16, grid_size=8, diff_augment="translation")
    quick_trainer(tmp_path, max_steps=500, limit_val_batches=0, enable_checkpointing=False).fit(model, datamodule=data)
    assert model.classes == ["blue", "red"]
    images = model.sample(64, torch.Generator().manual_seed(3), labels=torch.tensor([0, 1]).repeat_interleave(32))
    redness = (images[:, 0] - images[:, 2]).mean(dim=(1, 2))  # R - B per image
    blue, red = redness[:32].mean().item(), redness[32:].mean().item()
    assert red - blue > 0.6, f"red-minus-blue: {red:.3f} for 'red', {blue:.3f} for 'blue'"


def test_conditional_gan_checkpoint_keeps_its_classes(two_class_folder, tmp_path):
    data = ProductImageDataModule(root=str(two_class_folder), image_size=16, batch_size=8)
    model = ConditionalGAN(latent_dim=8, g_width=8, d_width=8, image_size=16, grid_size=8)
    trainer = quick_trainer(tmp_path, max_epochs=1, limit_train_batches=2, limit_val_batches=1)
    trainer.fit(model, datamodule=data)
    path = tmp_path / "cgan.ckpt"
    trainer.save_checkpoint(path)
    loaded = load_checkpoint_model(path)
    assert isinstance(loaded, ConditionalGAN) and loaded.classes == ["blue", "red"]
    torch.testing.assert_close(loaded.inference_generator.state_dict(), model.inference_generator.state_dict())
    with pytest.raises(ValueError, match="known labels: blue, red"):
        loaded.label_of("green")


# --- CycleGAN --------------------------------------------------------------------------------------


def test_image_pool_returns_new_or_remembered_images():
    torch.manual_seed(0)
    assert torch.equal(ImagePool(0).query(x := torch.randn(3, 3, 4, 4)), x)
    pool = ImagePool(4)
    first = torch.arange(4.0).view(4, 1, 1, 1)
    assert torch.equal(pool.query(first), first)  # filling up: the images themselves
    seen = set(range(4))
    old = 0
    for step in range(50):
        new = torch.full((2, 1, 1, 1), 100.0 + step)
        out = pool.query(new)
        assert len(pool.images) == 4
        for value in out.flatten().tolist():
            assert value in seen or value == 100.0 + step
            old += value != 100.0 + step
        seen |= {100.0 + step}
    assert 25 <= old <= 75, f"about half of 100 answers should be remembered fakes, got {old}"


def test_cyclegan_shapes_and_zero_cycle_loss_for_identity_generators():
    model = CycleGAN(width=8, blocks=1, d_width=8, d_layers=2, ema_decay=None)
    batch = {"a": torch.rand(2, 3, 32, 24), "b": torch.rand(2, 3, 32, 24)}
    fake_b, fake_a = model.generate(batch)
    assert fake_b.shape == fake_a.shape == (2, 3, 32, 24)
    assert model.discriminator["b"](fake_b).shape[:2] == (2, 1)
    cycle, identity = model.cycle_terms(batch, fake_b, fake_a)
    assert cycle > 0 and identity > 0
    model.generator = torch.nn.ModuleDict({"a2b": torch.nn.Identity(), "b2a": torch.nn.Identity()})
    fake_b, fake_a = model.generate(batch)
    cycle, identity = model.cycle_terms(batch, fake_b, fake_a)
    assert cycle.item() == 0 and identity.item() == 0


def test_constant_then_linear_schedule():
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    schedule = ConstantThenLinearLR(optimizer, constant_epochs=3, decay_epochs=4)
    rates = []
    for _ in range(7):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        schedule.step()
    assert rates[:3] == [1.0, 1.0, 1.0]
    assert rates[3:] == pytest.approx([0.8, 0.6, 0.4, 0.2])


@pytest.fixture
def two_domains(tmp_path: Path) -> tuple[Path, Path]:
    for i in range(12):
        write_image(tmp_path / "photos" / f"p{i}.png", (180, 120, 60), size=20)
    for i in range(5):
        write_image(tmp_path / "catalogue" / f"c{i}.png", (240, 240, 240), size=20)
    return tmp_path / "photos", tmp_path / "catalogue"


def test_cyclegan_trains_on_two_folders_and_resumes_its_pools(two_domains, tmp_path):
    a, b = two_domains
    data = UnpairedDataModule(a=str(a), b=str(b), image_size=16, batch_size=4)
    model = CycleGAN(width=8, blocks=1, d_width=8, d_layers=2, pool_size=6)
    trainer = quick_trainer(tmp_path, max_epochs=1, limit_train_batches=3)
    trainer.fit(model, datamodule=data)
    assert {"val/swd_b", "val/swd_b_input"} <= set(trainer.logged_metrics)
    assert model.hparams.image_size == 16 and len(model.pools["a"].images) == 6
    path = tmp_path / "cycle.ckpt"
    trainer.save_checkpoint(path)
    fresh = CycleGAN(width=8, blocks=1, d_width=8, d_layers=2, pool_size=6)
    fresh.on_load_checkpoint(torch.load(path, weights_only=True))
    assert torch.equal(torch.stack(fresh.pools["b"].images), torch.stack(model.pools["b"].images))


def test_unpaired_data_names_a_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="--data.b"):
        UnpairedDataModule(a=str(tmp_path), b=str(tmp_path / "nowhere"))


# --- generate and translate -----------------------------------------------------------------------------------


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


def test_translate_keeps_size_alpha_and_existing_files(two_domains, tmp_path):
    a, b = two_domains
    data = UnpairedDataModule(a=str(a), b=str(b), image_size=16, batch_size=4)
    trainer = quick_trainer(tmp_path, max_epochs=1, limit_train_batches=1, limit_val_batches=0)
    trainer.fit(CycleGAN(width=8, blocks=1, d_width=8, d_layers=2), datamodule=data)
    trainer.save_checkpoint(tmp_path / "cycle.ckpt")
    photos = tmp_path / "in"
    rgba = np.zeros((30, 41, 4), dtype=np.uint8)
    rgba[..., :3], rgba[..., 3] = 120, np.arange(41, dtype=np.uint8)[None] * 6
    photos.mkdir()
    Image.fromarray(rgba, "RGBA").save(photos / "cut-out.png")
    write_image(photos / "sub" / "shelf.jpg", (90, 160, 40), size=50)
    main(["translate", "--model", str(tmp_path / "cycle.ckpt"), str(photos), str(tmp_path / "out")])
    with Image.open(tmp_path / "out" / "cut-out.png") as out:
        assert out.size == (41, 30) and out.mode == "RGBA"
        assert np.abs(np.asarray(out)[..., 3].astype(int) - rgba[..., 3]).max() <= 2
    with Image.open(tmp_path / "out" / "sub" / "shelf.jpg") as out:
        assert out.size == (50, 50) and out.format == "JPEG"
    before = (tmp_path / "out" / "cut-out.png").read_bytes()
    main(["translate", "--model", str(tmp_path / "cycle.ckpt"), "--direction", "b2a", str(photos), str(tmp_path / "out")])
    assert (tmp_path / "out" / "cut-out.png").read_bytes() == before  # kept without --overwrite


# --- faster small-data options: FastGAN networks, R1, the mode-seeking term -----------------------------------------


def test_fastgan_options_train_with_r1_reconstruction_and_pairs(two_class_folder, tmp_path):
    data = ProductImageDataModule(root=str(two_class_folder), image_size=16, batch_size=8)
    model = ConditionalGAN(latent_dim=8, g_width=8, d_width=8, image_size=16, grid_size=8, generator="fastgan",
                           discriminator="fastgan", r1_weight=1.0, r1_every=1, diversity_weight=1.0)
    trainer = quick_trainer(tmp_path, max_epochs=1, limit_train_batches=2, limit_val_batches=1)
    trainer.fit(model, datamodule=data)
    logged = trainer.logged_metrics
    assert {"train/d_r1", "train/d_reconstruction", "train/g_pair_distance"} <= set(logged)
    assert logged["train/d_r1"] > 0 and logged["train/g_pair_distance"] > 0
    trainer.save_checkpoint(tmp_path / "fast.ckpt")
    loaded = load_checkpoint_model(tmp_path / "fast.ckpt")
    assert type(loaded.generator).__name__ == "FastGANGenerator"
    z = torch.randn(2, 8)
    assert torch.equal(loaded.render(z, torch.tensor([0, 1])), model.render(z, torch.tensor([0, 1])))


def test_mode_seeking_pairs_share_a_class_and_reward_distance():
    model = ConditionalGAN(classes=["a", "b", "c"], latent_dim=8, g_width=8, d_width=8, image_size=16, grid_size=8,
                           diversity_weight=1.0)
    batch = {"clean": torch.rand(5, 3, 16, 16), "label": torch.tensor([0, 2, 1, 1, -1])}
    labels = model.fake_labels(batch)
    assert labels.tolist() == [0, 2, 0, 2, 0]  # halves repeat, the odd one out keeps its own (unknown -> 0) class
    same = torch.zeros(4, 3, 16, 16)
    apart = torch.cat([torch.zeros(2, 3, 16, 16), torch.ones(2, 3, 16, 16)])
    batch["fake_label"] = labels[:4]
    loss_same, _ = model.g_loss(batch, same)
    loss_apart, logs = model.g_loss(batch, apart)
    assert loss_same - loss_apart > 1000  # identical pairs (G ignores z) cost 1 / 1e-5
    assert logs["g_pair_distance"] == pytest.approx(1.0)


def test_r1_every_must_be_positive():
    with pytest.raises(ValueError, match="r1_every"):
        DCGAN(r1_every=0)


def test_domain_fid_can_pick_the_best_checkpoint(two_class_folder, tmp_path):
    data = ProductImageDataModule(root=str(two_class_folder), image_size=16, batch_size=8)
    model = DCGAN(latent_dim=8, g_width=8, d_width=8, image_size=16, grid_size=4, metrics=["swd", "domain_fid"],
                  monitor="val/domain_fid")
    trainer = quick_trainer(tmp_path, max_epochs=1, limit_train_batches=1, limit_val_batches=1)
    trainer.fit(model, datamodule=data)
    assert trainer.logged_metrics["val/domain_fid"] > 0


# --- the shipped `grocery` generator ----------------------------------------------------------------------------


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
