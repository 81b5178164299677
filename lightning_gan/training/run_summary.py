"""Run-folder callbacks: `RunSummary` writes each run's summary.json (wall time, hardware, steps, best checkpoint),
read by `lightning-gan compare`; `LineProgress` prints progress as plain lines when the output is not a terminal."""

from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import lightning as L
import torch

from lightning_gan.files import atomic_path, first_line
from lightning_gan.models.base import TrainingStopped


def hardware(trainer: L.Trainer) -> str:
    """What the run trained on, in words: the GPU model and count, or the CPU and its cores."""
    if trainer.strategy.root_device.type == "cuda":
        return f"{trainer.num_devices} x {torch.cuda.get_device_name(trainer.strategy.root_device)}"
    cpu = platform.processor() or platform.machine()
    return f"CPU {cpu}, {os.cpu_count()} cores, {trainer.num_devices} process(es)"


def describe(exception: BaseException) -> str:
    """Why a run stopped, in words: "KeyboardInterrupt (Ctrl-C)", or the exception's type and message."""
    if isinstance(exception, KeyboardInterrupt):
        return "KeyboardInterrupt (Ctrl-C)"
    if not str(exception).strip():
        return type(exception).__name__
    if isinstance(exception, TrainingStopped):  # the project's own guards say why in words
        return first_line(exception)
    return f"{type(exception).__name__}: {first_line(exception)}"


class RunSummary(L.Callback):
    """Writes <run>/summary.json at the end of fit, also when the run stops with an error or Ctrl-C (then `report`,
    e.g. the CLI's "Run folder:" summary, is printed too: Lightning exits without its after-fit hook)."""

    def __init__(self, run_dir: Path, experiment: str, report: Callable[[], None] | None = None, job: str = "fit"):
        self.run_dir, self.experiment, self.report, self.job = Path(run_dir), experiment, report, job
        self.start = time.perf_counter()
        self.started = datetime.now(timezone.utc).isoformat(timespec="seconds")

    def on_fit_start(self, trainer, pl_module) -> None:
        self.start = time.perf_counter()
        self.started = datetime.now(timezone.utc).isoformat(timespec="seconds")

    def _write(self, trainer, pl_module, status: str) -> None:
        if not trainer.is_global_zero:
            return
        callback = trainer.checkpoint_callback
        best = None
        if callback is not None and callback.best_model_score is not None:
            best = {"metric": callback.monitor, "value": float(callback.best_model_score), "path": callback.best_model_path}
        summary = {
            "experiment": self.experiment,
            "job": self.job,  # fit, validate or test: `compare` keeps evaluation runs apart from training runs
            "model": type(pl_module).__name__,
            "status": status,
            "started": self.started,
            "wall_seconds": round(time.perf_counter() - self.start, 1),
            "hardware": hardware(trainer),
            "precision": str(trainer.precision),
            "global_step": trainer.global_step,
            "g_steps": int(getattr(pl_module, "g_steps", 0)),
            "epochs": trainer.current_epoch,
            "best": best,
            "torch": torch.__version__,
        }
        self.run_dir.mkdir(parents=True, exist_ok=True)
        with atomic_path(self.run_dir / "summary.json") as temporary:
            temporary.write_text(json.dumps(summary, indent=2))

    def on_fit_end(self, trainer, pl_module) -> None:
        self._write(trainer, pl_module, "finished")

    def on_validation_end(self, trainer, pl_module) -> None:
        if self.job == "validate":
            self._write(trainer, pl_module, "finished")

    def on_test_end(self, trainer, pl_module) -> None:
        self._write(trainer, pl_module, "finished")

    def on_exception(self, trainer, pl_module, exception: BaseException) -> None:
        self._write(trainer, pl_module, f"stopped: {describe(exception)}")
        if isinstance(exception, KeyboardInterrupt) and self.report is not None:
            self.report()


def _duration(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{seconds:02d}s"


class LineProgress(L.Callback):
    """Progress as plain lines, for logs and pipes (`make train > log`), where a live progress bar writes nothing
    until the end: `lines_per_epoch` lines during each training epoch (batch, speed, losses) and one after each
    validation (its metrics, elapsed time)."""

    def __init__(self, lines_per_epoch: int = 4):
        self.lines_per_epoch = lines_per_epoch
        self.start = time.perf_counter()
        self.epoch_start = self.start

    def on_fit_start(self, trainer, pl_module) -> None:
        self.start = time.perf_counter()

    def on_train_epoch_start(self, trainer, pl_module) -> None:
        self.epoch_start = time.perf_counter()

    def _epochs(self, trainer) -> str:
        return f"{trainer.current_epoch + 1}/{trainer.max_epochs}" if trainer.max_epochs and trainer.max_epochs > 0 \
            else str(trainer.current_epoch + 1)

    @staticmethod
    def _metrics(trainer, prefix: str, suffix: str = "") -> str:
        values = {k: v for k, v in trainer.callback_metrics.items()
                  if k.startswith(prefix) and k.endswith(suffix) and v.numel() == 1}
        return "  ".join(f"{k} {float(v):.4g}" for k, v in sorted(values.items()))

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx: int) -> None:
        total = trainer.num_training_batches
        if not trainer.is_global_zero or not isinstance(total, int) or total <= 0:
            return
        every = max(1, total // self.lines_per_epoch)
        done = batch_idx + 1
        if done % every == 0 or done == total:
            speed = done / max(time.perf_counter() - self.epoch_start, 1e-9)
            print(f"epoch {self._epochs(trainer)}  batch {done}/{total}  {speed:.2f} batches/s  "
                  f"{self._metrics(trainer, 'train/', '_loss')}", flush=True)

    def on_validation_end(self, trainer, pl_module) -> None:
        if trainer.is_global_zero and not trainer.sanity_checking:
            print(f"epoch {self._epochs(trainer)} validated  {self._metrics(trainer, 'val/')}  "
                  f"elapsed {_duration(time.perf_counter() - self.start)}", flush=True)
