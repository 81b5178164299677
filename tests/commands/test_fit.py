"""End to end: every experiment YAML trains a few steps on the embedded sample and fills its run folder."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import torch
import yaml

from lightning_gan.commands import main
from lightning_gan.models.base import model_class

ROOT = Path(__file__).resolve().parents[2]
EXPERIMENTS = sorted(p.stem for p in (ROOT / "experiments").glob("*.yaml"))
QUICK = ["--trainer.max_epochs", "1", "--trainer.limit_train_batches", "2", "--trainer.limit_val_batches", "1",
         "--trainer.check_val_every_n_epoch", "1", "--data.batch_size", "4", "--trainer.enable_progress_bar", "false"]


def fit(experiment: str, runs: Path, *extra: str) -> None:
    main(["fit", "--config", str(ROOT / "experiments" / f"{experiment}.yaml"), "--runs_dir", str(runs), *QUICK, *extra])


def test_experiments_exist():
    assert {"gan_enhance", "dcgan_generate"} <= set(EXPERIMENTS)


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_experiment_fits_and_writes_its_run_folder(experiment, tmp_path, capsys):
    fit(experiment, tmp_path)
    run = tmp_path / experiment / "version_0"
    config = yaml.safe_load((run / "config.yaml").read_text())
    assert config["trainer"]["max_epochs"] == 1 and config["name"] == experiment
    assert (run / "checkpoints" / "last.ckpt").is_file()
    assert list((run / "checkpoints").glob("best-*.ckpt")), "best checkpoint by the validation metric"
    assert list((run / "images").glob("*.png"))
    metrics = (run / "metrics.csv").read_text().splitlines()
    header = metrics[0].split(",")
    loaded = model_class(config["model"]["class_path"]).load_from_checkpoint(run / "checkpoints" / "last.ckpt")
    metric, _ = loaded.monitor
    assert metric in header
    if metric != "val/swd_b":  # CycleGAN's validation translates only; the others also score D
        assert {"val/d_acc_real", "val/d_acc_fake"} <= set(header)
    checkpoint = torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)
    assert len(checkpoint["optimizer_states"]) == 2 and "rng" in checkpoint
    torch.testing.assert_close(loaded.inference_generator.state_dict(), {
        k.removeprefix("generator_ema.module."): v for k, v in checkpoint["state_dict"].items()
        if k.startswith("generator_ema.module.")})
    assert f"Run folder: {run}" in capsys.readouterr().out


def test_runs_never_overwrite_and_resume_from_last(tmp_path):
    fit("dcgan_generate", tmp_path)
    fit("dcgan_generate", tmp_path, "--ckpt_path", "last", "--trainer.max_epochs", "2")
    first, second = tmp_path / "dcgan_generate" / "version_0", tmp_path / "dcgan_generate" / "version_1"
    assert (first / "checkpoints" / "last.ckpt").is_file() and (second / "checkpoints" / "last.ckpt").is_file()
    resumed = torch.load(second / "checkpoints" / "last.ckpt", weights_only=True)
    before = torch.load(first / "checkpoints" / "last.ckpt", weights_only=True)
    assert resumed["epoch"] == before["epoch"] + 1
    assert resumed["state_dict"]["g_steps"].item() == 2 * before["state_dict"]["g_steps"].item()


def test_resume_without_a_previous_run_says_so(tmp_path, capsys):
    with pytest.raises(SystemExit) as caught:
        fit("gan_enhance", tmp_path, "--ckpt_path", "last")
    assert caught.value.code == 2
    assert re.search(r"no .*last.ckpt to resume from", capsys.readouterr().err)


def test_offline_wandb_run_reads_back_aligned_complete_and_summarised(two_class_folder, tmp_path, monkeypatch, recwarn):
    from wandb_records import complete_records, config, history, metric_summaries, run_name

    monkeypatch.setenv("WANDB_MODE", "offline")
    fit("gan_enhance", tmp_path, "--data.root", str(two_class_folder), "--name", "shop", "--trainer.max_epochs", "2")
    said = [str(w.message) for w in recwarn]
    assert not [m for m in said if "exists and is not empty" in m], "a brand-new run folder is not 'previous logs'"
    assert not [m for m in said if "args parameter is intended" in m]
    run = tmp_path / "shop" / "version_0"
    offline = list((run / "wandb").glob("offline-run-*"))
    assert len(offline) == 1
    assert list((offline[0] / "files" / "media" / "images").rglob("*.png")), "image grid sent to W&B"
    recs = complete_records(next(offline[0].glob("run-*.wandb")))  # flushed by another process
    rows = history(recs)
    metric_steps = {r["trainer/global_step"] for r in rows if "val/psnr" in r}
    image_steps = {r["trainer/global_step"] for r in rows if any(k.startswith("images/") for k in r)}
    assert len(metric_steps) == 2 and image_steps == metric_steps  # each grid beside the metrics of its validation
    captions = [r["images/val_degraded_enhanced_clean/captions"][0] for r in rows if "images/val_degraded_enhanced_clean/captions" in r]
    assert captions and "epoch 1" in captions[-1]
    rates = [r for r in rows if "lr/d" in r]
    assert rates and rates[0]["lr/g"] == pytest.approx(2e-4) and rates[0]["lr/d"] == pytest.approx(4e-5)
    settings = config(recs)
    assert settings["model.class_path"].endswith("GANEnhance") and settings["seed_everything"] == 0
    assert settings["model.d_optimizer.class_path"] == "torch.optim.Adam" and settings["model.d_optimizer.lr"] == pytest.approx(4e-5)
    assert settings["trainer.max_epochs"] == 2 and settings["data.degradation"] == "mixed"
    assert settings["config"] == [str(ROOT / "experiments" / "gan_enhance.yaml")]  # the path, not Path_fsr(...)
    assert metric_summaries(recs)["val/psnr"] == {"max"} and metric_summaries(recs)["val/swd"] == {"min"}
    assert re.fullmatch(r"shop/version_0-[0-9a-f]{6}", run_name(recs))  # unique across fresh clones


def test_unknown_experiment_lists_the_available_ones():
    result = subprocess.run(["make", "-s", "train", "EXP=no_such_experiment"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode != 0
    assert "Unknown experiment EXP=no_such_experiment" in result.stderr
    assert all(name in result.stderr for name in EXPERIMENTS)


@pytest.mark.parametrize("option,message", [
    (["--data.degradation", "sunburn"], "--data.degradation 'sunburn' is unknown"),
    (["--data.clean_share", "1.5"], "--data.clean_share 1.5 must be in [0, 1)"),
    (["--data.root", "/no/such/folder"], "--data.root: folder not found"),
    (["--ckpt_path", "/no/such.ckpt"], "--ckpt_path /no/such.ckpt: no such file"),
    (["--trainer.gradient_clip_val", "1.0"], "use --model.clip_grad_norm"),
], ids=["preset", "clean_share", "missing_root", "missing_ckpt", "gradient_clip_val"])
def test_bad_option_is_one_line_exit_2_and_leaves_no_run_folder(option, message, tmp_path, capsys):
    with pytest.raises(SystemExit) as caught:
        fit("gan_enhance", tmp_path, *option)
    assert caught.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("lightning-gan: error: ") and message in err[-1]
    assert "Traceback" not in "\n".join(err)
    assert not list(tmp_path.rglob("version_*"))


def test_empty_or_unreadable_data_root_leaves_no_run_folder(tmp_path, capsys):
    empty = tmp_path / "empty"
    (empty / "junk").mkdir(parents=True)
    (empty / "junk" / "broken.jpg").write_bytes(b"not a photo")
    with pytest.raises(SystemExit) as caught:
        fit("gan_enhance", tmp_path / "runs", "--data.root", str(empty))
    assert caught.value.code == 2
    assert "--data.root: no readable training image in" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists() or not list((tmp_path / "runs").rglob("version_*"))


class Payload:
    """Unpickling this runs code (touches a file): what a planted checkpoint would do."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_planted_checkpoints_are_never_unpickled(tmp_path, capsys, monkeypatch):
    """Every loading path is weights-only, also when torch is told to default to full unpickling."""
    from lightning_gan.inference import ModelError, load_checkpoint_model

    monkeypatch.setenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")
    marker = tmp_path / "code-ran"
    planted = tmp_path / "runs" / "gan_enhance" / "version_0" / "checkpoints" / "last.ckpt"
    planted.parent.mkdir(parents=True)
    torch.save({"state_dict": {}, "payload": Payload(marker)}, planted)
    for ckpt, said in (("last", "is unreadable"), (str(planted), "cannot be read as a checkpoint")):
        with pytest.raises(SystemExit) as caught:
            fit("gan_enhance", tmp_path / "runs", "--ckpt_path", ckpt)
        assert caught.value.code == 2
        assert said in capsys.readouterr().err
    with pytest.raises(ModelError, match="cannot read checkpoint"):
        load_checkpoint_model(planted)
    assert not marker.exists()


def test_corrupt_last_checkpoint_falls_back_to_the_newest_readable_one(tmp_path, capsys):
    fit("gan_enhance", tmp_path)
    run = tmp_path / "gan_enhance" / "version_0" / "checkpoints"
    best = next(run.glob("best-*.ckpt"))
    (run / "last.ckpt").write_bytes(b"truncated by a full disk")
    fit("gan_enhance", tmp_path, "--ckpt_path", "last", "--trainer.max_epochs", "2")
    err = capsys.readouterr().err
    assert f"{run / 'last.ckpt'} is unreadable" in err and f"resuming from {best}" in err
    resumed = torch.load(tmp_path / "gan_enhance" / "version_1" / "checkpoints" / "last.ckpt", weights_only=True)
    assert resumed["epoch"] == 1


def test_test_subcommand_scores_a_checkpoint_on_the_test_split(tmp_path):
    fit("gan_enhance", tmp_path)
    ckpt = tmp_path / "gan_enhance" / "version_0" / "checkpoints" / "last.ckpt"
    main(["test", "--config", str(ROOT / "experiments" / "gan_enhance.yaml"), "--runs_dir", str(tmp_path),
          "--ckpt_path", str(ckpt), "--trainer.limit_test_batches", "2", "--data.batch_size", "4"])
    header = (tmp_path / "gan_enhance" / "version_1" / "metrics.csv").read_text().splitlines()[0].split(",")
    assert {"test/psnr", "test/psnr_input", "test/ssim"} <= set(header)


@pytest.mark.parametrize("argv", [["predict", "--config", str(ROOT / "experiments" / "gan_enhance.yaml")],
                                  ["fit", "--config", str(ROOT / "experiments" / "gan_enhance.yaml"), "--optimizer", "Adam"]],
                         ids=["predict", "global_optimizer"])
def test_options_that_cannot_work_are_not_offered(argv, tmp_path, capsys):
    with pytest.raises(SystemExit) as caught:
        main([*argv, "--runs_dir", str(tmp_path)] if argv[0] == "fit" else argv)
    assert caught.value.code == 2
    assert not list(tmp_path.rglob("version_*"))


def test_config_by_bare_experiment_name(capsys):
    from lightning_gan.commands.fit import experiment_config

    assert experiment_config("gan_enhance").endswith("gan_enhance.yaml")
    assert experiment_config("my/own.yaml") == "my/own.yaml"  # paths are left to LightningCLI
    with pytest.raises(SystemExit) as caught:
        main(["fit", "--config", "no_such_experiment"])
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert "--config no_such_experiment: no such file or experiment" in err and "gan_enhance" in err


def test_last_checkpoint_follows_every_epoch_even_without_a_new_best(two_class_folder, tmp_path):
    # Learning rates 0: val/psnr never improves after epoch 0, so only last.ckpt can record epochs 1 and 2.
    fit("gan_enhance", tmp_path, "--data.root", str(two_class_folder), "--trainer.max_epochs", "3",
        "--model.g_lr", "0", "--model.d_lr", "0")
    folder = tmp_path / "gan_enhance" / "version_0" / "checkpoints"
    assert torch.load(folder / "last.ckpt", weights_only=True)["epoch"] == 2
    best = [p for p in folder.glob("best-*.ckpt")]
    assert len(best) == 1 and torch.load(best[0], weights_only=True)["epoch"] == 0


def test_a_saved_run_config_reruns_as_a_new_run_with_the_same_settings(two_class_folder, tmp_path):
    fit("gan_enhance", tmp_path, "--data.root", str(two_class_folder), "--name", "again")
    first = tmp_path / "again" / "version_0" / "config.yaml"
    main(["fit", "--config", str(first)])
    second = tmp_path / "again" / "version_1" / "config.yaml"
    assert yaml.safe_load(second.read_text()) == yaml.safe_load(first.read_text())


def test_progress_lines_when_the_output_is_not_a_terminal(tmp_path, capsys):
    """`make train > log`: a live bar writes nothing to a file, so plain lines say how far the run is."""
    fit("gan_enhance", tmp_path)
    out = capsys.readouterr().out
    assert re.search(r"epoch 1/1  batch 2/2  [0-9.]+ batches/s  .*train/g_loss", out)
    assert re.search(r"epoch 1/1 validated  .*val/psnr [0-9.]+.*  elapsed", out)


def test_ctrl_c_writes_why_and_prints_the_run_folder(tmp_path, capsys, monkeypatch):
    import json
    import signal

    from lightning_gan.models.base import AdversarialModule

    def interrupted(self, batch, batch_idx):
        raise KeyboardInterrupt

    monkeypatch.setattr(AdversarialModule, "training_step", interrupted)
    try:
        with pytest.raises(SystemExit):
            fit("gan_enhance", tmp_path)
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)  # Lightning ignores further Ctrl-C while it shuts down
    run = tmp_path / "gan_enhance" / "version_0"
    assert json.loads((run / "summary.json").read_text())["status"] == "stopped: KeyboardInterrupt (Ctrl-C)"
    assert f"Run folder: {run}" in capsys.readouterr().out


@pytest.mark.parametrize("option, message", [
    (["--model.l1_weigth", "3"], "--model.l1_weigth: GANEnhance has no such option"),
    (["--data.image_sise", "3"], "--data.image_sise: ProductImageDataModule has no such option"),
    (["--trainer.max_epochs", "abc"], "--trainer.max_epochs:"),
])
def test_a_misspelt_or_bad_option_is_one_line(option, message, tmp_path, capsys):
    with pytest.raises(SystemExit) as caught:
        fit("gan_enhance", tmp_path, *option)
    err = capsys.readouterr().err.strip()
    assert caught.value.code == 2 and message in err and len(err.splitlines()) == 1, err
    assert not (tmp_path / "gan_enhance").exists()


def test_a_config_naming_another_module_is_refused_before_importing_it(tmp_path, capsys):
    import sys

    config = tmp_path / "evil.yaml"
    config.write_text("model:\n  class_path: this.Nothing\n")
    with pytest.raises(SystemExit) as caught:
        main(["fit", "--config", str(config), "--runs_dir", str(tmp_path)])
    assert caught.value.code == 2 and "this" not in sys.modules
    assert "'this.Nothing' is not a lightning-gan class" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["fit", "--config", str(ROOT / "experiments" / "gan_enhance.yaml"), "--model", "antigravity.Fly"])
    assert "antigravity" not in sys.modules
