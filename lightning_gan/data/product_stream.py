"""`ProductStream`: a split prepared by `lightning-gan prepare`, streamed by LitData, with the in-memory cache's items.

A module of its own because it subclasses LitData's dataset (imported only when a run streams) and must be
importable by name: dataloader workers started with `spawn` unpickle it.
"""

from __future__ import annotations

import io

from litdata import StreamingDataset

from lightning_gan.data.images import decode


class ProductStream(StreamingDataset):
    """Items {image: (3, size, size) uint8, label, index}; an image stored at another size is fitted to `size` the
    way the cache decodes files (short side resized, centre cropped)."""

    def __init__(self, input_dir: str, classes: list[str], label: str, size: int, **kwargs):
        super().__init__(input_dir, **kwargs)
        self.class_index = {name: i for i, name in enumerate(classes)}
        self.label, self.size = label, size

    def __getitem__(self, index) -> dict:
        item = super().__getitem__(index)
        return {"image": decode(io.BytesIO(item["image"]), self.size),
                "label": self.class_index.get(item[self.label], -1), "index": item["index"]}
