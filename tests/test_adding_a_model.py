"""docs/adding_a_model.md, proved: a variant defined in this file alone trains through the CLI, checkpoints, loads,
enhances and exports through the tools, with no registration anywhere else."""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image
from torch import Tensor, nn

from lightning_gan.commands import main
from lightning_gan.models.enhance_base import EnhancementGAN
from lightning_gan.nets.enhance import PatchDiscriminator


class Residual(nn.Module):
    def __init__(self, body: nn.Module):
        super().__init__()
        self.body = body

    def forward(self, x: Tensor) -> Tensor:
        return x[:, :3] + self.body(x)


class TinyDenoiser(EnhancementGAN):
    """Two convolutions that predict a correction; pix2pix's patch discriminator."""

    def __init__(self, width: int = 8, **kwargs):
        super().__init__(**kwargs)
        body = nn.Sequential(nn.Conv2d(self.in_channels, width, 3, padding=1), nn.ReLU(), nn.Conv2d(width, 3, 3, padding=1))
        self.set_networks(Residual(body), PatchDiscriminator(6, 8, 2))


def test_a_one_file_variant_trains_loads_enhances_and_exports(two_class_folder, tmp_path, monkeypatch):
    monkeypatch.setenv("WANDB_MODE", "disabled")
    main(["fit", "--model", f"{__name__}.TinyDenoiser", "--model.width", "4",
          "--data", "lightning_gan.data.datamodule.ProductImageDataModule", "--data.root", str(two_class_folder),
          "--data.degradation", "noise", "--data.image_size", "32", "--data.batch_size", "4",
          "--trainer.max_epochs", "1", "--trainer.limit_train_batches", "2", "--trainer.limit_val_batches", "1",
          "--trainer.enable_progress_bar", "false", "--runs_dir", str(tmp_path / "runs"), "--name", "tiny"])
    checkpoint = tmp_path / "runs" / "tiny" / "version_0" / "checkpoints" / "last.ckpt"
    assert checkpoint.is_file()

    photo = Image.fromarray(np.random.default_rng(0).integers(0, 255, (40, 56, 3), dtype=np.uint8))
    photo.save(tmp_path / "photo.png")
    try:
        main(["enhance", str(tmp_path / "photo.png"), str(tmp_path / "out"), "--model", str(checkpoint)])
    except SystemExit as stop:
        assert stop.code in (0, None)
    enhanced = np.asarray(Image.open(tmp_path / "out" / "photo.png")).astype(np.float32) / 255

    try:
        main(["export", "--model", str(checkpoint), "--format", "onnx", "--out", str(tmp_path / "tiny.onnx")])
    except SystemExit as stop:
        assert stop.code in (0, None)
    import onnxruntime as ort

    image = torch.from_numpy(np.asarray(photo)).permute(2, 0, 1)[None].float().div(255)
    exported = ort.InferenceSession(str(tmp_path / "tiny.onnx")).run(None, {"image": image.numpy()})[0]
    exported = np.transpose(exported[0], (1, 2, 0))
    assert np.abs(exported - enhanced).max() <= 1.5 / 255  # the same pixels, up to the PNG's 8-bit rounding
    assert np.abs(enhanced - np.asarray(photo) / 255).mean() > 1e-3  # and the model did something
