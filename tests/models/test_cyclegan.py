"""lightning_gan.models.cyclegan and lightning_gan.data.unpaired: image pool, cycle terms, schedule, training."""

from __future__ import annotations

import pytest
import torch
from conftest import quick_trainer

from lightning_gan.data.unpaired import UnpairedDataModule
from lightning_gan.models.base import ConstantThenLinearLR
from lightning_gan.models.cyclegan import CycleGAN, ImagePool


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
