"""nets/ffc.py: Fourier convolutions see the whole image; the inpainter starts as its input and takes any size."""

from __future__ import annotations

import torch

from lightning_gan.models.eagan import EAGAN
from lightning_gan.nets.ffc import FFC, FFCInpainter


def test_one_ffc_layer_sees_the_whole_image():
    torch.manual_seed(0)
    layer = FFC(8).eval()
    x = torch.rand(1, 8, 64, 64)
    poked = x.clone()
    poked[..., 0, 0] += 5.0  # one corner
    change = (layer(poked) - layer(x)).abs()
    assert change[..., 48:, 48:].max() > 1e-4  # the opposite corner moved: no 3x3 stack reaches that far in one layer


def test_untrained_inpainter_returns_its_input_at_any_size():
    net = FFCInpainter(4, width=8, blocks=2).eval()
    for shape in [(1, 4, 64, 64), (2, 4, 75, 53)]:
        x = torch.rand(shape) * 2 - 1
        torch.testing.assert_close(net(x), x[:, :3])


def test_ffc_eagan_trains_a_step_and_inpaints_only_the_hole(two_class_folder, tmp_path):
    import lightning as L

    from lightning_gan.data.datamodule import ProductImageDataModule
    from lightning_gan.inference import _from_module

    model = EAGAN(generator="ffc", width=8, blocks=1, d_width=8, d_layers=2, use_mask=True, hole_weight=5.0)
    data = ProductImageDataModule(root=str(two_class_folder), image_size=32, batch_size=4, degradation="large_holes")
    trainer = L.Trainer(max_epochs=1, limit_train_batches=2, limit_val_batches=1, logger=False, default_root_dir=tmp_path,
                        enable_checkpointing=False, enable_progress_bar=False)
    trainer.fit(model, datamodule=data)
    assert torch.isfinite(trainer.logged_metrics["train/g_loss"])
    restorer = _from_module("ffc", model, torch.device("cpu"))
    photo = torch.rand(1, 3, 90, 70)
    mask = torch.zeros(1, 1, 90, 70)
    mask[..., 20:60, 10:50] = 1
    out = restorer(photo, mask)
    torch.testing.assert_close(out * (1 - mask), photo * (1 - mask))
