"""Resume continues exactly: N epochs, save, resume, M epochs == N + M epochs in one go."""

from __future__ import annotations

from functools import partial

import lightning as L
import torch
from lightning.pytorch.callbacks import ModelCheckpoint

from lightning_gan.data.datamodule import ProductImageDataModule
from lightning_gan.models.gan_enhance import GANEnhance


def make_model():
    return GANEnhance(
        width=8, blocks=1, d_width=8, d_layers=2, ema_decay=0.9, d_steps_per_g=2,
        g_scheduler=partial(torch.optim.lr_scheduler.StepLR, step_size=1, gamma=0.5),
    )


def fit(root, epochs: int, ckpt_dir, ckpt_path=None) -> GANEnhance:
    L.seed_everything(0)
    model = make_model()
    data = ProductImageDataModule(root=str(root), image_size=16, batch_size=8, degradation="mixed")
    trainer = L.Trainer(
        max_epochs=epochs, limit_train_batches=3, limit_val_batches=1, logger=False, enable_progress_bar=False,
        default_root_dir=ckpt_dir,
        callbacks=[ModelCheckpoint(dirpath=ckpt_dir, save_last=True, save_top_k=0)],
    )
    trainer.fit(model, datamodule=data, ckpt_path=ckpt_path)
    return model, trainer


def test_resume_matches_an_uninterrupted_run(two_class_folder, tmp_path):
    straight, _ = fit(two_class_folder, 4, tmp_path / "straight")
    fit(two_class_folder, 2, tmp_path / "first")
    resumed, trainer = fit(two_class_folder, 4, tmp_path / "second", ckpt_path=tmp_path / "first" / "last.ckpt")

    expected, actual = straight.state_dict(), resumed.state_dict()
    assert expected.keys() == actual.keys()
    for key in expected:  # generator, discriminator, EMA copy, step counters, BN statistics
        torch.testing.assert_close(actual[key], expected[key], rtol=1e-5, atol=1e-6, msg=key)
    assert int(resumed.g_steps) == 6 and int(resumed.d_steps) == 12
    assert resumed.generator_ema.updates.item() == 6
    g_opt = trainer.optimizers[0]
    assert g_opt.param_groups[0]["lr"] == 2e-4 * 0.5**4  # the scheduler stepped once per epoch, resume included
    assert not torch.equal(straight.generator.tail.weight, make_model().generator.tail.weight)
