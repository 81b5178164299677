"""scripts/gpu_trim.sh: the tree a device call sends fits its 64 MiB, and everything moved out comes back unchanged."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def trim(repo: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "scripts/gpu_trim.sh", *args], cwd=repo, capture_output=True, text=True, timeout=120,
                          env=env)


@pytest.fixture
def clone(tmp_path) -> Path:
    repo = tmp_path / "repo"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(repo)], check=True, timeout=120)
    shutil.copy(ROOT / "scripts/gpu_trim.sh", repo / "scripts/gpu_trim.sh")  # this checkout's script, committed or not
    shutil.copy(ROOT / ".gitignore", repo / ".gitignore")
    return repo


def test_apply_moves_what_the_device_does_not_need_and_restore_brings_it_back(clone):
    listed = trim(clone, "list").stdout.split()
    assert "docs/images/app.png" in listed and "lightning_gan/pretrained/sr2x.safetensors" in listed
    kept = ("lightning_gan/pretrained/denoise.safetensors", "lightning_gan/pretrained/grocery.safetensors",
            "lightning_gan/pretrained/domain/grocery_classifier.safetensors")
    assert not set(kept) & set(listed)  # the campaign's warm starts and the projected D's feature network stay
    contents = {path: (clone / path).read_bytes() for path in listed}

    applied = trim(clone, "apply")
    assert applied.returncode == 0, applied.stderr
    assert not any((clone / path).exists() for path in listed)
    assert all((clone / path).is_file() for path in kept)
    assert int(trim(clone, "size").stdout) <= 40  # MiB: room for the kit's wheels and photos under the device's 64
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=clone, capture_output=True,
                            text=True, check=True).stdout
    assert ".gpu-trim" not in status  # ignored: the moved files do not travel

    again = trim(clone, "apply")  # a second apply before a restore is refused, nothing moved twice
    assert again.returncode == 1 and "restore" in again.stderr

    restored = trim(clone, "restore")
    assert restored.returncode == 0, restored.stderr
    assert {path: (clone / path).read_bytes() for path in listed} == contents
    assert not (clone / ".gpu-trim").exists()


def test_restore_never_writes_over_a_file_that_is_there_again(clone):
    assert trim(clone, "apply").returncode == 0
    (clone / "docs/images/app.png").write_bytes(b"a new picture")
    restored = trim(clone, "restore")
    assert restored.returncode == 1 and "docs/images/app.png exists again" in restored.stderr
    assert (clone / "docs/images/app.png").read_bytes() == b"a new picture"
    assert (clone / ".gpu-trim/docs/images/app.png").is_file()  # the trimmed copy is kept, not lost


def test_keep_models_keeps_the_named_weights(clone):
    listed = trim(clone, "list", env={**os.environ, "KEEP_MODELS": "inpaint sr4x-clean"}).stdout.split()
    assert "lightning_gan/pretrained/inpaint.safetensors" not in listed
    assert "lightning_gan/pretrained/denoise.safetensors" in listed


def test_an_unknown_verb_prints_the_usage(clone):
    done = trim(clone, "go")
    assert done.returncode == 2 and "usage" in done.stderr
