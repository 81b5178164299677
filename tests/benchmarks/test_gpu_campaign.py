"""benchmarks/gpu_campaign.sh --dry-run: the GPU campaign runs end to end on the CPU, so it cannot rot between GPU jobs."""

from __future__ import annotations

import json
import os
import re
import subprocess
import tarfile
from pathlib import Path

import pytest
import torch

from lightning_gan.inference import load_pretrained_model

ROOT = Path(__file__).resolve().parents[2]
ALL_TASKS = {"enhance", "denoise", "sr4x", "inpaint", "cgan", "grocery"}
DEFAULT_TASKS = {"denoise", "grocery"}  # the open issues' models (32, 36)
# The default tasks: a restorer with its warm start (denoise) and the class-conditional generator (grocery). Every
# experiment YAML already trains in tests/commands/test_fit.py, a model with a mask input is exported in the shipped
# format in tests/inference/test_restorer.py, and the inpainting warm start is checked below; each task more here costs
# about 25 s of start-ups.
DRY_TASKS = ("denoise", "grocery")


def campaign_table(script: str, name: str) -> dict[str, str]:
    """A `declare -A NAME=( [key]=value ... )` table of the campaign script (values unquoted)."""
    body = script.split(f"declare -A {name}=(", 1)[1].split(")\n", 1)[0]
    return {k: v.strip('"') for k, v in re.findall(r"\[(\w+)\]=(\"[^\"]*\"|\S+)", body)}


def test_campaign_trains_the_open_issues_models_by_default_and_knows_every_task():
    script = (ROOT / "benchmarks/gpu_campaign.sh").read_text()
    default = re.search(r'TASKS=\$\{TASKS:-"([^"]+)"\}', script)
    assert default and set(default.group(1).split()) == DEFAULT_TASKS
    configs = dict(re.findall(r"\[(\w+)\]=(\w+)", script.split("declare -A CONFIG=(", 1)[1].split(")", 1)[0]))
    assert set(configs) == ALL_TASKS
    assert all((ROOT / "experiments" / f"{configs[task]}.yaml").is_file() for task in ALL_TASKS)
    budget = {k: int(v) for k, v in campaign_table(script, "BUDGET").items()}
    # 9 minutes of a 10-minute device command: training plus about 75 s of start-up, validation and export each
    assert set(budget) == DEFAULT_TASKS and sum(budget.values()) + 75 * len(budget) + 60 <= 540


def test_campaign_warm_starts_fit_their_experiments():
    """Each warm start of the campaign (a shipped model) loads into the generator its experiment builds, with the
    campaign's own arguments, or the GPU job's step would fail there."""
    import yaml

    from lightning_gan.models.cgan import ConditionalGAN
    from lightning_gan.models.eagan import EAGAN
    from lightning_gan.models.warm_start import warm_start

    script = (ROOT / "benchmarks/gpu_campaign.sh").read_text()
    configs = dict(re.findall(r"\[(\w+)\]=(\w+)", script.split("declare -A CONFIG=(", 1)[1].split(")", 1)[0]))
    warm = campaign_table(script, "WARM_ARGS")
    assert "--model.init_from denoise" in warm["denoise"] and "--model.init_from grocery" in warm["grocery"]
    for task in ("denoise", "grocery"):
        args = dict(zip(warm[task].split()[::2], warm[task].split()[1::2], strict=True))
        config = yaml.safe_load((ROOT / "experiments" / f"{configs[task]}.yaml").read_text())["model"]["init_args"]
        if task == "denoise":
            arch = {k: config[k] for k in ("generator", "width", "blocks", "noise_map", "noise_estimator")}
            model = EAGAN(**arch, level_blocks=int(args["--model.level_blocks"]))
        else:
            keys = ("latent_dim", "image_size", "g_width", "generator")
            model = ConditionalGAN(**{k: config[k] for k in keys}, classes=[f"class {i}" for i in range(43)])
        before = {k: v.clone() for k, v in model.generator.state_dict().items()}
        warm_start(model, args["--model.init_from"])
        changed = [k for k, v in model.generator.state_dict().items() if not torch.equal(v, before[k])]
        assert len(changed) > len(before) // 2, task


@pytest.mark.slow
def test_campaign_dry_run_trains_exports_and_reports(tmp_path):
    out = tmp_path / "out"
    done = subprocess.run(["bash", "benchmarks/gpu_campaign.sh", "--dry-run", "--out", str(out)], cwd=ROOT,
                          env={**os.environ, "TASKS": " ".join(DRY_TASKS), "SPEED": "1"}, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert sorted(p.name for p in out.iterdir()) == ["campaign.log", "models.tar", "results.json", "results.md", "throughput.json"]
    result = json.loads((out / "results.json").read_text())
    assert result["dry_run"] is True
    failed = [s for s in result["steps"] if s["rc"] != 0]
    assert not failed, failed
    assert {s["step"] for s in result["steps"]} >= {"speed"} | {f"{kind}_{task}" for task in DRY_TASKS for kind in ("train", "export")}
    assert set(result["models"]) == set(DRY_TASKS)
    assert all(result["models"][n]["best"] is not None for n in result["models"])
    with tarfile.open(out / "models.tar") as archive:
        archive.extractall(tmp_path, filter="data")
    card = json.loads((tmp_path / "models" / "denoise.json").read_text())
    assert card["training"]["hardware"] == "CPU (dry run)"
    model = load_pretrained_model("denoise", tmp_path / "models").eval()
    assert torch.isfinite(model.enhance(torch.rand(1, 3, 32, 32))).all()
    generator = load_pretrained_model("grocery", tmp_path / "models").eval()  # the shipped generator's format
    assert generator.render(torch.randn(2, generator.hparams.latent_dim), torch.tensor([0, 1])).shape == (2, 3, 64, 64)
    assert "| train_denoise | 0 |" in (out / "results.md").read_text()


def test_inpaint_warm_start_of_the_campaign_fits_the_experiment():
    """The campaign trains `eagan_inpaint` with `--model.init_from inpaint`: the shipped weights must fit the YAML's
    generator, or the GPU job's inpainting step fails."""
    import yaml

    from lightning_gan.models.eagan import EAGAN
    from lightning_gan.models.enhance_base import generator_weights, load_grown

    assert "--model.init_from inpaint" in (ROOT / "benchmarks/gpu_campaign.sh").read_text()
    config = yaml.safe_load((ROOT / "experiments/eagan_inpaint.yaml").read_text())["model"]["init_args"]
    arch = {k: config[k] for k in ("generator", "width", "blocks", "use_mask")}
    model, untrained = EAGAN(**arch).eval(), EAGAN(**arch).eval()  # untrained: returns the hole's diffusion prefill
    load_grown(model.generator, generator_weights("inpaint"), "inpaint")
    with torch.no_grad():
        photo, mask = torch.rand(1, 3, 64, 64), torch.zeros(1, 1, 64, 64)
        mask[..., 16:48, 16:48] = 1
        change = model.enhance(photo, mask, model.generator) - untrained.enhance(photo, mask, untrained.generator)
        assert change.abs()[..., 16:48, 16:48].mean() > 0.005  # the shipped weights refine the prefill
