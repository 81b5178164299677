"""`lightning-gan generate`: product images from the shipped `grocery` generator, or a DCGAN / conditional GAN
checkpoint of your own (its EMA generator).

    lightning-gan generate out/ --model grocery --label Banana -n 16
    lightning-gan generate out/ --model runs/cgan_generate/version_0/checkpoints/last.ckpt --grid

The same --seed gives the same images again (noise is drawn on the CPU). --grid writes one contact sheet instead
of single files; --interpolate writes a strip that walks between two latent points. Existing files are kept
unless --overwrite; files are written under a temporary name, then renamed.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
from torch import Tensor
from torchvision.utils import make_grid, save_image

from lightning_gan.files import TOOL_ERRORS, atomic_path, resolve_device, tool_error
from lightning_gan.inference import ModelError, load_checkpoint_model, load_pretrained_model, pretrained_names


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lightning-gan generate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("output", type=Path, help="output folder (created)")
    parser.add_argument("--model", required=True, help="shipped generator (grocery), exported .safetensors, or a "
                        "DCGAN / ConditionalGAN checkpoint (.ckpt)")
    parser.add_argument("-n", "--count", type=int, default=16, help="number of images (frames with --interpolate)")
    parser.add_argument("--label", help="class to generate (conditional models); default: the classes in turn")
    parser.add_argument("--seed", type=int, default=0, help="noise seed: the same seed gives the same images")
    parser.add_argument("--grid", action="store_true", help="write one contact sheet (grid.png) instead of single files")
    parser.add_argument("--interpolate", action="store_true", help="write a strip walking between two latent points")
    parser.add_argument("--device", default="auto", help="cpu, cuda, or auto")
    parser.add_argument("--overwrite", action="store_true", help="replace existing files")
    return parser


def load_generator_model(spec: str | Path, device: str):
    """A shipped generator by name (`grocery`), an exported .safetensors (card beside it) or a checkpoint."""
    path = Path(spec)
    if str(spec) in pretrained_names():
        model = load_pretrained_model(str(spec))
    elif path.suffix == ".safetensors" and path.is_file():
        if not path.with_suffix(".json").is_file():
            raise ModelError(f"--model {spec}: no card {path.with_suffix('.json').name} beside it")
        model = load_pretrained_model(path.stem, path.parent)
    elif path.is_file():
        model = load_checkpoint_model(path)
    else:
        raise FileNotFoundError(f"--model {spec}: neither a checkpoint file, an exported .safetensors nor a shipped "
                                f"model ({', '.join(pretrained_names()) or 'none'})")
    if not callable(getattr(model, "render", None)):
        raise ModelError(f"--model {spec} is a {type(model).__name__}; generate needs a generator (DCGAN or ConditionalGAN)")
    return model.to(device).eval()


def slerp(a: Tensor, b: Tensor, t: Tensor) -> Tensor:
    """Spherical interpolation: Gaussian latents keep their typical norm along the way (White 2016)."""
    cos = (a * b).sum() / (a.norm() * b.norm())
    omega = cos.clamp(-1, 1).acos()
    if omega.abs() < 1e-4:
        return torch.lerp(a, b, t[:, None])
    return (torch.sin((1 - t) * omega)[:, None] * a + torch.sin(t * omega)[:, None] * b) / torch.sin(omega)


def labels_for(model, label: str | None, count: int) -> Tensor | None:
    classes = getattr(model, "classes", None)
    if classes is None:
        if label is not None:
            raise ModelError(f"--label {label!r}: this {type(model).__name__} model is unconditional")
        return None
    if label is None:
        return torch.arange(count) % len(classes)
    return torch.full((count,), model.label_of(label), dtype=torch.long)


@torch.no_grad()
def images(model, count: int, seed: int, labels: Tensor | None, interpolate: bool) -> Tensor:
    """`count` images in [0, 1], deterministic for a seed."""
    generator = torch.Generator().manual_seed(seed)
    if interpolate:
        ends = torch.randn(2, model.hparams.latent_dim, generator=generator)
        z = slerp(ends[0], ends[1], torch.linspace(0, 1, count))
    else:
        z = torch.randn(count, model.hparams.latent_dim, generator=generator)
    return model.render(z, labels)


def save_png(image: Tensor, path: Path) -> None:
    with atomic_path(path) as temporary:
        save_image(image, temporary, format="PNG")


def run(args: argparse.Namespace) -> int:
    if args.count < 1:
        raise ValueError(f"--count must be at least 1, got {args.count}")
    device = resolve_device(args.device)
    model = load_generator_model(args.model, device)
    labels = labels_for(model, args.label, args.count)
    batch = images(model, args.count, args.seed, labels, args.interpolate)
    if args.interpolate or args.grid:
        name = "interpolation.png" if args.interpolate else "grid.png"
        pictures = {name: make_grid(batch, nrow=args.count if args.interpolate else 8, padding=2)}
    else:
        classes = getattr(model, "classes", None)
        tag = (lambda i: f"{classes[int(labels[i])]}_") if classes else (lambda i: "")  # noqa: E731
        pictures = {f"{tag(i)}{args.seed}_{i:04d}.png": image for i, image in enumerate(batch)}
    existing = [name for name in pictures if (args.output / name).exists()]
    if existing and not args.overwrite:
        raise FileExistsError(f"{args.output / existing[0]} exists ({len(existing)} file(s) in all); "
                              "use --overwrite, another --seed or another folder")
    args.output.mkdir(parents=True, exist_ok=True)
    for name, image in pictures.items():
        save_png(image, args.output / name)
    print(f"wrote {len(pictures)} file(s) to {args.output}")
    return 0


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    try:
        return run(args)
    except TOOL_ERRORS as error:
        return tool_error("generate", error)
