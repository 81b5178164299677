"""Photo files in and out for the tools (enhance, translate, the app): read with EXIF orientation applied, write
in the same format with EXIF (orientation tag reset), ICC profile and alpha kept, atomically; plan a file or folder
job without writing into the input; run it with a report of what was written, skipped and failed."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps, PngImagePlugin
from tqdm import tqdm

from lightning_gan.data.images import IMAGE_SUFFIXES, UNREADABLE, scan, to_rgb
from lightning_gan.files import atomic_path, remove_stale_partials
from lightning_gan.inference import Restorer

SAVE_FORMAT = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".webp": "WEBP", ".bmp": "BMP"}


@dataclass
class Meta:
    """What a photo carries beside its RGB pixels, kept in the output: alpha, EXIF, ICC colour profile, mode."""

    alpha: Image.Image | None = None
    exif: bytes | None = None
    icc: bytes | None = None
    mode: str = "RGB"


def read_image(path: Path) -> tuple[Image.Image, Meta]:
    """RGB pixels (EXIF orientation applied) and what else the file carries (`Meta`). With transparency the RGB is
    the file's own colour (straight alpha, not blended onto white): a half-transparent red edge stays red, and the
    alpha is put back unchanged when the result is written."""
    with Image.open(path) as image:
        frames = getattr(image, "n_frames", 1)
        if frames > 1 and getattr(image, "is_animated", False):
            raise ValueError(f"an animated image ({frames} frames): only still photos are processed")
        image.load()
        meta = Meta(exif=image.info.get("exif"), icc=image.info.get("icc_profile"), mode=image.mode)
        upright = ImageOps.exif_transpose(image)
        if upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info:
            rgba = upright.convert("RGBA")
            meta.alpha = rgba.getchannel("A")
            return rgba.convert("RGB"), meta  # drops alpha, keeps the colour as stored
        return to_rgb(upright), meta


def _reset_orientation(exif_bytes: bytes | None) -> bytes | None:
    if not exif_bytes:
        return None
    exif = Image.Exif()
    exif.load(exif_bytes)
    exif[0x0112] = 1  # pixels are stored upright now
    return exif.tobytes()


JPEG_EXIF_LIMIT = 65_000  # bytes: a JPEG APP1 segment holds at most 65,533 (Pillow refuses more)
WHY_DROPPED = {"exif": "larger than a JPEG's 64 KB EXIF segment", "icc profile": "too large for PNG readers to load"}


def write_image(path: Path, rgb: np.ndarray, meta: Meta | None = None, quality: int = 95, replace: bool = True) -> list[str]:
    """Save atomically in the format of the file name, with alpha, EXIF and the ICC profile when the format takes
    them (a photo that loses its profile changes colour in colour-managed viewers). Returns what could not be kept:
    "transparency" (JPEG, BMP: the result is composited onto white), "exif" (over a JPEG's 64 KB), "icc profile"
    (a PNG profile over what PNG readers decompress, Pillow's 1 MB)."""
    meta = meta or Meta()
    image = Image.fromarray(rgb, "RGB")
    if meta.mode in ("L", "LA", "I", "I;16"):
        image = image.convert("L")
    if meta.alpha is not None:
        image.putalpha(meta.alpha.resize(image.size, Image.Resampling.BICUBIC))
    fmt = SAVE_FORMAT[path.suffix.lower()]
    dropped = []
    if fmt in ("JPEG", "BMP") and image.mode in ("RGBA", "LA"):  # no alpha in these formats: onto white
        gray = image.mode == "LA"
        image = Image.alpha_composite(Image.new("RGBA", image.size, (255, 255, 255, 255)), image.convert("RGBA"))
        image = image.convert("L" if gray else "RGB")
        dropped.append("transparency")
    options = {"quality": quality} if fmt in ("JPEG", "WEBP") else {}
    exif = _reset_orientation(meta.exif)
    if exif and fmt in ("JPEG", "PNG", "WEBP"):
        if fmt == "JPEG" and len(exif) > JPEG_EXIF_LIMIT:
            dropped.append("exif")
        else:
            options["exif"] = exif
    if meta.icc and fmt in ("JPEG", "PNG", "WEBP") and image.mode in ("RGB", "RGBA"):
        if fmt == "PNG" and len(meta.icc) > PngImagePlugin.MAX_TEXT_CHUNK:
            dropped.append("icc profile")
        else:
            options["icc_profile"] = meta.icc
    with atomic_path(path, replace) as temporary:
        image.save(temporary, format=fmt, **options)
    return dropped


def _inside(child: Path, parent: Path) -> bool:
    try:
        child.resolve().relative_to(parent.resolve())
        return True
    except ValueError:
        return False


def plan(input_path: Path, output: Path) -> list[tuple[Path, Path]]:
    """(source, destination) pairs; refuses to write into the input folder, also through a symlink anywhere in the
    output folder (every destination is resolved, links followed)."""
    if not input_path.exists():
        raise FileNotFoundError(f"input not found: {input_path}")
    if input_path.is_dir():
        if _inside(output, input_path):
            raise ValueError(f"output folder {output} is inside the input folder {input_path}; choose another")
        jobs = [(p, output / p.relative_to(input_path)) for p in scan(input_path)]
    elif input_path.suffix.lower() not in IMAGE_SUFFIXES:
        raise ValueError(f"{input_path} is not a supported image ({', '.join(sorted(IMAGE_SUFFIXES))})")
    elif output.resolve() == input_path.parent.resolve():
        raise ValueError(f"output folder {output} is the input's own folder; choose another")
    else:
        target = output / input_path.name  # through a symlinked output folder it may still land beside the input
        if target.parent.resolve() == input_path.parent.resolve():
            raise ValueError(f"{target} would be written into the input's own folder {input_path.parent} (through a "
                             "symlink); choose another output folder")
        return [(input_path, target)]
    check_outside(jobs, input_path)
    return jobs


def check_outside(jobs: list[tuple[Path, Path]], input_root: Path) -> None:
    """Refuse any destination whose real folder (symlinks followed) lies inside the input folder."""
    for _, target in jobs:
        if _inside(target.parent, input_root):
            raise ValueError(f"{target} would be written inside the input folder {input_root} (through a symlink in "
                             "the output folder); choose another output folder")


def load_mask(mask: Path | None, source: Path, input_root: Path, size: tuple[int, int]) -> torch.Tensor | None:
    if mask is None:
        return None
    path = mask / source.relative_to(input_root) if mask.is_dir() else mask
    if not path.is_file():
        raise FileNotFoundError(f"no mask for {source}: {path} not found")
    with Image.open(path) as image:
        upright = ImageOps.exif_transpose(image)
        upright.load()
    if upright.size != size:
        raise ValueError(f"mask {path} is {upright.size[0]}x{upright.size[1]} but {source} is {size[0]}x{size[1]}")
    return mask_of(upright)


def mask_of(image: Image.Image) -> torch.Tensor:
    """(1, 1, H, W) float, 1 inside the area to fill. A grey mask: white = fill. A mask with transparency (a stroke
    painted on an empty layer): the painted, opaque pixels are the area, whatever colour the empty pixels hold."""
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        alpha = np.asarray(image.convert("RGBA").getchannel("A"))
        if alpha.min() < 255:
            return (torch.from_numpy(alpha.copy()) > 127).float()[None, None]
    return (torch.from_numpy(np.asarray(image.convert("L")).copy()) > 127).float()[None, None]


def restore_rgb(restorer: Restorer, rgb: Image.Image, mask: torch.Tensor | None, tile: int, overlap: int) -> np.ndarray:
    """An RGB photo through a restorer, as uint8 (the Python API's array path: `lightning_gan.api.Model`)."""
    from lightning_gan.api import Model

    return Model(restorer, tile, overlap)(np.asarray(rgb), mask)


@dataclass
class Report:
    """What a batch of files came to: written targets, existing targets left alone, failures with their reason."""

    written: list[Path] = field(default_factory=list)
    existing: list[Path] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # files that should have been written and were not
    skipped: list[str] = field(default_factory=list)  # files that are not photos of a supported format
    flattened: list[Path] = field(default_factory=list)  # transparent photos written in a format without alpha
    notes: list[str] = field(default_factory=list)  # metadata that a format could not keep

    def print(self, output: Path) -> int:
        """The summary lines; exit code 1 when any file failed (0 when all were written, kept or skipped)."""
        print(f"wrote {len(self.written)} image(s) to {output}")
        if self.flattened:
            print(f"note: {len(self.flattened)} transparent photo(s) written without transparency, on white "
                  f"(JPEG/BMP have no alpha; --ext png or webp keeps it), e.g. {self.flattened[0]}", file=sys.stderr)
        for note in self.notes:
            print(f"note: {note}", file=sys.stderr)
        if self.existing:
            print(f"kept {len(self.existing)} existing file(s) (use --overwrite to replace), e.g. {self.existing[0]}")
        if self.skipped:
            print(f"skipped {len(self.skipped)} file(s):\n  " + "\n  ".join(self.skipped), file=sys.stderr)
        if self.failed:
            print(f"failed {len(self.failed)} file(s):\n  " + "\n  ".join(self.failed), file=sys.stderr)
        return 1 if self.failed else 0


def too_large(path: Path, max_pixels: float | None) -> str | None:
    """Why `path` is refused for its size (read from the header, nothing decoded), or None."""
    if max_pixels is None:
        return None
    with Image.open(path) as image:
        pixels = image.width * image.height
    if pixels > max_pixels:
        return f"{pixels / 1e6:.1f} megapixels is over the limit of {max_pixels / 1e6:g} (--max-megapixels)"
    return None


def process_files(jobs: list[tuple[Path, Path]], convert: Callable[[Path, Image.Image], np.ndarray], overwrite: bool,
                  desc: str, progress: Callable[[int, int], None] | None = None, max_pixels: float | None = None,
                  quality: int = 95) -> Report:
    """Run `convert(source, rgb) -> uint8 array` over (source, target) pairs, keeping alpha, EXIF and format.

    Existing targets are kept unless `overwrite`; unreadable files are skipped and reported. `progress(done, total)`
    is called after each file (the web app's progress bar); the terminal gets a tqdm bar."""
    report = Report()
    for folder in {target.parent for _, target in jobs}:  # what killed runs left behind
        remove_stale_partials(folder)
    for done, (source, target) in enumerate(tqdm(jobs, desc=desc, unit="img", disable=progress is not None), start=1):
        if target.exists() and not overwrite:
            report.existing.append(target)
            continue
        try:
            refused = too_large(source, max_pixels)
            if refused:
                raise ValueError(refused)
            rgb, meta = read_image(source)  # decoded once
            array = convert(source, rgb)
            target.parent.mkdir(parents=True, exist_ok=True)
            dropped = write_image(target, array, meta, quality, replace=overwrite)
            if "transparency" in dropped:
                report.flattened.append(target)
            report.notes += [f"{target}: {what} not kept ({WHY_DROPPED[what]})" for what in dropped if what != "transparency"]
            report.written.append(target)
        except FileExistsError:  # another run wrote this name meanwhile: its file stays
            report.existing.append(target)
        except UNREADABLE as error:
            report.failed.append(f"{source}: {error}")
        if progress is not None:
            progress(done, len(jobs))
    return report


def renamed(target: Path, ext: str, suffix: str) -> Path:
    """The output name: the input's, plus `suffix`, with extension `ext` (auto: the input's)."""
    extension = target.suffix if ext == "auto" else f".{ext}"
    return target.with_name(f"{target.stem}{suffix}{extension}")


def rescale(array: np.ndarray, input_size: tuple[int, int], outscale: float) -> np.ndarray:
    """Resize a result to `outscale` x the input's size (Lanczos), as Real-ESRGAN's --outscale does."""
    size = (max(1, round(input_size[0] * outscale)), max(1, round(input_size[1] * outscale)))
    if (array.shape[1], array.shape[0]) == size:
        return array
    return np.asarray(Image.fromarray(array).resize(size, Image.Resampling.LANCZOS))


def unsupported_files(input_path: Path) -> list[Path]:
    """Files of a folder that are not images of a supported format (listed as skipped, never silently dropped)."""
    if not input_path.is_dir():
        return []
    return sorted(p for p in input_path.rglob("*") if p.is_file() and not p.name.startswith(".")
                  and p.suffix.lower() not in IMAGE_SUFFIXES)
