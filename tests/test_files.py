"""lightning_gan/files.py: atomic writes and device names."""

from __future__ import annotations

import pytest

from lightning_gan.files import atomic_path, resolve_device


def test_atomic_path_replaces_only_on_success_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "result.json"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(target) as temporary:
        temporary.write_text("half")
        raise RuntimeError("crash while writing")
    assert target.read_text() == "old" and list(tmp_path.iterdir()) == [target]
    with atomic_path(target) as temporary:
        assert temporary.parent == tmp_path and temporary.name.startswith(".result.json.")
        temporary.write_text("new")
    assert target.read_text() == "new" and list(tmp_path.iterdir()) == [target]


def test_two_writers_get_different_temporary_names(tmp_path):
    with atomic_path(tmp_path / "a.png") as first, atomic_path(tmp_path / "a.png") as second:
        assert first != second
        first.write_text("1")
        second.write_text("2")
    assert (tmp_path / "a.png").read_text() == "1"  # the outer block finished last


def test_resolve_device_keeps_explicit_names_and_refuses_missing_gpus():
    import pytest
    import torch

    assert resolve_device("cpu") == "cpu"
    assert resolve_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(ValueError, match="--device 'gpu0': not a device name"):
        resolve_device("gpu0")
    if not torch.cuda.is_available():  # a missing GPU is one line, not CUDA's traceback
        with pytest.raises(ValueError, match="--device cuda: no CUDA GPU"):
            resolve_device("cuda")
    else:
        assert resolve_device("cuda:0") == "cuda:0"
        with pytest.raises(ValueError, match="CUDA GPU"):
            resolve_device(f"cuda:{torch.cuda.device_count()}")


def test_run_config_reads_class_and_degradation_and_survives_a_broken_file(tmp_path):
    from lightning_gan.files import read_run_config

    (tmp_path / "good").mkdir()
    (tmp_path / "good" / "config.yaml").write_text(
        "model:\n  class_path: lightning_gan.models.eagan.EAGAN\ndata:\n  init_args:\n    degradation: noise\n")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "config.yaml").write_text("model: [unclosed\n")
    good, broken, missing = (read_run_config(tmp_path / n) for n in ("good", "broken", "missing"))
    assert (good.class_path, good.degradation) == ("lightning_gan.models.eagan.EAGAN", "noise")
    assert (broken.class_path, broken.degradation, missing.raw) == ("", None, {})


def test_tool_error_prints_one_line_and_returns_2(capsys):
    from lightning_gan.files import TOOL_ERRORS, tool_error

    assert tool_error("enhance", FileNotFoundError("--input: no such folder: x\n  (details)")) == 2
    assert capsys.readouterr().err == "lightning-gan enhance: error: --input: no such folder: x\n"
    assert issubclass(__import__("lightning_gan.inference", fromlist=["ModelError"]).ModelError, TOOL_ERRORS)


def test_check_number_refuses_nan_infinity_and_out_of_range():
    import pytest

    from lightning_gan.files import check_number, check_tiles

    check_number("--x", 0.5, low=0, high=1)
    check_number("--x", None, low=0)
    for value in (float("nan"), float("inf"), -1.0, 2.0):
        with pytest.raises(ValueError, match="--x must be a finite number"):
            check_number("--x", value, low=0, high=1)
    with pytest.raises(ValueError, match="--overlap"):
        check_tiles(64, 32)
    with pytest.raises(ValueError, match="--tile"):
        check_tiles(0, 0)


def test_every_tool_checks_its_numbers(tmp_path, capsys):
    from PIL import Image

    from lightning_gan.commands.evaluate import main as evaluate
    from lightning_gan.commands.prepare import main as prepare
    from lightning_gan.commands.translate import main as translate

    Image.new("RGB", (16, 16)).save(tmp_path / "a.png")
    cases = [(evaluate, ["--model", "gray_world", "--data", str(tmp_path), "--degradation", "noise", "--strength", "nan"]),
             (evaluate, ["--model", "gray_world", "--data", str(tmp_path), "--degradation", "noise", "--every", "0"]),
             (translate, [str(tmp_path / "a.png"), str(tmp_path / "out"), "--model", "x.ckpt", "--overlap", "-5"]),
             (prepare, [str(tmp_path), str(tmp_path / "p"), "--val-fraction", "nan"])]
    for tool, argv in cases:
        assert tool(argv) == 2
        assert "must be a finite number" in capsys.readouterr().err


def test_saved_weights_are_readable_like_any_new_file_and_load_back(tmp_path):
    """safetensors creates 0600 files; an exported model must be readable by the shop's other users (umask rules)."""
    import os

    import torch
    from safetensors.torch import load_file

    from lightning_gan.files import save_weights

    old = os.umask(0o022)
    try:
        path = save_weights({"w": torch.arange(4.0)}, tmp_path / "model.safetensors")
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644
    assert torch.equal(load_file(path)["w"], torch.arange(4.0))
    assert [p.name for p in tmp_path.iterdir()] == ["model.safetensors"]  # no temporary left
