"""`AdversarialModule`: the manual two-optimizer training step every GAN variant shares."""

from __future__ import annotations

import copy
import importlib
import math
import random
from pathlib import Path
from typing import Literal

import lightning as L
import numpy as np
import torch
from lightning.pytorch.cli import LRSchedulerCallable, OptimizerCallable
from lightning.pytorch.utilities import rank_zero_warn
from torch import Tensor, nn
from torchvision.utils import save_image

from lightning_gan.training.losses import ADVERSARIAL, THRESHOLD, LossName, d_accuracy


class EMA(nn.Module):
    """Exponential moving average of the generator's weights: its samples are steadier than the last step's.

    The decay warms up as min(decay, (1 + n) / (10 + n)) so short runs are not dominated by the initial weights.
    """

    def __init__(self, model: nn.Module, decay: float):
        super().__init__()
        self.module = copy.deepcopy(model).requires_grad_(False)
        self.decay = decay
        self.register_buffer("updates", torch.zeros((), dtype=torch.long))

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        self.updates += 1
        n = self.updates.float()
        weight = 1.0 - torch.clamp((1 + n) / (10 + n), max=self.decay)  # a tensor: no GPU sync
        for average, current in zip(self.module.parameters(), model.parameters()):
            average.lerp_(current.detach(), weight)
        for average, current in zip(self.module.buffers(), model.buffers()):
            average.copy_(current)

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)


_MODELS: dict[str, type] = {}  # every AdversarialModule subclass defined so far, by "module.Class"


def model_class(class_path: str) -> type[L.LightningModule]:
    """The class named in a checkpoint: one already defined in this process (any module, e.g. a user's own
    variant), or one of this project's `lightning_gan.models.*` modules, imported on demand. Nothing else is
    imported because a checkpoint names it: a checkpoint is data, never a way to run code."""
    if class_path in _MODELS:
        return _MODELS[class_path]
    module_name, _, name = class_path.rpartition(".")
    if not module_name.startswith("lightning_gan.models."):
        raise ValueError(f"unknown model class {class_path!r}: import the module that defines it first "
                         "(only lightning_gan.models.* is imported on demand)")
    try:
        importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        raise ValueError(f"unknown model class {class_path!r}: no module {module_name}") from error
    if class_path not in _MODELS:
        raise ValueError(f"unknown model class {class_path!r}: {module_name} has no model named {name!r}")
    return _MODELS[class_path]


def _numpy_state_to_tensors() -> dict:
    """NumPy's RNG state in types a weights-only checkpoint load accepts."""
    _, keys, pos, has_gauss, gauss = np.random.get_state()
    return {"keys": torch.from_numpy(keys.astype(np.int64)), "pos": int(pos), "has_gauss": int(has_gauss), "gauss": float(gauss)}


def batch_size(batch: dict) -> int:
    return len(next(v for v in batch.values() if isinstance(v, Tensor)))


def default_adam(lr: float) -> OptimizerCallable:
    return lambda params: torch.optim.Adam(params, lr=lr, betas=(0.5, 0.999))


def with_rate(make: OptimizerCallable, lr: float | None) -> OptimizerCallable:
    """`make` with every parameter group's learning rate set to `lr` (None: as configured)."""
    if lr is None:
        return make

    def build(params):
        optimizer = make(params)
        for group in optimizer.param_groups:
            group["lr"] = lr
        return optimizer

    return build


class TrainingStopped(RuntimeError):
    """Raised by the training guards (non-finite loss, collapsed discriminator); the CLI exits non-zero on it."""


class ConstantThenLinearLR(torch.optim.lr_scheduler.LambdaLR):
    """CycleGAN's schedule, stepped per epoch: the base rate for `constant_epochs`, then linearly to 0 over `decay_epochs`."""

    def __init__(self, optimizer: torch.optim.Optimizer, constant_epochs: int = 100, decay_epochs: int = 100):
        super().__init__(optimizer, lambda epoch: 1.0 - max(0, epoch + 1 - constant_epochs) / (decay_epochs + 1))


class AdversarialModule(L.LightningModule):
    """Base of the GAN variants: a D step and a G step per batch with their own optimizers.

    Subclasses install their networks with `set_networks(generator, discriminator)` and implement `generate`,
    `d_loss` and `g_loss`.
    `trainer.global_step` counts the steps of both optimizers; `g_steps` and `d_steps` count each network.

    Args:
        g_optimizer: generator optimizer (class_path + init_args in YAML); default Adam(2e-4, betas 0.5/0.999).
        d_optimizer: discriminator optimizer; default Adam(2e-4, betas 0.5/0.999).
        g_scheduler: generator LR scheduler, stepped once per epoch.
        d_scheduler: discriminator LR scheduler, stepped once per epoch.
        adversarial_loss: non_saturating (BCE on logits), hinge or least_squares.
        d_steps_per_g: discriminator steps per generator step.
        clip_grad_norm: clip each network's gradient norm to this (after AMP unscaling); None = off.
        ema_decay: decay of the generator's EMA copy used for validation and inference; None = no EMA.
        g_lr: generator learning rate; overrides the rate of `g_optimizer` (None: the optimizer's own).
        d_lr: discriminator learning rate; overrides the rate of `d_optimizer` (None: the optimizer's own).
        nonfinite: on a NaN/inf loss, "stop" the run (last good checkpoint kept, exit code 3) or "skip" that step.
        collapse_steps: stop when D's loss stays under `collapse_d_loss` for this many G steps while G's loss rose
            over them (D has won: G gets no useful gradient any more); 0 = never.
        collapse_d_loss: D loss regarded as "near zero".
        channels_last: networks and image batches in channels-last memory format (faster convolutions on tensor cores).
        compile_generator: torch.compile the generator (in place: checkpoints keep their keys).
        compile_discriminator: torch.compile the discriminator.
    """

    # (metric, "min" | "max") that picks the best checkpoint; a variant sets it (class attribute or in __init__).
    monitor: tuple[str, str] | None = None

    def __init__(
        self,
        g_optimizer: OptimizerCallable | None = None,
        d_optimizer: OptimizerCallable | None = None,
        g_scheduler: LRSchedulerCallable | None = None,
        d_scheduler: LRSchedulerCallable | None = None,
        adversarial_loss: LossName = "non_saturating",
        d_steps_per_g: int = 1,
        clip_grad_norm: float | None = None,
        ema_decay: float | None = 0.999,
        g_lr: float | None = None,
        d_lr: float | None = None,
        nonfinite: Literal["stop", "skip"] = "stop",
        collapse_steps: int = 1000,
        collapse_d_loss: float = 0.01,
        channels_last: bool = False,
        compile_generator: bool = False,
        compile_discriminator: bool = False,
    ):
        super().__init__()
        # Lightning collects the arguments of every __init__ on the stack, so this records the variant's own too
        # (the optimizers are callables: they are in the run's config.yaml, not in the checkpoint's hparams).
        self.save_hyperparameters(ignore=["g_optimizer", "d_optimizer", "g_scheduler", "d_scheduler"])
        if d_steps_per_g < 1:
            raise ValueError(f"--model.d_steps_per_g must be >= 1, got {d_steps_per_g}")
        self.automatic_optimization = False
        self.g_optimizer = with_rate(g_optimizer or default_adam(2e-4), g_lr)
        self.d_optimizer = with_rate(d_optimizer or default_adam(2e-4), d_lr)
        self.g_scheduler, self.d_scheduler = g_scheduler, d_scheduler
        self.d_criterion, self.g_criterion = ADVERSARIAL[adversarial_loss]
        self.threshold = THRESHOLD[adversarial_loss]
        self.d_steps_per_g, self.clip_grad_norm, self.ema_decay = d_steps_per_g, clip_grad_norm, ema_decay
        self.register_buffer("g_steps", torch.zeros((), dtype=torch.long))
        self.register_buffer("d_steps", torch.zeros((), dtype=torch.long))
        self.generator_ema: EMA | None = None
        self.nonfinite, self.collapse_steps, self.collapse_d_loss = nonfinite, collapse_steps, collapse_d_loss
        self._collapse_streak, self._collapse_start_g, self.skipped_steps = 0, 0.0, 0
        self.channels_last, self.compile_generator, self.compile_discriminator = channels_last, compile_generator, compile_discriminator

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        _MODELS[f"{cls.__module__}.{cls.__name__}"] = cls  # checkpoints name their class: see model_class

    # --- what a variant provides -------------------------------------------------------------
    def generate(self, batch: dict) -> Tensor | tuple[Tensor, ...]:
        """The generator's output for this batch (with gradients); a tuple when there are several generators."""
        raise NotImplementedError

    def d_loss(self, batch: dict, fake: Tensor) -> tuple[Tensor, dict]:
        """Discriminator loss on real data and on `fake` (already detached), plus values to log."""
        raise NotImplementedError

    def g_loss(self, batch: dict, fake: Tensor) -> tuple[Tensor, dict]:
        """Generator loss for `fake`, plus values to log."""
        raise NotImplementedError

    @property
    def trains_discriminator(self) -> bool:
        """False when no generator loss reads the discriminator (e.g. a fidelity-only first stage): its steps are
        then skipped, which saves its forward and backward passes."""
        return True

    def export_module(self, direction: str = "a2b") -> tuple[nn.Module, tuple[Tensor, ...], list[str], list[str], bool]:
        """What `lightning-gan export` writes: (module, example inputs, input names, output names, image-to-image?)."""
        raise ValueError(f"cannot export a {type(self).__name__}")

    # --- shared machinery ----------------------------------------------------------------------
    def set_networks(self, generator: nn.Module, discriminator: nn.Module) -> None:
        """The one way a variant installs its networks (in __init__, or later once the data is known, as the cGAN
        does): also makes the generator's EMA copy when `ema_decay` is set."""
        self.generator, self.discriminator = generator, discriminator
        self.generator_ema = EMA(generator, self.ema_decay) if self.ema_decay else None

    @property
    def inference_generator(self) -> nn.Module:
        """The generator used for validation, sampling and export: the EMA copy when there is one."""
        return self.generator_ema.module if self.generator_ema is not None else self.generator

    def adversarial_d(self, real: Tensor, fake: Tensor) -> tuple[Tensor, dict]:
        """D loss on logits plus the accuracy of D on real and on fake inputs."""
        acc_real, acc_fake = d_accuracy(real, fake, self.threshold)
        return self.d_criterion(real, fake), {"d_acc_real": acc_real, "d_acc_fake": acc_fake}

    # --- speed: memory format, compilation, per-rank random streams ----------------------------------
    def on_fit_start(self) -> None:
        if self.channels_last:
            self.to(memory_format=torch.channels_last)
        if self.compile_generator:
            self.generator.compile()  # nn.Module.compile: in place, the state dict keeps its keys
        if self.compile_discriminator:
            self.discriminator.compile()

    def on_train_start(self) -> None:
        if self.trainer.world_size > 1:
            # Every rank starts from the same seed (or the same restored RNG state on resume); derive one stream
            # per rank from it so that ranks draw different noise and degradation parameters.
            torch.manual_seed(int(torch.randint(0, 2**31, ())) + 7919 * self.trainer.global_rank)

    def memory_format(self, batch: dict) -> dict:
        """Image batches in channels-last order when the networks are (the datamodule owns on_after_batch_transfer)."""
        if not self.channels_last:
            return batch
        return {k: v.contiguous(memory_format=torch.channels_last) if isinstance(v, Tensor) and v.dim() == 4 else v
                for k, v in batch.items()}

    def configure_optimizers(self):
        g_opt = self.g_optimizer(self.generator.parameters())
        d_opt = self.d_optimizer([p for p in self.discriminator.parameters() if p.requires_grad])  # frozen parts left out
        schedulers = [s(o) for s, o in ((self.g_scheduler, g_opt), (self.d_scheduler, d_opt)) if s is not None]
        return [g_opt, d_opt], schedulers

    def _step(self, optimizer, loss: Tensor) -> None:
        with self.toggled_optimizer(optimizer):
            optimizer.zero_grad(set_to_none=True)
            self.manual_backward(loss)
            optimizer.step()

    def training_step(self, batch: dict, batch_idx: int) -> None:
        batch = self.memory_format(batch)
        g_opt, d_opt = self.optimizers()
        with_d = self.trains_discriminator
        g_due = not with_d or (self.d_steps + 1) % self.d_steps_per_g == 0
        with torch.set_grad_enabled(bool(g_due)):
            fake = self.generate(batch)

        logs, d_value = {}, None
        if with_d:
            detached = tuple(f.detach() for f in fake) if isinstance(fake, tuple) else fake.detach()
            d_loss, d_logs = self.d_loss(batch, detached)
            d_value = self._guarded_step(d_opt, d_loss, "d_loss")
            self.d_steps += 1
            logs = {"d_loss": d_loss.detach(), **d_logs}

        if g_due:
            g_loss, g_logs = self.g_loss(batch, fake)
            g_value = self._guarded_step(g_opt, g_loss, "g_loss", d_value)
            self.g_steps += 1
            if self.generator_ema is not None:
                self.generator_ema.update(self.generator)
            logs.update(g_loss=g_loss.detach(), **g_logs)
            if with_d:
                self._watch_collapse(d_value, g_value)
        self.log_dict({f"train/{k}": v for k, v in logs.items()}, prog_bar=False, batch_size=batch_size(batch))
        bar = {k: logs.get(k, torch.nan) for k in ("d_loss", "g_loss") if with_d or k == "g_loss"}
        self.log_dict(bar, prog_bar=True, logger=False)

    # --- guards ------------------------------------------------------------------------------------
    def _guarded_step(self, optimizer, loss: Tensor, name: str, d_value: float | None = None) -> float:
        """Step unless the loss is NaN/inf: then stop the run, or skip this step. Returns the loss value."""
        value = loss.detach().float().item()  # one host sync per optimizer step: the price of the guard
        if math.isfinite(value):
            self._step(optimizer, loss)
            return value
        if self.nonfinite == "skip":
            self.skipped_steps += 1
            optimizer.zero_grad(set_to_none=True)
            rank_zero_warn(f"skipped a step: {name} = {value} at step {self.global_step} ({self.skipped_steps} skipped)")
            return value
        others = f", d_loss = {d_value:.4g}" if d_value is not None else ""
        self._stop(f"non-finite loss at step {self.global_step} (G step {int(self.g_steps)}): {name} = {value}{others}. "
                   "Lower the learning rates, set --model.clip_grad_norm, or --model.nonfinite skip")

    def _watch_collapse(self, d_value: float, g_value: float) -> None:
        if not self.collapse_steps or d_value >= self.collapse_d_loss:
            self._collapse_streak = 0
            return
        if self._collapse_streak == 0:
            self._collapse_start_g = g_value
        self._collapse_streak += 1
        if self._collapse_streak >= self.collapse_steps and g_value > self._collapse_start_g:
            self._stop(f"the discriminator collapsed at step {self.global_step} (G step {int(self.g_steps)}): d_loss < "
                       f"{self.collapse_d_loss} for {self._collapse_streak} G steps while g_loss rose "
                       f"{self._collapse_start_g:.4g} -> {g_value:.4g}. Try DiffAugment, a lower D learning rate, or "
                       "--model.collapse_steps 0 to train on")

    def _stop(self, reason: str) -> None:
        folder = Path(self._trainer.default_root_dir) / "checkpoints" if self._trainer is not None else None
        last = folder / "last.ckpt" if folder is not None else None
        kept = f"the last good checkpoint is {last}" if last is not None and last.is_file() else "no checkpoint was saved yet"
        raise TrainingStopped(f"{reason}; {kept}")

    def on_before_optimizer_step(self, optimizer) -> None:
        # Lightning calls this after AMP unscales the gradients, so the norm is the true one.
        if self.clip_grad_norm:
            params = [p for group in optimizer.param_groups for p in group["params"]]
            norm = torch.nn.utils.clip_grad_norm_(params, self.clip_grad_norm)
            which = "g" if params[0] is next(self.generator.parameters()) else "d"
            self.log(f"train/{which}_grad_norm", norm, batch_size=1)  # before clipping, after AMP unscaling

    def on_train_epoch_start(self) -> None:
        # The rates in use, by network (Lightning's LearningRateMonitor would name them lr-Adam and lr-Adam-1).
        for which, optimizer in zip("gd", self.optimizers()):
            self.log(f"lr/{which}", optimizer.param_groups[0]["lr"], batch_size=1)

    def on_train_epoch_end(self) -> None:
        schedulers = self.lr_schedulers()
        for scheduler in schedulers if isinstance(schedulers, list) else [schedulers] if schedulers else []:
            scheduler.step()

    # --- exact resume: the RNG streams too (weights, optimizers, schedulers, EMA and counters are in state) ---
    def on_save_checkpoint(self, checkpoint: dict) -> None:
        checkpoint["lightning_gan_class"] = f"{type(self).__module__}.{type(self).__name__}"
        checkpoint["rng"] = {
            "torch": torch.get_rng_state(),
            "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
            "numpy": _numpy_state_to_tensors(),
            "python": random.getstate(),
        }

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        rng = checkpoint.get("rng")
        if rng is None:
            return
        torch.set_rng_state(rng["torch"])
        if rng["cuda"] and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(rng["cuda"])
        state = rng["numpy"]
        np.random.set_state(("MT19937", state["keys"].numpy().astype(np.uint32), state["pos"], state["has_gauss"], state["gauss"]))
        random.setstate(rng["python"])

    # --- pictures ------------------------------------------------------------------------------
    def log_grid(self, name: str, grid: Tensor) -> Path | None:
        """Save an image grid (3, H, W in [0, 1]) as PNG in the run folder and send it to W&B."""
        if self.trainer is None or self.trainer.sanity_checking or not self.trainer.is_global_zero:
            return None
        folder = Path(self.trainer.default_root_dir) / "images"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}_step{self.global_step:06d}.png"  # the step checkpoints and W&B use
        save_image(grid, path)
        # Lightning logs metrics at the count of batches that stepped (global_step counts both optimizers, twice
        # as many): the image must use the same step, or W&B puts it beside the wrong metrics.
        step = self.trainer.fit_loop.epoch_loop._batches_that_stepped  # private (Lightning 2.6; pinned < 2.7)
        for logger in self.loggers:
            if hasattr(logger, "log_image"):
                logger.log_image(key=f"images/{name}", images=[str(path)], step=step,
                                 caption=[f"{name}, epoch {self.current_epoch}, G step {int(self.g_steps)}"])
        return path
