"""pyproject.toml: the wheel holds what a `pip install` user needs, and installs and runs without this checkout."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
from pathlib import Path

import tomllib
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]


def test_declared_dependencies_cover_what_the_core_imports():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = " ".join(project["dependencies"]).lower()
    for needed in ("torch", "lightning>=2.5.2", "torchmetrics", "kornia", "wandb", "jsonargparse", "pyyaml", "safetensors"):
        assert needed in names
    assert "torch-fidelity" not in names and "matplotlib" not in names  # optional features live in extras
    assert {"metrics", "compare", "app", "export", "stream"} <= set(project["optional-dependencies"])
    assert "litdata" not in names  # streaming is optional: the in-memory cache needs nothing more
    assert (ROOT / "LICENSE").is_file()


def test_wheel_installs_into_a_fresh_venv_and_enhances_with_a_shipped_model(tmp_path):
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "-v", "--no-deps", "--no-build-isolation", "-w",
                            str(tmp_path / "dist"), str(ROOT)], check=True, capture_output=True, text=True)
    said = built.stdout + built.stderr
    assert "Package would be ignored" not in said and "!!" not in said, said[-2000:]  # no setuptools warning block
    wheel = next((tmp_path / "dist").glob("lightning_gan-*.whl"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    # The dependencies come from this environment (no network); a .pth in a plain path is not itself a site dir,
    # so this checkout's editable install of lightning_gan stays invisible to the fresh venv.
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), str(wheel)],
                   check=True, capture_output=True)
    work = tmp_path / "shop"
    work.mkdir()
    Image.new("RGB", (64, 48), (90, 60, 40)).save(work / "photo.jpg")
    where = subprocess.run([str(python), "-c", "import lightning_gan; print(lightning_gan.__file__)"], cwd=work,
                           check=True, capture_output=True, text=True).stdout
    assert str(site) in where and str(ROOT) not in where
    done = subprocess.run([str(python), "-m", "lightning_gan", "enhance", "photo.jpg", "out", "--model", "enhance"],
                          cwd=work, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert Image.open(work / "out" / "photo.jpg").size == (64, 48)
    config = subprocess.run([str(python), "-m", "lightning_gan", "fit", "--config", "gan_enhance", "--print_config"],
                            cwd=work, capture_output=True, text=True, env={"WANDB_MODE": "disabled", "PATH": "/usr/bin:/bin"})
    assert config.returncode == 0, config.stderr
    assert "GANEnhance" in config.stdout
