"""photos.py: one writer per output name, masks with transparency."""

from __future__ import annotations

import numpy as np
from PIL import Image

from lightning_gan.inference.photos import mask_of, process_files


def test_a_file_written_by_another_run_meanwhile_is_never_replaced(tmp_path):
    source, target = tmp_path / "in.png", tmp_path / "out" / "in.png"
    Image.new("RGB", (8, 8), (10, 20, 30)).save(source)
    target.parent.mkdir()

    def convert(path, rgb):
        target.write_bytes(b"the other run's result")  # appears after the existence check, before our write
        return np.asarray(rgb)

    report = process_files([(source, target)], convert, overwrite=False, desc="test")
    assert target.read_bytes() == b"the other run's result"
    assert report.existing == [target] and not report.written
    assert not [p for p in target.parent.iterdir() if p.name.endswith(".partial")]
    report = process_files([(source, target)], lambda p, rgb: np.asarray(rgb), overwrite=True, desc="test")
    assert report.written == [target] and Image.open(target).getpixel((0, 0)) == (10, 20, 30)


def test_a_stroke_on_a_transparent_layer_is_the_mask_not_its_white_background():
    layer = np.zeros((40, 50, 4), dtype=np.uint8)
    layer[..., :3] = 255  # empty pixels stored as transparent white, as editors often do
    layer[10:20, 5:25, 3] = 255  # a 200-pixel stroke
    mask = mask_of(Image.fromarray(layer))
    assert mask.shape == (1, 1, 40, 50) and mask.sum() == 200
    gray = Image.new("L", (8, 8), 0)
    gray.putpixel((2, 2), 255)
    assert mask_of(gray).sum() == 1
    opaque = Image.new("RGBA", (8, 8), (0, 0, 0, 255))  # no transparency: the colour says it
    assert mask_of(opaque).sum() == 0
