"""lightning-gan: PyTorch Lightning experiments for product image enhancement and generation with GANs.

Kept import-free on purpose: importing a submodule never pulls in every model.
"""

__version__ = "0.1.0"
