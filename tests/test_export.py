"""export.py: the shipped enhance model as ONNX and TorchScript gives the `enhance` command's pixels."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import torch

from lightning_gan.export import export, load_any
from lightning_gan.inference import load_restorer


def test_shipped_enhance_exports_match_the_enhance_command(tmp_path):
    photo = torch.rand(1, 3, 300, 200)
    expected = load_restorer("enhance")(photo).numpy()  # what `lightning-gan enhance` computes
    onnx_path = export(load_any("enhance"), "onnx", tmp_path / "enhance.onnx")
    got = ort.InferenceSession(str(onnx_path)).run(None, {"image": photo.numpy()})[0]
    np.testing.assert_allclose(np.clip(got, 0, 1), expected, atol=1e-3)
    scripted = torch.jit.load(str(export(load_any("enhance"), "torchscript", tmp_path / "enhance.pt")))
    np.testing.assert_allclose(scripted(photo).clamp(0, 1).numpy(), expected, atol=1e-3)
