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
    from lightning_gan.inference.loading import _from_module

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


def test_matrix_dft_equals_torch_fft_at_odd_and_even_sizes():
    from lightning_gan.nets.ffc import irfft2_matmul, rfft2_matmul

    for height, width in [(8, 8), (7, 10), (13, 9)]:
        x = torch.randn(2, 3, height, width, dtype=torch.float64)
        real, imag = rfft2_matmul(x)
        spectrum = torch.fft.rfft2(x, norm="ortho")
        torch.testing.assert_close(real, spectrum.real)
        torch.testing.assert_close(imag, spectrum.imag)
        a, b = torch.randn_like(real), torch.randn_like(imag)  # not Hermitian at 0 and W/2: both drop the same part
        torch.testing.assert_close(irfft2_matmul(a, b, width), torch.fft.irfft2(torch.complex(a, b), s=(height, width), norm="ortho"))


def test_onnx_inpainter_takes_other_sizes_and_keeps_the_outside(tmp_path):
    import onnxruntime as ort

    from lightning_gan.inference.export import export, exportable

    torch.manual_seed(0)
    model = EAGAN(generator="ffc", width=8, blocks=1, d_width=8, use_mask=True)
    with torch.no_grad():
        for tensor in model.inference_generator.state_dict().values():
            if tensor.is_floating_point():
                tensor.add_(0.05 * torch.randn_like(tensor))  # an untrained inpainter would return its input
    session = ort.InferenceSession(str(export(model, "onnx", tmp_path / "ffc.onnx")))
    reference = exportable(model)[0].eval()
    for height, width in [(64, 64), (75, 53)]:  # exported at 64 x 64
        image, mask = torch.rand(1, 3, height, width), (torch.rand(1, 1, height, width) > 0.8).float()
        got = torch.from_numpy(session.run(None, {"image": image.numpy(), "mask": mask.numpy()})[0])
        with torch.no_grad():
            expected = reference(image, mask)
        torch.testing.assert_close(got, expected, atol=1e-4, rtol=0)
        assert (got - image).abs().max() > 1e-3  # the hole was changed...
        torch.testing.assert_close(got * (1 - mask), image * (1 - mask))  # ...and nothing else
