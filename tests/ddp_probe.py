"""A callback the DDP test adds through the CLI (`--trainer.callbacks+=ddp_probe.RankProbe`): what each rank saw."""

from __future__ import annotations

from pathlib import Path

import lightning as L
import torch


class RankProbe(L.Callback):
    """Saves, per rank, the training indices it got, one draw of its RNG per batch, and its final weights."""

    def __init__(self, out_dir: str):
        self.out_dir = Path(out_dir)
        self.indices: list[torch.Tensor] = []
        self.draws: list[float] = []

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        self.indices.append(batch["index"].cpu())
        self.draws.append(float(torch.rand(())))

    def on_train_end(self, trainer, pl_module):
        self.out_dir.mkdir(parents=True, exist_ok=True)
        torch.save({"indices": torch.cat(self.indices), "draws": self.draws, "steps": trainer.global_step,
                    "world_size": trainer.world_size,
                    "generator": {k: v.cpu() for k, v in pl_module.generator.state_dict().items()},
                    "discriminator": {k: v.cpu() for k, v in pl_module.discriminator.state_dict().items()}},
                   self.out_dir / f"rank{trainer.global_rank}.pt")
