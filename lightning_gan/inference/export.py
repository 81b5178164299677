"""Export a model's inference network to TorchScript or ONNX (the model says what to export: `export_module`)."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import Tensor, nn

from lightning_gan.files import atomic_path
from lightning_gan.inference.loading import load_model_object
from lightning_gan.inference.restorer import ModelError


def exportable(model, direction: str = "a2b") -> tuple[nn.Module, tuple[Tensor, ...], list[str], list[str], bool]:
    """(module, example inputs, input names, output names, image-to-image?) for a loaded model: the model says."""
    make = getattr(model, "export_module", None)
    if make is None:
        raise ModelError(f"cannot export a {type(model).__name__}")
    return make(direction)


def load_any(spec: str):
    """A shipped name, an exported .safetensors or a checkpoint (the one resolver of `inference.loading`)."""
    return load_model_object(spec)


def export(model, fmt: str, out: Path, direction: str = "a2b", opset: int = 17) -> Path:
    if fmt == "onnx":
        try:
            import onnx  # noqa: F401
            import onnxscript  # noqa: F401
        except ImportError:
            raise ImportError("--format onnx needs the export extra: pip install 'lightning-gan[export]'") from None
    module, example, inputs, outputs, image_to_image = exportable(model.to("cpu").eval(), direction)
    module.eval()
    with atomic_path(out) as temporary, torch.no_grad():
        if fmt == "torchscript":
            torch.jit.save(torch.jit.trace(module, example, check_trace=False), str(temporary))
        else:
            axes = {name: {0: "batch", 2: "height", 3: "width"} if image_to_image and x.dim() == 4 else {0: "batch"}
                    for name, x in zip(inputs, example)}
            axes |= {name: {0: "batch", 2: "out_height", 3: "out_width"} if image_to_image else {0: "batch"} for name in outputs}
            torch.onnx.export(module, example, str(temporary), input_names=inputs, output_names=outputs,
                              dynamic_axes=axes, opset_version=opset, dynamo=False)
    return out
