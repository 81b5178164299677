"""`lightning-gan export`: a trained generator as ONNX or TorchScript, for serving without this package.

    lightning-gan export --model runs/eagan_enhance/version_0/checkpoints/last.ckpt --format onnx --out enhance.onnx
    lightning-gan export --model denoise --format torchscript --out denoise.pt

What the exported graph takes and gives (all float32, NCHW):
- enhancement models (GANEnhance, EAGAN): `image` (B, 3, H, W) in [0, 1], H and W any size (dynamic) -> `restored`
  (B, 3, H*scale, W*scale) in [0, 1]; inpainting models also take `mask` (B, 1, H, W), expect the holes already
  filled (by diffusion, as `lightning_gan.inference.baselines.diffusion_fill` does: its depth depends on the size, so it is not
  in the graph) and return the input unchanged outside the mask; the Fourier convolutions of the `ffc` inpainter
  are exported as DFT matrix products (the legacy exporter has no FFT) and take any size; sides must suit the
  generator (the encoder-decoder needs multiples of 4); noise-level-aware denoisers also take `noise_level` (B,),
  sigma in [0, 1] units (`enhance` feeds strength x the estimator the card's `noise_estimator` names, measured on
  the whole photo: `lightning_gan.nets.io.NOISE_ESTIMATORS`, `haar` when the card has none; a photo whose level is
  under the card's `noise_floor` (8-bit levels) is returned as it is, outside the graph);
- DCGAN: `z` (B, latent_dim) -> `image` (B, 3, S, S) in [0, 1]; ConditionalGAN also takes `label` (B,) int64;
- CycleGAN: `image` -> `translated` for --direction a2b or b2a.
The (EMA) inference generator is exported, in eval mode.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from lightning_gan.files import TOOL_ERRORS, tool_error


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lightning-gan export", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="checkpoint (.ckpt), exported .safetensors (card beside it) or shipped model name")
    parser.add_argument("--format", required=True, choices=["onnx", "torchscript"])
    parser.add_argument("--out", type=Path, required=True, help="output file (not replaced without --overwrite)")
    parser.add_argument("--direction", default="a2b", choices=["a2b", "b2a"], help="CycleGAN: which generator")
    parser.add_argument("--opset", type=int, default=17, help="ONNX opset")
    parser.add_argument("--overwrite", action="store_true")
    return parser


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    try:
        from lightning_gan.inference.export import export, load_any

        if args.out.exists() and not args.overwrite:
            raise FileExistsError(f"{args.out} exists; choose another --out or pass --overwrite")
        args.out.parent.mkdir(parents=True, exist_ok=True)
        export(load_any(args.model), args.format, args.out, args.direction, args.opset)
    except (*TOOL_ERRORS, ImportError) as error:
        return tool_error("export", error)
    print(f"wrote {args.out} ({args.format}, {args.out.stat().st_size / 1e6:.1f} MB)")
    return 0
