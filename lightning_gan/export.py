"""`lightning-gan export`: a trained generator as ONNX or TorchScript, for serving without this package.

    lightning-gan export --model runs/eagan_enhance/version_0/checkpoints/last.ckpt --format onnx --out enhance.onnx
    lightning-gan export --model denoise --format torchscript --out denoise.pt

What the exported graph takes and gives (all float32, NCHW):
- enhancement models (GANEnhance, EAGAN): `image` (B, 3, H, W) in [0, 1], H and W any size (dynamic) -> `restored`
  (B, 3, H*scale, W*scale) in [0, 1]; inpainting models also take `mask` (B, 1, H, W), expect the holes already
  filled (by diffusion, as `lightning_gan.baselines.diffusion_fill` does: its depth depends on the size, so it is not
  in the graph) and return the input unchanged outside the mask; the Fourier convolutions of the `ffc` inpainter
  are exported as DFT matrix products (the legacy exporter has no FFT) and take any size; sides must suit the
  generator (the encoder-decoder needs multiples of 4); noise-level-aware denoisers also take `noise_level` (B,),
  sigma in [0, 1] units (`enhance` feeds strength x `lightning_gan.models.enhance_base.estimate_noise(image)`);
- DCGAN: `z` (B, latent_dim) -> `image` (B, 3, S, S) in [0, 1]; ConditionalGAN also takes `label` (B,) int64;
- CycleGAN: `image` -> `translated` for --direction a2b or b2a.
The (EMA) inference generator is exported, in eval mode.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
from torch import Tensor, nn

from lightning_gan.files import TOOL_ERRORS, atomic_path, tool_error
from lightning_gan.inference import ModelError, load_checkpoint_model, load_pretrained_model, pretrained_names


def exportable(model, direction: str = "a2b") -> tuple[nn.Module, tuple[Tensor, ...], list[str], list[str], bool]:
    """(module, example inputs, input names, output names, image-to-image?) for a loaded model: the model says."""
    make = getattr(model, "export_module", None)
    if make is None:
        raise ModelError(f"cannot export a {type(model).__name__}")
    return make(direction)


def load_any(spec: str):
    if spec in pretrained_names():
        return load_pretrained_model(spec)
    path = Path(spec)
    if not path.is_file():
        raise FileNotFoundError(f"--model {spec!r} is neither a checkpoint file nor a shipped model ({', '.join(pretrained_names())})")
    return load_checkpoint_model(path)


def export(model, fmt: str, out: Path, direction: str = "a2b", opset: int = 17) -> Path:
    if fmt == "onnx":
        try:
            import onnx  # noqa: F401
            import onnxscript  # noqa: F401
        except ImportError:
            raise ImportError("--format onnx needs the export extra: pip install 'lightning-gan[export]'") from None
    module, example, inputs, outputs, image_to_image = exportable(model.cpu().eval(), direction)
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lightning-gan export", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="checkpoint (.ckpt) or shipped model name")
    parser.add_argument("--format", required=True, choices=["onnx", "torchscript"])
    parser.add_argument("--out", type=Path, required=True, help="output file (not replaced without --overwrite)")
    parser.add_argument("--direction", default="a2b", choices=["a2b", "b2a"], help="CycleGAN: which generator")
    parser.add_argument("--opset", type=int, default=17, help="ONNX opset")
    parser.add_argument("--overwrite", action="store_true")
    return parser


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.out.exists() and not args.overwrite:
            raise FileExistsError(f"{args.out} exists; choose another --out or pass --overwrite")
        args.out.parent.mkdir(parents=True, exist_ok=True)
        export(load_any(args.model), args.format, args.out, args.direction, args.opset)
    except (*TOOL_ERRORS, ImportError) as error:
        return tool_error("export", error)
    print(f"wrote {args.out} ({args.format}, {args.out.stat().st_size / 1e6:.1f} MB)")
    return 0
