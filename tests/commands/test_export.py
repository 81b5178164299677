"""export.py: exported models (ONNX, TorchScript) give the pixels of PyTorch and of the `enhance` command."""

from __future__ import annotations

from pathlib import Path

import lightning as L
import numpy as np
import onnxruntime as ort
import pytest
import torch

from lightning_gan.data.datamodule import ProductImageDataModule
from lightning_gan.inference import load_restorer
from lightning_gan.inference.export import export, load_any


def test_shipped_enhance_exports_match_the_enhance_command(tmp_path):
    photo = torch.rand(1, 3, 300, 200)
    expected = load_restorer("enhance")(photo).numpy()  # what `lightning-gan enhance` computes
    onnx_path = export(load_any("enhance"), "onnx", tmp_path / "enhance.onnx")
    got = ort.InferenceSession(str(onnx_path)).run(None, {"image": photo.numpy()})[0]
    np.testing.assert_allclose(np.clip(got, 0, 1), expected, atol=1e-3)
    scripted = torch.jit.load(str(export(load_any("enhance"), "torchscript", tmp_path / "enhance.pt")))
    np.testing.assert_allclose(scripted(photo).clamp(0, 1).numpy(), expected, atol=1e-3)


def _checkpoint(model, data, tmp_path: Path) -> Path:
    trainer = L.Trainer(max_epochs=1, limit_train_batches=1, limit_val_batches=0, logger=False, enable_progress_bar=False,
                        default_root_dir=tmp_path)
    trainer.fit(model, datamodule=data)
    trainer.save_checkpoint(tmp_path / "model.ckpt")
    return tmp_path / "model.ckpt"


@pytest.mark.parametrize("kind", ["enhance", "inpaint", "unet", "nafnet", "cgan"])
def test_onnx_runtime_and_torchscript_match_pytorch(kind, two_class_folder, tmp_path):
    import onnxruntime as ort  # a dev dependency: installed by make test

    from lightning_gan.commands import main
    from lightning_gan.inference import load_checkpoint_model
    from lightning_gan.inference.export import exportable
    from lightning_gan.models.cgan import ConditionalGAN
    from lightning_gan.models.eagan import EAGAN
    from lightning_gan.models.gan_enhance import GANEnhance

    model, degradation = {
        "enhance": (GANEnhance(width=8, blocks=1, d_width=8, d_layers=2), "noise"),
        "inpaint": (EAGAN(width=8, blocks=1, d_width=8, d_layers=2, use_mask=True), "stains"),
        # traced at 16 px, run at 40x52: 52 is no multiple of 8, so the U-Net's padding must be in the graph
        "unet": (EAGAN(generator="unet", width=8, blocks=3, d_width=8, d_layers=2), "noise"),
        # a noise-level input as the shipped denoiser has; padding to a multiple of 16 must be in the graph too
        "nafnet": (EAGAN(generator="nafnet", width=8, blocks=1, d_width=8, d_layers=2, noise_map=True), "noise"),
        "cgan": (ConditionalGAN(latent_dim=8, g_width=8, d_width=8, image_size=16, grid_size=8), None),
    }[kind]
    data = ProductImageDataModule(root=str(two_class_folder), image_size=16, batch_size=8, degradation=degradation)
    ckpt = _checkpoint(model, data, tmp_path)
    main(["export", "--model", str(ckpt), "--format", "onnx", "--out", str(tmp_path / "g.onnx")])
    main(["export", "--model", str(ckpt), "--format", "torchscript", "--out", str(tmp_path / "g.pt")])
    module, example, names, _, image_to_image = exportable(load_checkpoint_model(ckpt).eval())
    if image_to_image:  # another size than the export example: height and width are dynamic
        extra = {"mask": (torch.rand(2, 1, 40, 52) > 0.7).float(), "noise_level": torch.full((2,), 0.1)}
        example = (torch.rand(2, 3, 40, 52), *(extra[name] for name in names[1:]))
    else:  # another batch size: the batch is dynamic
        example = (torch.randn(5, example[0].shape[1]), torch.tensor([0, 1, 1, 0, 1]))
    with torch.no_grad():
        expected = module(*example)
    session = ort.InferenceSession(str(tmp_path / "g.onnx"))
    got = session.run(None, {n: t.numpy() for n, t in zip(names, example)})[0]
    assert got.shape == tuple(expected.shape)
    assert abs(got - expected.numpy()).max() < 1e-3
    scripted = torch.jit.load(str(tmp_path / "g.pt"))
    torch.testing.assert_close(scripted(*example), expected, atol=1e-5, rtol=0)
    with pytest.raises(SystemExit):  # an existing file is kept
        main(["export", "--model", str(ckpt), "--format", "onnx", "--out", str(tmp_path / "g.onnx")])


def test_shipped_denoise_exports_with_a_noise_level_input_matching_enhance(tmp_path):
    """Fed the level of the estimator its card names (`noise_estimator`), the graph computes what `enhance` does."""
    from lightning_gan.nets.io import NOISE_ESTIMATORS

    estimate_noise = NOISE_ESTIMATORS[load_any("denoise").noise_estimator]

    torch.manual_seed(0)
    photo = (torch.rand(1, 3, 1, 1) * 0.6 + 0.2 + torch.randn(1, 3, 96, 80) * 0.1).clamp(0, 1)
    expected = load_restorer("denoise")(photo).numpy()  # what `lightning-gan enhance --model denoise` computes
    onnx_path = export(load_any("denoise"), "onnx", tmp_path / "denoise.onnx")
    session = ort.InferenceSession(str(onnx_path))
    assert [i.name for i in session.get_inputs()] == ["image", "noise_level"]
    got = session.run(None, {"image": photo.numpy(), "noise_level": estimate_noise(photo).numpy()})[0]
    np.testing.assert_allclose(np.clip(got, 0, 1), expected, atol=1e-3)
    odd = photo[..., :37, :51]  # the graph was traced at an even size; odd sides must run too
    got = session.run(None, {"image": odd.numpy(), "noise_level": estimate_noise(odd).numpy()})[0]
    np.testing.assert_allclose(np.clip(got, 0, 1), load_restorer("denoise")(odd).numpy(), atol=1e-3)


def test_shipped_dejpeg_exports_the_network_and_the_file_consistency_is_applied_after_it(tmp_path):
    """The exported graph is the repair network; `lightning_gan.nets.jpeg.consistent_with_file` (plain tensor code)
    after it gives exactly what `lightning-gan enhance --model dejpeg` computes."""
    import io

    from PIL import Image

    from lightning_gan.nets.jpeg import consistent_with_file

    torch.manual_seed(0)
    smooth = torch.nn.functional.interpolate(torch.rand(1, 3, 12, 10), size=(96, 80), mode="bicubic", align_corners=False)
    buffer = io.BytesIO()
    Image.fromarray((smooth[0].clamp(0, 1).permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)).save(buffer, "JPEG", quality=88)
    photo = torch.from_numpy(np.asarray(Image.open(buffer)).copy()).permute(2, 0, 1)[None].float() / 255
    expected = load_restorer("dejpeg")(photo)
    onnx_path = export(load_any("dejpeg"), "onnx", tmp_path / "dejpeg.onnx")
    network = torch.from_numpy(ort.InferenceSession(str(onnx_path)).run(None, {"image": photo.numpy()})[0]).clamp(0, 1)
    np.testing.assert_allclose(consistent_with_file(photo, network).numpy(), expected.numpy(), atol=1e-3)
    assert not torch.allclose(network, expected, atol=1e-3)  # at quality 88 the repair is faded and kept in the cells


def test_onnx_without_the_export_extra_is_one_line(tmp_path, monkeypatch, capsys):
    import sys

    from lightning_gan.commands.export import main

    monkeypatch.setitem(sys.modules, "onnx", None)  # as if not installed
    assert main(["--model", "enhance", "--format", "onnx", "--out", str(tmp_path / "e.onnx")]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "lightning-gan export: error: --format onnx needs the export extra: pip install 'lightning-gan[export]'"
    assert not (tmp_path / "e.onnx").exists()
