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
