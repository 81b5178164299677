"""lightning-gan: PyTorch Lightning experiments for product image enhancement and generation with GANs.

Kept import-free on purpose: importing a submodule never pulls in every model.
"""

__version__ = "0.1.0"


def load_model(spec: str, device: str = "auto", strength: float = 1.0, tile: int = 1024, overlap: int = 48):
    """A shipped model, checkpoint or baseline as a callable on PIL images, arrays or tensors (`lightning_gan.api`)."""
    from lightning_gan.api import load_model as load

    return load(spec, device, strength, tile, overlap)
