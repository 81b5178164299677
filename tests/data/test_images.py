"""Finding, splitting and decoding product images: every format becomes RGB, bad files are skipped and named."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from conftest import write_image
from PIL import Image

from lightning_gan.data import images as images_mod
from lightning_gan.data.datamodule import SAMPLE_ROOT, ProductImageDataModule, load_images
from lightning_gan.data.images import decode, decode_all, hash_split, list_split, to_rgb


def test_grayscale_palette_and_16bit_become_rgb(tmp_path):
    gray = Image.fromarray(np.full((8, 8), 100, np.uint8), "L")
    assert to_rgb(gray).mode == "RGB" and to_rgb(gray).getpixel((0, 0)) == (100, 100, 100)
    palette = Image.new("RGB", (8, 8), (10, 200, 30)).convert("P")
    assert to_rgb(palette).getpixel((1, 1)) == palette.convert("RGB").getpixel((1, 1))
    sixteen = tmp_path / "deep.png"
    Image.fromarray(np.full((8, 8), 65535 // 2, np.uint16)).save(sixteen)
    with Image.open(sixteen) as im:
        assert im.mode.startswith("I")
        assert abs(to_rgb(im).getpixel((0, 0))[0] - 127) <= 1


def test_cmyk_becomes_rgb(tmp_path):
    path = tmp_path / "print.jpg"
    Image.new("CMYK", (16, 16), (0, 255, 255, 0)).save(path)  # pure red in CMYK
    red, green, blue = decode(path, 16)[:, 8, 8].tolist()
    assert red > 200 and green < 60 and blue < 60


@pytest.mark.parametrize("mode", ["RGBA", "LA"])
def test_transparency_is_composited_on_white(mode):
    image = Image.new(mode, (4, 4), (0, 0) if mode == "LA" else (0, 0, 0, 0))  # fully transparent black
    image.putpixel((0, 0), (0, 255) if mode == "LA" else (0, 0, 0, 255))  # one opaque black pixel
    rgb = to_rgb(image)
    assert rgb.getpixel((1, 1)) == (255, 255, 255)
    assert rgb.getpixel((0, 0)) == (0, 0, 0)


def test_exif_orientation_is_applied(tmp_path):
    image = Image.new("RGB", (20, 10), (0, 0, 0))
    image.paste((255, 255, 255), (0, 0, 10, 10))  # left half white
    exif = Image.Exif()
    exif[0x0112] = 6  # stored rotated: display needs 90 degrees clockwise
    path = tmp_path / "phone.jpg"
    image.save(path, exif=exif)
    with Image.open(path) as im:
        upright = to_rgb(im)
    assert upright.size == (10, 20)
    assert upright.getpixel((5, 2))[0] > 200 and upright.getpixel((5, 17))[0] < 50  # white half now on top


def test_bad_files_are_skipped_and_reported_once(tmp_path):
    good = write_image(tmp_path / "good.png")
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    not_image = tmp_path / "notes.png"
    not_image.write_text("hello")
    truncated = tmp_path / "cut.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (1, 2, 3)).save(buffer, "JPEG")
    truncated.write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    records = [images_mod.ImageRecord(p, "", "") for p in (good, empty, not_image, truncated)]
    with pytest.warns(UserWarning) as caught:
        kept, tensor = decode_all(records, 16)
    assert [r.path for r in kept] == [good]
    assert tensor.shape == (1, 3, 16, 16) and tensor.dtype == torch.uint8
    assert len(caught) == 1
    message = str(caught[0].message)
    assert "skipped 3 unreadable" in message
    assert all(str(p) in message for p in (empty, not_image, truncated))


def test_folder_without_readable_images_is_an_error_naming_it(tmp_path):
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "a.jpg").write_bytes(b"")
    (folder / "readme.txt").write_text("no images")
    data = ProductImageDataModule(root=str(folder), val_fraction=0.0, test_fraction=0.0)
    with pytest.warns(UserWarning), pytest.raises(ValueError, match=str(folder)):
        data.setup("fit")


def test_missing_root_is_an_error_naming_the_option(tmp_path):
    with pytest.raises(FileNotFoundError, match="--data.root"):
        ProductImageDataModule(root=str(tmp_path / "nope"))


def test_grocery_layout_uses_split_lists_and_class_names():
    train = list_split(SAMPLE_ROOT, "train")
    val = list_split(SAMPLE_ROOT, "val")
    assert len(train) == 324 and len(val) > 0
    assert {r.fine for r in train} >= {"Golden-Delicious", "Granny-Smith", "Oatly-Natural-Oatghurt"}
    apple = next(r for r in train if r.fine == "Golden-Delicious")
    assert apple.coarse == "Apple" and apple.path.is_file()
    assert len({r.fine for r in train}) == 81 and len({r.coarse for r in train}) == 43  # classes.csv has 43 coarse ids
    assert not {r.path for r in train} & {r.path for r in val}


def test_hash_split_is_deterministic_disjoint_and_stable(two_class_folder):
    splits = {s: {r.path for r in list_split(two_class_folder, s, 0.2, 0.2)} for s in ("train", "val", "test")}
    assert sum(map(len, splits.values())) == 80
    assert not (splits["train"] & splits["val"] or splits["train"] & splits["test"] or splits["val"] & splits["test"])
    assert all(splits[s] for s in splits)
    write_image(two_class_folder / "red" / "new.png")
    again = {r.path for r in list_split(two_class_folder, "val", 0.2, 0.2)}
    assert splits["val"] <= again  # adding a file moves no other file
    assert hash_split("a/b.jpg", 0.2, 0.2) == hash_split("a/b.jpg", 0.2, 0.2)
    assert {r.fine for r in list_split(two_class_folder, "train", 0.2, 0.2)} == {"red", "blue"}


def test_disk_cache_decodes_once_and_notices_changes(two_class_folder, tmp_path, monkeypatch):
    records = list_split(two_class_folder, "train", 0.0, 0.0)[:5]
    cache = tmp_path / "cache"
    _, first = load_images(records, 16, str(cache))
    monkeypatch.setattr(images_mod, "decode", lambda *a: (_ for _ in ()).throw(AssertionError("decoded again")))
    _, second = load_images(records, 16, str(cache))
    assert torch.equal(first, second)
    write_image(records[0].path, (0, 255, 0))  # changed file: new size/mtime, new key, decode needed
    with pytest.raises(AssertionError, match="decoded again"):
        load_images(records, 16, str(cache))


def test_datamodule_batches_are_uint8_then_float_on_device(two_class_folder):
    data = ProductImageDataModule(root=str(two_class_folder), image_size=16, batch_size=8, degradation="noise")
    data.setup("fit")
    assert data.classes == ["blue", "red"]
    batch = next(iter(data.train_dataloader()))
    assert batch["image"].dtype == torch.uint8 and batch["image"].shape[1:] == (3, 20, 20)
    out = data.on_after_batch_transfer(batch, 0)  # no trainer: the deterministic evaluation view
    assert out["clean"].shape == (8, 3, 16, 16) and out["clean"].dtype == torch.float32
    assert 0 <= out["degraded"].min() and out["degraded"].max() <= 1
    again = data.on_after_batch_transfer(batch, 0)
    assert torch.equal(out["degraded"], again["degraded"])  # evaluation degradations are seeded per image


def test_mix_draws_training_images_from_each_folder_at_its_share(two_class_folder, tmp_path):
    from lightning_gan.data.datamodule import DeviceBatches

    extra = tmp_path / "studio"
    for i in range(10):
        write_image(extra / f"g{i}.png", (40, 210, 40))
    data = ProductImageDataModule(root=str(two_class_folder), image_size=16, batch_size=8, mix={str(extra): 0.5})
    data.setup("fit")
    train = data.datasets["train"]
    green = train.images[:, 1].float().mean(dim=(1, 2)) > 150
    assert green.sum() == 10 and data.classes == ["blue", "red"]  # a mix folder adds images, not classes
    assert not (data.datasets["val"].images[:, 1].float().mean(dim=(1, 2)) > 150).any()  # validation stays on root
    torch.manual_seed(0)  # the sampler's draws: seeded, so the share bounds below cannot flake
    drawn = torch.cat([b["index"] for _ in range(10) for b in data.train_dataloader()])
    assert 0.4 < green[drawn].float().mean() < 0.6  # 10 green images supply half the draws
    device = DeviceBatches(train, 8, shuffle=True, drop_last=True)
    drawn = torch.cat([b["index"] for b in device])
    assert 0.35 < green[drawn].float().mean() < 0.65


def test_mix_and_studio_options_are_checked(two_class_folder, tmp_path):
    with pytest.raises(FileNotFoundError, match="--data.mix"):
        ProductImageDataModule(root=str(two_class_folder), mix={str(tmp_path / "nowhere"): 0.2}).setup("fit")
    with pytest.raises(ValueError, match="--data.mix"):
        ProductImageDataModule(root=str(two_class_folder), mix={str(tmp_path): 0.95})
    with pytest.raises(ValueError, match="--data.mix"):
        ProductImageDataModule(root=str(two_class_folder), mix={str(tmp_path): 0.0})
    with pytest.raises(ValueError, match="--data.studio_share"):
        ProductImageDataModule(root=str(two_class_folder), studio_share=1.5)


def test_thumbnail_reduces_and_saves_once_as_a_jpeg_of_the_quality_asked():
    from lightning_gan.data.images import thumbnail
    from lightning_gan.nets.jpeg import estimate_quality

    texture = torch.nn.functional.avg_pool2d(torch.rand(1, 3, 132, 196, generator=torch.Generator().manual_seed(0)), 5, 1)
    image = Image.fromarray((texture[0].permute(1, 2, 0).numpy() * 255).astype(np.uint8))  # 192x128
    small = thumbnail(image, 2)
    assert small.size == (96, 64) and small.mode == "RGB"
    jpeg = thumbnail(image, 2, 30)
    assert jpeg.size == (96, 64) and np.abs(np.asarray(jpeg, np.float32) - np.asarray(small, np.float32)).mean() > 0.5
    quality, _ = estimate_quality(torch.from_numpy(np.asarray(jpeg).copy()).permute(2, 0, 1)[None].float() / 255)
    assert abs(quality - 30) <= 10
