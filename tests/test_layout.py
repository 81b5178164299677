"""The package's layout rules (README, "Project layout"): nobody imports a command, inference and nets load shipped models
without Lightning, every tool's --help starts without torch, and the module paths from before the split still work."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import lightning_gan
from lightning_gan._moved import MOVED
from lightning_gan.commands import TOOLS

PACKAGE = Path(lightning_gan.__file__).parent


def imports_of(path: Path, top_level_only: bool = False) -> set[str]:
    """Modules a file imports (`from a.b import c` gives a.b and a.b.c), everywhere or in its module body only."""
    tree = ast.parse(path.read_text())
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def is_under(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_no_library_module_imports_a_command():
    commands = PACKAGE / "commands"
    offenders = [str(f.relative_to(PACKAGE)) for f in PACKAGE.rglob("*.py")
                 if commands not in f.parents and f.name != "__main__.py"
                 and any(is_under(m, "lightning_gan.commands") for m in imports_of(f))]
    assert offenders == []


def test_inference_and_nets_modules_import_neither_lightning_nor_the_training_modules():
    offenders = {}
    for folder in ("inference", "nets"):
        for f in (PACKAGE / folder).rglob("*.py"):
            bad = [m for m in imports_of(f, top_level_only=True)
                   if is_under(m, "lightning") or is_under(m, "lightning_gan.models") or is_under(m, "lightning_gan.training")]
            if bad:
                offenders[str(f.relative_to(PACKAGE))] = bad
    assert offenders == {}


def test_loading_and_running_every_shipped_model_imports_no_lightning():
    probe = ("import sys, numpy as np, lightning_gan\n"
             "photo = (np.random.default_rng(0).random((40, 48, 3)) * 255).astype('uint8')\n"
             "mask = np.zeros((40, 48), bool); mask[10:20, 10:20] = True\n"
             "for name, task in lightning_gan.list_models().items():\n"
             "    model = lightning_gan.load_model(name, device='cpu')\n"
             "    if name == 'grocery':\n"
             "        model(2, seed=0)\n"
             "    elif name == 'inpaint':\n"
             "        model(photo, mask=mask)\n"
             "    elif name == 'fix':\n"
             "        model(photo)\n"
             "    else:\n"
             "        model(photo)\n"
             "print(sorted(m for m in sys.modules if m.split('.')[0] in ('lightning', 'pytorch_lightning', 'jsonargparse')"
             " or m.startswith(('lightning_gan.models', 'lightning_gan.training'))))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_every_tool_help_starts_without_torch():
    probe = ("import sys\nfrom lightning_gan.commands import main\n"
             f"for tool in {list(TOOLS)!r}:\n"
             "    try:\n        main([tool, '--help'])\n    except SystemExit:\n        pass\n"
             "print('LOADED', sorted(m for m in ('torch', 'numpy', 'PIL', 'lightning') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    for tool in TOOLS:
        assert f"lightning-gan {tool}" in result.stdout, tool  # every parser printed its usage
    assert result.stdout.strip().splitlines()[-1] == "LOADED []"


# One public name per module path from before the split (a user's `from lightning_gan.X import Y`).
OLD_NAMES = {"cli": "run", "main": "main", "enhance": "renamed", "evaluate": "hole_scores", "generate": "load_generator_model",
             "translate": "load_translator", "export": "exportable", "prepare": "main", "compare": "compare",
             "score_generator": "score", "domain": "load_domain_classifier", "metrics": "lpips_metric",
             "photos": "read_image", "baselines": "BASELINES", "analysis": "analyse", "autofix": "Fixer",
             "losses": "weighted_l1", "diffaugment": "diff_augment", "perceptual": "PerceptualLoss",
             "run_summary": "RunSummary", "inference": "load_restorer", "api": "load_model", "app": "fix_files"}


def test_every_old_import_path_still_works():
    assert set(MOVED) <= set(OLD_NAMES)
    for old, name in OLD_NAMES.items():
        module = importlib.import_module(f"lightning_gan.{old}")
        assert callable(getattr(module, name)) or isinstance(getattr(module, name), dict), f"lightning_gan.{old}.{name}"
