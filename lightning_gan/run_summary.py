"""`RunSummary`: each run's summary.json (wall time, hardware, steps, best checkpoint), read by `lightning-gan compare`."""

from __future__ import annotations

import json
import os
import platform
import time
from datetime import datetime, timezone
from pathlib import Path

import lightning as L
import torch

from lightning_gan.files import atomic_path


def hardware(trainer: L.Trainer) -> str:
    """What the run trained on, in words: the GPU model and count, or the CPU and its cores."""
    if trainer.strategy.root_device.type == "cuda":
        return f"{trainer.num_devices} x {torch.cuda.get_device_name(trainer.strategy.root_device)}"
    cpu = platform.processor() or platform.machine()
    return f"CPU {cpu}, {os.cpu_count()} cores, {trainer.num_devices} process(es)"


class RunSummary(L.Callback):
    """Writes <run>/summary.json at the end of fit, also when the run stops with an error."""

    def __init__(self, run_dir: Path, experiment: str):
        self.run_dir, self.experiment = Path(run_dir), experiment
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

    def on_exception(self, trainer, pl_module, exception: BaseException) -> None:
        self._write(trainer, pl_module, f"stopped: {exception}")
