"""The image-adaptive tone operator (nets/tone.py): identity at start, monotone curves, any size, global parameters."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import torch

from lightning_gan.inference import global_restorer
from lightning_gan.nets.tone import ToneGenerator, apply_curves


def trained_like(seed: int = 0) -> ToneGenerator:
    """An operator with random (non-identity) output weights, as after some training."""
    torch.manual_seed(seed)
    net = ToneGenerator(width=8, thumb=32, knots=9)
    torch.nn.init.normal_(net.head[-1].weight, std=0.05)
    torch.nn.init.normal_(net.head[-1].bias, std=0.2)
    return net.eval()


def test_untrained_operator_is_the_identity():
    x = torch.rand(2, 3, 37, 53) * 2 - 1
    torch.testing.assert_close(ToneGenerator(width=8, thumb=32)(x), x, atol=1e-6, rtol=0)


def test_curves_are_monotone_and_hit_their_knots():
    increments = torch.rand(1, 3, 8) + 0.01
    x = torch.linspace(0, 1, 257).view(1, 1, 1, -1).expand(1, 3, 1, -1).contiguous()
    y = apply_curves(x, increments)
    assert (y.diff(dim=-1) >= 0).all()
    knots = torch.cat([torch.zeros(1, 3, 1), increments.cumsum(-1)], -1)
    torch.testing.assert_close(y[..., ::32].squeeze(2), knots, atol=1e-5, rtol=0)


def test_any_size_and_render_of_predict_equals_forward():
    net = trained_like()
    for shape in [(1, 3, 20, 30), (2, 3, 131, 97)]:
        x = torch.rand(shape) * 2 - 1
        out = net(x)
        assert out.shape == x.shape and out.min() >= -1 and out.max() <= 1
        torch.testing.assert_close(out, net.render(x, net.predict(x)))
    assert (net(x) - x).abs().mean() > 0.01


def test_operator_keeps_detail_it_only_maps_values():
    """Two pixels of the same input value get the same output value: nothing is painted."""
    net = trained_like()
    x = torch.rand(1, 3, 64, 64) * 2 - 1
    x[..., 10, 10] = x[..., 40, 50]
    out = net(x)
    torch.testing.assert_close(out[..., 10, 10], out[..., 40, 50])


def test_restorer_predicts_from_the_whole_photo_so_tiles_leave_no_seams():
    net = trained_like()
    restorer = global_restorer("tone", net, torch.device("cpu"))
    photo = torch.rand(1, 3, 150, 170)
    whole = restorer(photo, tile=4096)
    tiled = restorer(photo, tile=64, overlap=16)
    torch.testing.assert_close(tiled, whole, atol=1e-5, rtol=0)
    torch.testing.assert_close(whole, (net(photo * 2 - 1) + 1) / 2, atol=1e-5, rtol=0)


def test_onnx_export_matches_pytorch_at_other_sizes(tmp_path):
    from lightning_gan.nets.io import ImageToImage

    module = ImageToImage(trained_like(), False).eval()
    path = tmp_path / "tone.onnx"
    with torch.no_grad():
        torch.onnx.export(module, (torch.rand(1, 3, 64, 64),), str(path), input_names=["image"], output_names=["restored"],
                          dynamic_axes={"image": {0: "b", 2: "h", 3: "w"}, "restored": {0: "b", 2: "h", 3: "w"}},
                          opset_version=17, dynamo=False)
    session = ort.InferenceSession(str(path))
    x = torch.rand(2, 3, 300, 200)
    got = session.run(None, {"image": x.numpy()})[0]
    np.testing.assert_allclose(got, module(x).detach().numpy(), atol=1e-4)
