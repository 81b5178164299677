"""lightning_gan.models.dcgan: options of the unconditional GAN (R1, domain-FID checkpoint selection)."""

from __future__ import annotations

import pytest
from conftest import quick_trainer

from lightning_gan.data.datamodule import ProductImageDataModule
from lightning_gan.models.dcgan import DCGAN


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
