"""enhance.py: size limits before decoding, skipped files listed, temporary names that never collide."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import write_image
from PIL import Image

from lightning_gan.commands.enhance import main
from lightning_gan.inference.photos import write_image as save

ROOT = Path(__file__).resolve().parents[2]


def _peak_rss_mb(folder: Path, out: Path) -> tuple[float, subprocess.CompletedProcess]:
    probe = ("import resource, sys; from lightning_gan.commands.enhance import main; "
             f"code = main([{str(folder)!r}, {str(out)!r}, '--model', 'gray_world']); "
             "print('maxrss_kb', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss); sys.exit(code)")
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode in (0, 1), done.stderr[-2000:]
    return int(done.stdout.split("maxrss_kb")[1]) / 1024, done


def test_a_100_megapixel_photo_is_refused_before_decoding_in_bounded_memory(tmp_path):
    write_image(tmp_path / "small" / "small.png", size=32)
    baseline, _ = _peak_rss_mb(tmp_path / "small", tmp_path / "out0")  # torch and friends alone take most of it
    huge = tmp_path / "in" / "huge.png"
    huge.parent.mkdir()
    Image.new("L", (10_240, 10_240)).save(huge, compress_level=1)  # 105 MP: 315 MB as uint8 RGB, 1.3 GB as float32
    write_image(tmp_path / "in" / "small.png", size=32)
    peak, done = _peak_rss_mb(tmp_path / "in", tmp_path / "out")
    assert "huge.png: 104.9 megapixels is over the limit of 50 (--max-megapixels)" in done.stderr
    assert done.returncode == 1  # a photo that was asked for and not written is a failure
    assert (tmp_path / "out" / "small.png").is_file() and not (tmp_path / "out" / "huge.png").exists()
    assert peak - baseline < 200, f"peak RSS {peak:.0f} MB against {baseline:.0f} MB without the huge photo"


def test_unsupported_files_are_listed_as_skipped(tmp_path, capsys):
    write_image(tmp_path / "in" / "a.png", size=16)
    Image.new("RGB", (8, 8)).save(tmp_path / "in" / "anim.gif")
    Image.new("RGB", (8, 8)).save(tmp_path / "in" / "scan.tiff")
    assert main([str(tmp_path / "in"), str(tmp_path / "out"), "--model", "gray_world"]) == 0
    err = capsys.readouterr().err
    assert "anim.gif: unsupported format" in err and "scan.tiff: unsupported format" in err
    assert (tmp_path / "out" / "a.png").is_file()


def test_two_writers_never_share_a_temporary_file(tmp_path, monkeypatch):
    """The temporary name carries the process and a random part; a fixed name let concurrent runs collide."""
    import numpy as np

    seen = []
    original = Image.Image.save

    def spy(self, fp, *args, **kwargs):
        seen.append(Path(fp).name)
        return original(self, fp, *args, **kwargs)

    monkeypatch.setattr(Image.Image, "save", spy)
    rgb = np.zeros((4, 4, 3), dtype=np.uint8)
    save(tmp_path / "x.png", rgb)
    save(tmp_path / "x.png", rgb)
    assert len(set(seen)) == 2 and all(str(os.getpid()) in name and name.endswith(".partial") for name in seen)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.png"]


def test_noise_estimate_matches_the_added_noise():
    import torch

    from lightning_gan.models.enhance_base import estimate_noise

    g = torch.Generator().manual_seed(0)
    smooth = torch.nn.functional.interpolate(torch.rand(3, 3, 8, 8, generator=g), size=(128, 128), mode="bilinear") * 0.6 + 0.2
    for sigma in (5 / 255, 25 / 255, 50 / 255):
        noisy = smooth + sigma * torch.randn(smooth.shape, generator=g)
        assert (estimate_noise(noisy) / sigma - 1).abs().max() < 0.15


def test_strength_turns_a_noise_aware_denoiser_up_and_down(tmp_path, capsys):
    import torch

    from lightning_gan.inference import ModelError, load_restorer
    from lightning_gan.inference.loading import _from_module
    from lightning_gan.models.eagan import EAGAN

    torch.manual_seed(0)
    model = EAGAN(generator="unet", width=8, blocks=2, noise_map=True)
    torch.nn.init.normal_(model.generator_ema.module.tail.weight, std=0.05)  # react to the noise-level channel
    noisy = torch.rand(1, 3, 32, 32)
    outputs = [_from_module("d", model, torch.device("cpu"), s)(noisy) for s in (0.5, 1.0, 2.0)]
    assert (outputs[0] - outputs[1]).abs().max() > 1e-4 and (outputs[2] - outputs[1]).abs().max() > 1e-4
    try:
        load_restorer("gaussian_filter", strength=2.0)
        raise AssertionError("a baseline must refuse --strength")
    except ModelError as error:
        assert "noise-level-aware" in str(error)
    write_image(tmp_path / "in" / "a.png", size=16)
    assert main([str(tmp_path / "in"), str(tmp_path / "out"), "--model", "sr4x", "--strength", "2"]) == 2
    assert "--strength needs a noise-level-aware model" in capsys.readouterr().err
    shipped = [load_restorer("denoise", strength=s)(noisy) for s in (0.5, 2.0)]  # the shipped denoiser reads the map
    assert (shipped[1] - noisy).abs().mean() > (shipped[0] - noisy).abs().mean() + 1e-3


def test_ensemble_option_averages_flipped_copies_and_is_refused_for_whole_photo_operators(tmp_path, capsys):
    write_image(tmp_path / "in" / "a.png", size=48)
    assert main([str(tmp_path / "in"), str(tmp_path / "one"), "--model", "denoise"]) == 0
    assert main([str(tmp_path / "in"), str(tmp_path / "four"), "--model", "denoise", "--ensemble", "4"]) == 0
    one, four = (np.asarray(Image.open(tmp_path / name / "a.png"), dtype=np.int16) for name in ("one", "four"))
    assert np.abs(one - four).max() > 0  # another result: the copies were averaged
    assert main([str(tmp_path / "in"), str(tmp_path / "tone"), "--model", "enhance", "--ensemble", "2"]) == 2
    assert "whole photo" in capsys.readouterr().err and not any((tmp_path / "tone").glob("*.png"))
    with pytest.raises(SystemExit):
        main([str(tmp_path / "in"), str(tmp_path / "bad"), "--model", "denoise", "--ensemble", "3"])


def test_icc_profile_ext_quality_suffix_and_outscale(tmp_path):
    from PIL import ImageCms

    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    photo = Image.new("RGB", (40, 30), (120, 90, 60))
    (tmp_path / "in").mkdir()
    photo.save(tmp_path / "in" / "shelf.jpg", icc_profile=profile)
    assert main([str(tmp_path / "in"), str(tmp_path / "out"), "--model", "bicubic", "--outscale", "2", "--ext", "png",
                 "--suffix", "_x2"]) == 0
    with Image.open(tmp_path / "out" / "shelf_x2.png") as out:
        assert out.size == (80, 60) and out.info.get("icc_profile") == profile
    assert main([str(tmp_path / "in"), str(tmp_path / "low"), "--model", "gray_world", "--quality", "20"]) == 0
    assert main([str(tmp_path / "in"), str(tmp_path / "high"), "--model", "gray_world", "--quality", "100"]) == 0
    assert (tmp_path / "low" / "shelf.jpg").stat().st_size < (tmp_path / "high" / "shelf.jpg").stat().st_size
    assert main([str(tmp_path / "in"), str(tmp_path / "bad"), "--model", "gray_world", "--quality", "0"]) == 2


def test_python_api_takes_pil_arrays_and_tensors():
    import numpy as np
    import torch

    from lightning_gan import load_model

    model = load_model("gray_world", device="cpu")  # a size-keeping baseline
    rgba = Image.new("RGBA", (20, 10), (200, 100, 50, 128))
    out = model(rgba)
    assert out.mode == "RGBA" and out.size == (20, 10) and out.getpixel((5, 5))[3] == 128
    array = model(np.full((10, 20, 3), 77, dtype=np.uint8))
    assert array.shape == (10, 20, 3) and array.dtype == np.uint8 and abs(int(array[5, 5, 0]) - 77) <= 1
    batch = model(torch.rand(2, 3, 16, 16))
    assert batch.shape == (2, 3, 16, 16)
    denoised = load_model("denoise", device="cpu")(Image.new("RGB", (33, 17), (90, 90, 90)))
    assert denoised.size == (33, 17)


def test_upsampling_baselines_enlarge_like_the_sr_model(tmp_path):
    Image.new("RGB", (10, 8), (200, 40, 40)).save(tmp_path / "small.png")
    assert main([str(tmp_path / "small.png"), str(tmp_path / "out"), "--model", "bicubic"]) == 0
    assert Image.open(tmp_path / "out" / "small.png").size == (40, 32)


def photo(path, mode="RGB", size=(40, 30), exif_orientation=None):
    array = np.random.default_rng(0).integers(0, 255, (size[1], size[0], 4), dtype=np.uint8)
    image = Image.fromarray(array, "RGBA").convert(mode)
    kwargs = {}
    if exif_orientation:
        exif = Image.Exif()
        exif[0x0112] = exif_orientation
        kwargs["exif"] = exif
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, **kwargs)
    return path


def test_enhance_folder_keeps_format_alpha_and_orientation(sr_checkpoint, tmp_path, capsys):
    src = tmp_path / "in"
    photo(src / "a.png", "RGBA")
    photo(src / "sub" / "b.jpg", "RGB", exif_orientation=6)
    photo(src / "c.png", "L")
    (src / "broken.jpg").write_bytes(b"nope")
    out = tmp_path / "out"
    assert main([str(src), str(out), "--model", str(sr_checkpoint), "--device", "cpu"]) == 1  # broken.jpg failed
    with Image.open(out / "a.png") as a:
        assert a.mode == "RGBA" and a.size == (80, 60)
    with Image.open(out / "sub" / "b.jpg") as b:
        assert b.format == "JPEG" and b.size == (60, 80)  # rotated upright, then x2
        assert b.getexif().get(0x0112, 1) == 1
    with Image.open(out / "c.png") as c:
        assert c.mode == "L"
    assert not (out / "broken.jpg").exists()
    assert "broken.jpg" in capsys.readouterr().err
    assert not list(out.rglob("*.partial"))


def test_enhance_never_overwrites_without_the_flag(tmp_path):
    src = photo(tmp_path / "in" / "x.png")
    out = tmp_path / "out"
    out.mkdir()
    (out / "x.png").write_bytes(b"precious")
    assert main([str(src), str(out), "--model", "gaussian_filter"]) == 0
    assert (out / "x.png").read_bytes() == b"precious"
    assert main([str(src), str(out), "--model", "gaussian_filter", "--overwrite"]) == 0
    with Image.open(out / "x.png") as image:
        assert image.size == (40, 30)


def test_enhance_refuses_to_write_into_its_input(tmp_path, capsys):
    src = tmp_path / "in"
    photo(src / "x.png")
    assert main([str(src), str(src / "out"), "--model", "median_filter"]) == 2
    assert "inside the input folder" in capsys.readouterr().err
    assert not (src / "out").exists()


def test_transparency_dropped_by_a_jpeg_output_is_reported(tmp_path, capsys):
    Image.new("RGBA", (16, 12), (200, 40, 40, 100)).save(tmp_path / "cutout.png")
    Image.new("RGB", (16, 12), (20, 40, 200)).save(tmp_path / "plain.png")
    assert main([str(tmp_path / "cutout.png"), str(tmp_path / "out"), "--model", "gray_world", "--ext", "jpg"]) == 0
    assert "1 transparent photo(s) written without transparency" in capsys.readouterr().err
    assert main([str(tmp_path / "plain.png"), str(tmp_path / "out2"), "--model", "gray_world", "--ext", "jpg"]) == 0
    assert "transparen" not in capsys.readouterr().err
    assert main([str(tmp_path / "cutout.png"), str(tmp_path / "out3"), "--model", "gray_world", "--ext", "png"]) == 0
    assert "transparen" not in capsys.readouterr().err and Image.open(tmp_path / "out3" / "cutout.png").mode == "RGBA"


def test_a_symlink_in_the_output_folder_never_leads_into_the_input(tmp_path, capsys):
    (tmp_path / "in" / "sub").mkdir(parents=True)
    Image.new("RGB", (16, 16), (90, 60, 30)).save(tmp_path / "in" / "sub" / "b.png")
    before = (tmp_path / "in" / "sub" / "b.png").read_bytes()
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "sub").symlink_to(tmp_path / "in" / "sub")
    for extra in (["--suffix", "_e"], ["--overwrite"]):
        assert main([str(tmp_path / "in"), str(tmp_path / "out"), "--model", "gray_world", *extra]) == 2
        assert "inside the input folder" in capsys.readouterr().err
    assert sorted(p.name for p in (tmp_path / "in" / "sub").iterdir()) == ["b.png"]
    assert (tmp_path / "in" / "sub" / "b.png").read_bytes() == before
    (tmp_path / "beside").symlink_to(tmp_path / "in" / "sub")  # a single file into its own folder, through a link
    assert main([str(tmp_path / "in" / "sub" / "b.png"), str(tmp_path / "beside"), "--model", "gray_world", "--overwrite"]) == 2
    assert (tmp_path / "in" / "sub" / "b.png").read_bytes() == before


@pytest.mark.parametrize("option", [["--overlap", "-20"], ["--overlap", "-300"], ["--overlap", "600"], ["--strength", "nan"],
                                    ["--max-megapixels", "nan"], ["--tile", "0"], ["--outscale", "nan"]])
def test_numeric_options_are_checked_before_anything_runs(option, tmp_path, capsys):
    Image.new("RGB", (16, 16)).save(tmp_path / "a.png")
    assert main([str(tmp_path / "a.png"), str(tmp_path / "out"), "--model", "gray_world", *option]) == 2
    assert option[0] in capsys.readouterr().err and not (tmp_path / "out").exists()


def shipped_copy(tmp_path, name="enhance", change=None):
    """The shipped model's card and weights in tmp_path, the weights changed by `change`."""
    import shutil

    from safetensors.torch import load_file, save_file

    from lightning_gan.inference import PRETRAINED_DIR

    shutil.copy(PRETRAINED_DIR / f"{name}.json", tmp_path / f"{name}.json")
    weights = load_file(PRETRAINED_DIR / f"{name}.safetensors")
    if change:
        weights = change(weights)
    save_file(weights, tmp_path / f"{name}.safetensors")
    return tmp_path / f"{name}.safetensors"


def _first(weights, fn):
    key = next(k for k, v in weights.items() if v.is_floating_point() and v.numel() > 1)
    return {**weights, key: fn(weights[key])}


@pytest.mark.parametrize("change, message", [
    (lambda w: _first(w, lambda v: v.clone().fill_(float("nan"))), "NaN or infinite"),
    (lambda w: _first(w, lambda v: v.clone().fill_(float("inf"))), "NaN or infinite"),
    (lambda w: _first(w, lambda v: v.int()), "int32 values"),
])
def test_weights_that_would_write_black_pixels_are_refused_at_load(change, message, tmp_path, capsys):
    model = shipped_copy(tmp_path, change=change)
    Image.new("RGB", (16, 16)).save(tmp_path / "a.png")
    assert main([str(tmp_path / "a.png"), str(tmp_path / "out"), "--model", str(model)]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and not (tmp_path / "out").exists()


def test_broken_model_files_are_one_line(tmp_path, capsys):
    model = shipped_copy(tmp_path)
    Image.new("RGB", (16, 16)).save(tmp_path / "a.png")
    model.write_bytes(b"not safetensors at all")
    assert main([str(tmp_path / "a.png"), str(tmp_path / "out"), "--model", str(model)]) == 2
    assert "cannot be read as safetensors" in capsys.readouterr().err
    shipped_copy(tmp_path)
    (tmp_path / "enhance.json").write_text("{ broken")
    assert main([str(tmp_path / "a.png"), str(tmp_path / "out"), "--model", str(model)]) == 2
    assert "not a usable model card" in capsys.readouterr().err


def test_semi_transparent_pixels_keep_their_colour(tmp_path):
    from conftest import save_checkpoint

    from lightning_gan.models.eagan import EAGAN

    identity = save_checkpoint(EAGAN(generator="guarded_tone", width=4, thumb=32, knots=9, d_width=8), tmp_path / "id.ckpt")
    image = Image.new("RGBA", (16, 16), (200, 0, 0, 128))
    image.putpixel((3, 3), (0, 200, 0, 20))
    image.save(tmp_path / "cutout.png")
    assert main([str(tmp_path / "cutout.png"), str(tmp_path / "out"), "--model", str(identity)]) == 0
    out = Image.open(tmp_path / "out" / "cutout.png")
    assert out.mode == "RGBA"
    for xy, expected in (((8, 8), (200, 0, 0, 128)), ((3, 3), (0, 200, 0, 20))):
        assert max(abs(a - b) for a, b in zip(out.getpixel(xy), expected)) <= 1, "blended onto white"


def test_a_file_that_cannot_be_written_makes_the_exit_code_1(tmp_path, monkeypatch, capsys):
    import errno

    import lightning_gan.inference.photos as photos

    Image.new("RGB", (16, 16)).save(tmp_path / "a.png")

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(photos, "write_image", full)
    assert main([str(tmp_path / "a.png"), str(tmp_path / "out"), "--model", "gray_world"]) == 1
    assert "No space left on device" in capsys.readouterr().err


def test_a_255_byte_name_gets_a_temporary_name_that_fits(tmp_path):
    name = "a" * 251 + ".png"
    (tmp_path / "in").mkdir()
    Image.new("RGB", (16, 16)).save(tmp_path / "in" / name)
    assert main([str(tmp_path / "in"), str(tmp_path / "out"), "--model", "gray_world"]) == 0
    assert (tmp_path / "out" / name).is_file()


def test_temporary_files_of_killed_runs_are_removed(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    (tmp_path / "out").mkdir()
    orphan = tmp_path / "out" / f".a.png.{int(dead.stdout)}.0123abcd.partial"
    orphan.write_bytes(b"half a photo")
    alive = tmp_path / "out" / f".b.png.{os.getpid()}.0123abcd.partial"  # this very process: still writing
    alive.write_bytes(b"in progress")
    Image.new("RGB", (16, 16)).save(tmp_path / "a.png")
    assert main([str(tmp_path / "a.png"), str(tmp_path / "out"), "--model", "gray_world"]) == 0
    assert not orphan.exists() and alive.exists()


def test_animated_images_are_refused_not_cut_to_one_frame(tmp_path, capsys):
    frames = [Image.new("RGB", (16, 16), (i * 60, 0, 0)) for i in range(3)]
    frames[0].save(tmp_path / "anim.png", save_all=True, append_images=frames[1:])
    frames[0].save(tmp_path / "anim.webp", save_all=True, append_images=frames[1:])
    for name in ("anim.png", "anim.webp"):
        assert main([str(tmp_path / name), str(tmp_path / "out"), "--model", "gray_world"]) == 1
        assert "animated image (3 frames)" in capsys.readouterr().err


def test_metadata_a_format_cannot_hold_is_dropped_with_a_note_not_the_photo(tmp_path, capsys):
    from PIL import PngImagePlugin

    exif = Image.Exif()
    exif[0x010E] = "x" * 70_000  # ImageDescription: an EXIF block over a JPEG's 64 KB
    Image.new("RGB", (16, 16)).save(tmp_path / "big_exif.png", exif=exif.tobytes())
    assert main([str(tmp_path / "big_exif.png"), str(tmp_path / "out"), "--model", "gray_world", "--ext", "jpg"]) == 0
    assert Image.open(tmp_path / "out" / "big_exif.jpg").size == (16, 16) and "exif not kept" in capsys.readouterr().err
    icc = b"\0" * (PngImagePlugin.MAX_TEXT_CHUNK + 10)
    Image.new("RGB", (16, 16)).save(tmp_path / "big_icc.jpg", icc_profile=icc)
    assert main([str(tmp_path / "big_icc.jpg"), str(tmp_path / "out2"), "--model", "gray_world", "--ext", "png"]) == 0
    assert "icc profile not kept" in capsys.readouterr().err
    assert main([str(tmp_path / "out2"), str(tmp_path / "out3"), "--model", "gray_world"]) == 0  # and it reads back


def test_a_cuda_device_without_a_gpu_is_one_line(tmp_path, capsys):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")  # the case is a machine without one
    Image.new("RGB", (16, 16)).save(tmp_path / "a.png")
    assert main([str(tmp_path / "a.png"), str(tmp_path / "out"), "--model", "enhance", "--device", "cuda"]) == 2
    assert capsys.readouterr().err.strip() == ("lightning-gan enhance: error: --device cuda: no CUDA GPU is usable on "
                                              "this machine; use --device cpu (or auto)")


def test_a_model_card_that_asks_for_a_giant_model_is_refused_before_it_is_built(tmp_path, capsys):
    import json

    model = shipped_copy(tmp_path)
    card = json.loads((tmp_path / "enhance.json").read_text())
    card["hparams"]["width"] = 100_000  # 360 GB of parameters if built
    (tmp_path / "enhance.json").write_text(json.dumps(card))
    Image.new("RGB", (16, 16)).save(tmp_path / "a.png")
    assert main([str(tmp_path / "a.png"), str(tmp_path / "out"), "--model", str(model)]) == 2
    assert "does not fit its card" in capsys.readouterr().err
