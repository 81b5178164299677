"""The web app (Gradio): fix, enhance, repair, generate and restyle product photos in a browser (`lightning-gan app`).
`ui` builds the page from plain, tested handler functions; the command is `lightning_gan/commands/app.py`."""

import importlib


def __getattr__(name: str):  # the names of the former module `lightning_gan.app`, e.g. `fix_files`, `build_app`
    for module in ("lightning_gan.app.ui", "lightning_gan.commands.app"):
        found = importlib.import_module(module)
        if hasattr(found, name):
            return getattr(found, name)
    raise AttributeError(f"module 'lightning_gan.app' has no attribute {name!r}")
