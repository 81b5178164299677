"""`lightning-gan fix` and the API's `fix` / `load_model("fix")`: files in, only what each photo needs done, a report."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image

import lightning_gan
from lightning_gan.commands.fix import main
from lightning_gan.data.datamodule import SAMPLE_ROOT
from lightning_gan.data.degradations import degrade
from lightning_gan.data.images import read_rgb, scan


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    """A clean PNG, a dark noisy PNG (seeded -2 EV and a phone's noise) and a small JPEG at quality 30."""
    folder = tmp_path_factory.mktemp("photos")
    clean = read_rgb(next(p for p in scan(SAMPLE_ROOT / "test") if p.stem == "Golden-Delicious_001"))
    clean.save(folder / "clean.png")
    x = torch.from_numpy(np.asarray(clean).copy()).permute(2, 0, 1)[None].float() / 255
    seeds = torch.tensor([3])
    dark = degrade(degrade(x, "lowlight", seeds=seeds).image, "camera_noise", seeds=seeds).image[0]
    Image.fromarray((dark.permute(1, 2, 0).numpy() * 255 + 0.5).astype(np.uint8)).save(folder / "dark.png")
    clean.resize((48, 48), Image.Resampling.BICUBIC).save(folder / "small.jpg", quality=30)
    return folder


def test_fix_a_folder_does_only_what_each_photo_needs_and_reports_it(photos, tmp_path, capsys):
    out, report = tmp_path / "out", tmp_path / "report.json"
    assert main([str(photos), str(out), "--min-size", "96", "--report", str(report)]) == 0
    printed = capsys.readouterr().out
    assert "dark.png: tone -> denoise" in printed and "clean.png: nothing needed" in printed
    assert np.array_equal(np.asarray(Image.open(out / "clean.png")), np.asarray(Image.open(photos / "clean.png")))
    assert Image.open(out / "small.jpg").size == (96, 96)
    saved = json.loads(report.read_text())
    assert saved[str(photos / "dark.png")]["done"] == ["tone", "denoise"]
    assert saved[str(photos / "clean.png")]["steps"] == []
    small = saved[str(photos / "small.jpg")]
    assert small["found"]["jpeg_quality"] == 30 and [s["stage"] for s in small["steps"]] == ["dejpeg", "upscale"]
    assert all("mean of 4 flipped copies" in s["why"] for s in small["steps"])  # a small photo to be enlarged
    assert main([str(photos), str(out), "--report", str(report)]) == 2  # the report is never overwritten unasked
    assert "exists" in capsys.readouterr().err


def test_ensemble_option_sets_the_copies_of_repair_and_upscaling(photos, tmp_path, capsys):
    report = tmp_path / "report.json"
    assert main([str(photos / "small.jpg"), str(tmp_path / "out"), "--min-size", "96", "--ensemble", "1",
                 "--report", str(report)]) == 0
    steps = json.loads(report.read_text())[str(photos / "small.jpg")]["steps"]
    assert [s["stage"] for s in steps] == ["dejpeg", "upscale"] and not any("flipped" in s["why"] for s in steps)
    with pytest.raises(SystemExit):
        main([str(photos), str(tmp_path / "other"), "--ensemble", "3"])
    assert "--ensemble" in capsys.readouterr().err and not (tmp_path / "other").exists()


def test_plan_only_writes_no_image(photos, tmp_path, capsys):
    assert main([str(photos / "dark.png"), "--plan-only"]) == 0
    assert "plan: tone -> denoise" in capsys.readouterr().out
    assert main([str(photos)]) == 2
    assert "--plan-only" in capsys.readouterr().err


def test_bad_options_are_one_line(photos, tmp_path, capsys):
    for options in (["--min-size", "0"], ["--quality", "0"], ["--suffix", "a/b"]):
        assert main([str(photos), str(tmp_path / "out"), *options]) == 2
        assert len(capsys.readouterr().err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_the_api_fixes_a_pil_photo_and_reads_the_jpeg_quality_from_it(photos):
    fixed, report = lightning_gan.fix(Image.open(photos / "small.jpg"), min_size=96)
    assert fixed.size == (96, 96) and report.found["jpeg_quality"] == 30
    fixer = lightning_gan.load_model("fix")
    dark = Image.open(photos / "dark.png")
    assert fixer(dark).size == dark.size and fixer.restorer.reports[-1].done == ["tone", "denoise"]
    assert lightning_gan.list_models()["fix"].startswith("auto-fix")


def test_fix_help_starts_without_importing_torch():
    import subprocess
    import sys

    code = ("import sys\nfrom lightning_gan.commands import main\ntry:\n    main(['fix', '--help'])\nexcept SystemExit:\n    pass\n"
            "print('torch' in sys.modules, 'numpy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "--min-size" in out and out.strip().endswith("False False")
