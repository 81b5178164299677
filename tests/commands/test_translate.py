"""lightning_gan.commands.translate: size, alpha and existing files are kept."""

from __future__ import annotations

import numpy as np
from conftest import quick_trainer, write_image
from PIL import Image

from lightning_gan.commands import main
from lightning_gan.data.unpaired import UnpairedDataModule
from lightning_gan.models.cyclegan import CycleGAN


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
