"""compare.py: tables, plots and HTML reports of runs, and a clear error without runs."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from lightning_gan.commands import main
from lightning_gan.commands.compare import compare

ROOT = Path(__file__).resolve().parents[2]
QUICK = ["--trainer.limit_train_batches", "2", "--trainer.limit_val_batches", "1", "--trainer.check_val_every_n_epoch", "1",
         "--data.batch_size", "4", "--trainer.enable_progress_bar", "false", "--model.init_args.g_width", "8",
         "--model.init_args.d_width", "8"]


def test_compare_two_runs_table_plot_and_html_match_the_run_files(tmp_path, capsys):
    base = ["fit", "--config", str(ROOT / "experiments" / "dcgan_generate.yaml"), "--runs_dir", str(tmp_path), *QUICK]
    main([*base, "--trainer.max_epochs", "2"])
    main([*base, "--trainer.max_epochs", "3", "--model.init_args.diff_augment", ""])
    capsys.readouterr()
    main(["compare", str(tmp_path / "dcgan_generate")])
    table = capsys.readouterr().out
    out = tmp_path / "dcgan_generate" / "comparison"
    assert (out / "comparison.png").stat().st_size > 1000
    html = (out / "comparison.html").read_text()
    assert "<table>" in html and "data:image/png;base64," in html
    rows = json.loads((out / "comparison.json").read_text())
    assert [Path(r["run"]).name for r in rows] == ["version_0", "version_1"]
    for row in rows:
        with open(Path(row["run"]) / "metrics.csv", newline="") as f:
            swd = [float(r["val/swd"]) for r in csv.DictReader(f) if r["val/swd"]]
        summary = json.loads((Path(row["run"]) / "summary.json").read_text())
        assert row["metrics"]["val/swd"]["best"] == min(swd) and row["metrics"]["val/swd"]["final"] == swd[-1]
        assert row["g_steps"] == summary["g_steps"] and row["wall_seconds"] == summary["wall_seconds"]
        assert f"{min(swd):.2f} / {swd[-1]:.2f}" in table
    assert 'model.diff_augment=""' in table and "trainer.max_epochs=3" in table
    assert "model.g_width" not in table  # equal in both runs: not a difference


def test_compare_names_a_folder_without_runs(tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["compare", str(tmp_path)])
    assert stop.value.code == 2 and "no metrics.csv" in capsys.readouterr().err
    with pytest.raises(FileNotFoundError):
        compare([tmp_path / "nothing"], None, None)


def test_evaluation_runs_are_listed_apart_from_training_runs(tmp_path, capsys):
    config = str(ROOT / "experiments" / "gan_enhance.yaml")
    main(["fit", "--config", config, "--runs_dir", str(tmp_path), "--trainer.max_epochs", "1", *QUICK[:8]])
    ckpt = tmp_path / "gan_enhance" / "version_0" / "checkpoints" / "last.ckpt"
    main(["test", "--config", config, "--runs_dir", str(tmp_path), "--ckpt_path", str(ckpt),
          "--trainer.limit_test_batches", "1", "--data.batch_size", "4"])
    assert json.loads((tmp_path / "gan_enhance" / "version_1" / "summary.json").read_text())["job"] == "test"
    capsys.readouterr()
    main(["compare", str(tmp_path / "gan_enhance")])
    table = capsys.readouterr().out
    training, _, evaluation = table.partition("Evaluation runs")
    assert "version_0" in training and "version_1" not in training
    assert "| version_1 | test |" in evaluation and str(ckpt) in evaluation
    rows = json.loads((tmp_path / "gan_enhance" / "comparison" / "comparison.json").read_text())
    assert [r["job"] for r in rows] == ["fit", "test"]
