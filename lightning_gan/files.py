"""Plumbing the tools share: device names, atomic file writes, tile defaults, a run folder's config, error lines."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

# Tiled inference, in input pixels: a 1024 px tile of the shipped generators needs well under 4 GB; a 48 px overlap,
# blended, hides the seams (wider than the receptive field of the residual generators).
TILE, OVERLAP = 1024, 48


# What a tool reports as one line and exit code 2 (bad input, missing or existing files; a ModelError is a
# ValueError); anything else is a bug and keeps its traceback.
TOOL_ERRORS = (ValueError, FileNotFoundError, FileExistsError)


def first_line(error: BaseException) -> str:
    """An exception's message in one line: its first line, or its type when it has no message."""
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


def tool_error(tool: str, error: BaseException) -> int:
    """Print `lightning-gan TOOL: error: ...` (first line of the message) on stderr; the exit code 2."""
    print(f"lightning-gan {tool}: error: {first_line(error)}", file=sys.stderr)
    return 2


def check_number(option: str, value: float | None, low: float | None = None, high: float | None = None,
                 below: float | None = None) -> None:
    """ValueError naming `option` unless `value` (when given) is finite and low <= value (<= high, < below). NaN
    passes every comparison test, so finiteness is checked first."""
    import math

    if value is None:
        return
    if not math.isfinite(value) or (low is not None and value < low) or (high is not None and value > high) \
            or (below is not None and value >= below):
        bounds = [f">= {low:g}" if low is not None else "", f"<= {high:g}" if high is not None else "",
                  f"< {below:g}" if below is not None else ""]
        raise ValueError(f"{option} must be a finite number {' and '.join(b for b in bounds if b)}, got {value}")


def check_tiles(tile: int, overlap: int) -> None:
    """The tiling options of every tool: a tile of at least 32 px, an overlap under half of it."""
    check_number("--tile", tile, low=32)
    check_number("--overlap", overlap, low=0, below=tile / 2)


def resolve_device(name: str) -> str:
    """`auto` is the GPU when there is one; any other name (cpu, cuda, cuda:1, mps) is returned as given once it is
    known to be usable here (else ValueError naming --device)."""
    import torch

    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        device = torch.device(name)
    except RuntimeError:
        raise ValueError(f"--device {name!r}: not a device name (cpu, cuda, cuda:1, mps or auto)") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"--device {name}: no CUDA GPU is usable on this machine; use --device cpu (or auto)")
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise ValueError(f"--device {name}: this machine has {torch.cuda.device_count()} CUDA GPU(s)")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"--device {name}: Apple's MPS is not available here; use --device cpu (or auto)")
    return name


PARTIAL = ".partial"  # the suffix of temporary files: `.<name>.<pid>.<random>.partial`


def partial_name(name: str) -> str:
    """A temporary name for `name`, unique per process and call, within the 255-byte limit of file names (the
    original name is shortened in it when needed)."""
    tail = f".{os.getpid()}.{uuid.uuid4().hex[:8]}{PARTIAL}"
    room = 255 - 1 - len(tail.encode())
    short = name.encode()[:room].decode(errors="ignore")  # never a cut UTF-8 character
    return f".{short}{tail}"


def remove_stale_partials(folder: Path) -> list[Path]:
    """Remove temporary files left in `folder` by runs that were killed (their process no longer exists)."""
    removed = []
    for path in folder.glob(f".*{PARTIAL}") if folder.is_dir() else []:
        try:
            pid = int(path.name[: -len(PARTIAL)].rsplit(".", 2)[-2])
        except (ValueError, IndexError):
            continue
        if pid == os.getpid() or _alive(pid):
            continue
        path.unlink(missing_ok=True)
        removed.append(path)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


@contextmanager
def atomic_path(path: str | os.PathLike, replace: bool = True) -> Iterator[Path]:
    """A temporary name beside `path` to write to, renamed over `path` when the block ends without error: a crash or
    Ctrl-C never leaves a half-written file under the real name. The name is unique per process and call, so two
    runs writing into one folder never share a temporary file; it is removed if the block fails. With
    `replace=False` the file is linked into place only if `path` does not exist at that moment (FileExistsError
    otherwise): of two runs writing one name, the first one's file stays, never silently replaced."""
    path = Path(path)
    temporary = path.with_name(partial_name(path.name))
    try:
        yield temporary
        if replace:
            os.replace(temporary, path)
        else:
            os.link(temporary, path)  # atomic, and refuses an existing name
    finally:
        temporary.unlink(missing_ok=True)


def save_weights(state: dict, path: str | os.PathLike) -> Path:
    """A state dict as a .safetensors file, written atomically and readable as any new file is (safetensors itself
    creates files only its owner can read, 0600, whatever the umask)."""
    from safetensors.torch import save_file

    path = Path(path)
    with atomic_path(path) as temporary:
        save_file(state, temporary)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
    return path


@dataclass(frozen=True)
class RunConfig:
    """A run folder's config.yaml (the fully resolved config the CLI wrote), read leniently: a missing or unreadable
    file is an empty config, so one broken run never hides the others from `compare` or the app."""

    raw: dict

    @property
    def class_path(self) -> str:
        return (self.raw.get("model") or {}).get("class_path", "")

    @property
    def degradation(self) -> str | None:
        return ((self.raw.get("data") or {}).get("init_args") or {}).get("degradation")


def read_run_config(run_dir: str | os.PathLike) -> RunConfig:
    import yaml

    try:
        raw = yaml.safe_load((Path(run_dir) / "config.yaml").read_text()) or {}
    except (OSError, yaml.YAMLError):
        raw = {}
    return RunConfig(raw if isinstance(raw, dict) else {})
