"""Training guards, metric options of DCGAN, run summaries, and the evaluation W&B table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from lightning_gan.commands import main
from lightning_gan.evaluation.metrics import inception_weights
from lightning_gan.inference import load_checkpoint_model
from lightning_gan.models.base import TrainingStopped
from lightning_gan.models.dcgan import DCGAN

ROOT = Path(__file__).resolve().parents[2]
QUICK = ["--trainer.limit_train_batches", "2", "--trainer.limit_val_batches", "1", "--trainer.check_val_every_n_epoch", "1",
         "--data.batch_size", "4", "--trainer.enable_progress_bar", "false", "--model.init_args.g_width", "8",
         "--model.init_args.d_width", "8"]


def test_dcgan_metric_options_are_checked(monkeypatch, tmp_path):
    with pytest.raises(ValueError, match="unknown bogus"):
        DCGAN(metrics=["swd", "bogus"])
    with pytest.raises(ValueError, match="must be one of the computed metrics: val/swd"):
        DCGAN(monitor="val/fid")
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    assert inception_weights()[0] is None
    with pytest.raises(ValueError, match="Inception weights are not at"):
        DCGAN(metrics=["swd", "fid"], monitor="val/fid")
    with pytest.warns(UserWarning, match="FID/KID/IS not computed"):
        model = DCGAN(metrics=["swd", "kid"])
    assert model.metric_names == ("swd",)


# --- guards --------------------------------------------------------------------------------------------------


def explode_after_first_epoch(tmp_path: Path) -> Path:
    """A config whose learning rates grow x1e30 after epoch 0, so the losses turn NaN in epoch 1."""
    scheduler = {"class_path": "torch.optim.lr_scheduler.StepLR", "init_args": {"step_size": 1, "gamma": 1.0e30}}
    path = tmp_path / "explode.yaml"
    path.write_text(json.dumps({"model": {"init_args": {"g_scheduler": scheduler, "d_scheduler": scheduler}}}))
    return path


def test_nan_loss_stops_the_run_and_keeps_the_last_good_checkpoint(tmp_path, capsys):
    args = ["fit", "--config", str(ROOT / "experiments" / "dcgan_generate.yaml"), "--config", str(explode_after_first_epoch(tmp_path)),
            "--runs_dir", str(tmp_path), "--trainer.max_epochs", "2", *QUICK]
    with pytest.raises(SystemExit) as stop:
        main(args)
    assert stop.value.code == 3
    message = capsys.readouterr().err
    assert "non-finite loss at step" in message and "= nan" in message and "last good checkpoint" in message
    run = tmp_path / "dcgan_generate" / "version_0"
    model = load_checkpoint_model(run / "checkpoints" / "last.ckpt")
    assert all(torch.isfinite(p).all() for p in model.parameters())
    summary = json.loads((run / "summary.json").read_text())
    assert summary["status"].startswith("stopped: non-finite loss")

    main([*args, "--model.init_args.nonfinite", "skip"])  # the same run, skipping the bad steps, finishes
    assert json.loads((tmp_path / "dcgan_generate" / "version_1" / "summary.json").read_text())["status"] == "finished"


def test_collapse_guard_needs_a_low_d_loss_and_a_rising_g_loss():
    model = DCGAN(latent_dim=8, g_width=8, d_width=8, image_size=16, collapse_steps=5, collapse_d_loss=0.01)
    for g in (1.0, 0.9, 0.8, 0.7, 0.6, 0.5):  # G improving: no stop
        model._watch_collapse(0.001, g)
    model._watch_collapse(0.5, 1.0)  # D recovers: the count starts again
    for g in (1.0, 1.1, 1.2, 1.3):
        model._watch_collapse(0.001, g)
    with pytest.raises(TrainingStopped, match=r"collapsed at step 0 .*1 -> 1.4"):
        model._watch_collapse(0.001, 1.4)


def test_evaluate_logs_its_table_to_an_offline_wandb_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    main(["evaluate", "--model", "gaussian_filter", "--degradation", "noise", "--limit", "2", "--out", "ev/r.json",
          "--wandb", "offline"])
    runs = list((tmp_path / "ev" / "wandb").glob("offline-run-*/run-*.wandb"))
    assert len(runs) == 1 and runs[0].stat().st_size > 0
    from wandb_records import complete_records, config, run_name

    recs = complete_records(runs[0])  # flushed by another process
    assert run_name(recs).startswith("evaluate/noise/r-")
    assert config(recs)["models"] == ["gaussian_filter"]
    summaries = [record.summary for record in recs if record.WhichOneof("record_type") == "summary"]
    keys = {item.key or "/".join(item.nested_key) for summary in summaries for item in summary.update}
    assert "gaussian_filter/psnr" in keys and "input/psnr" in keys
    assert json.loads((tmp_path / "ev" / "r.json").read_text())["rows"][0]["method"] in ("gaussian_filter", "input")
