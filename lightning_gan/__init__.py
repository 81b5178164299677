"""lightning-gan: PyTorch Lightning experiments for product image enhancement and generation with GANs.

Kept import-free on purpose: importing a submodule never pulls in every model.
"""

from lightning_gan import _moved
from lightning_gan.files import OVERLAP, TILE  # constants only: files.py imports nothing heavy

_moved.install()  # old module paths (lightning_gan.evaluate, lightning_gan.photos, ...) still import

__version__ = "0.1.0"


def load_model(spec: str, device: str = "auto", strength: float = 1.0, tile: int = TILE, overlap: int = OVERLAP,
               half: bool | None = None):
    """A shipped model, checkpoint or baseline as a callable on PIL images, arrays or tensors; a generator as a
    callable giving seeded PIL images (`lightning_gan.api`)."""
    from lightning_gan.api import load_model as load

    return load(spec, device, strength, tile, overlap, half)


def list_models(baselines: bool = False) -> dict[str, str]:
    """The shipped models and what each does (`lightning_gan.api.list_models`)."""
    from lightning_gan.api import list_models as models

    return models(baselines)


def fix(image, min_size: int | None = None, device: str = "auto"):
    """Auto-fix one photo: (fixed, report) (`lightning_gan.api.fix`)."""
    from lightning_gan.api import fix as run

    return run(image, min_size, device)
