"""`lightning-gan`: LightningCLI over every GAN variant, with one new run folder per run.

    lightning-gan fit --config experiments/gan_enhance.yaml [--trainer.max_epochs 50 ...]

Each run writes runs/<name>/version_<k>/: config.yaml, metrics.csv, checkpoints/ (last.ckpt and the best by the
model's validation metric), images/ (PNG grids) and wandb/ (the offline W&B run).
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import sys
import warnings
from pathlib import Path

import lightning as L
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.cli import LightningCLI, SaveConfigCallback
from lightning.pytorch.loggers import CSVLogger, WandbLogger

from lightning_gan.data.datamodule import ProductImageDataModule  # noqa: F401  (lets YAML use short class names)
from lightning_gan.data.unpaired import UnpairedDataModule  # noqa: F401
from lightning_gan.files import first_line
from lightning_gan.models.base import AdversarialModule, TrainingStopped
from lightning_gan.models.cgan import ConditionalGAN  # noqa: F401
from lightning_gan.models.cyclegan import CycleGAN  # noqa: F401
from lightning_gan.models.dcgan import DCGAN  # noqa: F401
from lightning_gan.models.eagan import EAGAN  # noqa: F401
from lightning_gan.models.gan_enhance import GANEnhance  # noqa: F401
from lightning_gan.training.run_summary import LineProgress, RunSummary

RUN_DIR_ENV = "LIGHTNING_GAN_RUN_DIR"  # set by rank 0, so DDP worker processes share its run folder


def new_run_dir(experiment_dir: Path) -> Path:
    """Create runs/<name>/version_<k> with k one past the highest existing; never reuses a folder."""
    experiment_dir.mkdir(parents=True, exist_ok=True)
    taken = [int(p.name.split("_")[1]) for p in experiment_dir.glob("version_*") if p.name.split("_")[1].isdigit()]
    k = max(taken, default=-1) + 1
    while True:
        path = experiment_dir / f"version_{k}"
        try:
            path.mkdir()
            return path
        except FileExistsError:
            k += 1


def option_error(message: str) -> str:
    """The line of a (possibly nested) error report that names a --model/--data/--trainer option, else the first."""
    lines = [re.sub(r"^- ", "", line.strip()) for line in message.splitlines() if line.strip()]
    return next((line for line in lines if re.match(r"--(model|data|trainer)\.", line)), lines[0] if lines else message)


def csv_logger(run_dir: Path) -> CSVLogger:
    """metrics.csv in the run folder. Its writer is made now, while the new folder is still empty: made later (after
    W&B's folder), Lightning would warn that "previous log files will be deleted" in a folder that has none."""
    logger = CSVLogger(str(run_dir), name="", version="")
    _ = logger.experiment
    return logger


class SetupError(ValueError):
    """A bad option, checkpoint or data folder found before training starts: one line, exit code 2, no run folder."""


def readable_checkpoint(path: Path) -> str | None:
    """None when `path` loads weights-only as a checkpoint dict, else why not (one line)."""
    import torch

    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # noqa: BLE001 - corrupt, truncated, not a checkpoint, or code inside: all refused
        return first_line(error)
    return None if isinstance(checkpoint, dict) and "state_dict" in checkpoint else "not a Lightning checkpoint"


def latest_checkpoint(experiment_dir: Path) -> Path:
    """For `--ckpt_path last`: the newest last.ckpt of the experiment's runs; if it cannot be read (weights-only),
    the newest readable checkpoint of those runs, with a warning that names both."""
    lasts = sorted(experiment_dir.glob("version_*/checkpoints/last.ckpt"), key=lambda p: p.stat().st_mtime, reverse=True)
    if not lasts:
        raise SetupError(f"--ckpt_path last: no {experiment_dir}/version_*/checkpoints/last.ckpt to resume from")
    problem = readable_checkpoint(lasts[0])
    if problem is None:
        return lasts[0]
    others = sorted(experiment_dir.glob("version_*/checkpoints/*.ckpt"), key=lambda p: p.stat().st_mtime, reverse=True)
    for candidate in others:
        if candidate != lasts[0] and readable_checkpoint(candidate) is None:
            print(f"lightning-gan: warning: {lasts[0]} is unreadable ({problem}); resuming from {candidate}", file=sys.stderr)
            return candidate
    raise SetupError(f"--ckpt_path last: {lasts[0]} is unreadable ({problem}) and no other checkpoint of "
                     f"{experiment_dir} can be read")


def _bf16_gpu() -> bool:
    import torch

    return torch.cuda.is_available() and torch.cuda.is_bf16_supported()


class BestCheckpoint(ModelCheckpoint):
    """ModelCheckpoint that tolerates validation epochs without the monitored metric (a model may compute its
    expensive metrics only every N validation epochs): those epochs update last.ckpt only."""

    # Private ModelCheckpoint members (this and on_train_epoch_end's): checked against Lightning 2.6, pinned < 2.7.
    def _save_topk_checkpoint(self, trainer, monitor_candidates: dict) -> None:
        if self.monitor is None or self.monitor in monitor_candidates:
            super()._save_topk_checkpoint(trainer, monitor_candidates)

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        super().on_train_epoch_end(trainer, pl_module)  # after the epoch's validation, and after Lightning's own saves
        # Lightning 2.6 refreshes last.ckpt only when a best checkpoint was saved at the same step, so a resume
        # would restart from the best epoch, not the latest: keep last.ckpt current at every epoch's end.
        if self.save_last and not self._should_skip_saving_checkpoint(trainer):
            self._save_last_checkpoint(trainer, self._monitor_candidates(trainer))


# How the W&B runs table and summary should reduce each metric: the best value, not the last one.
SUMMARIES = {"max": ("psnr", "ssim", "psnr_hole", "ssim_hole", "psnr_input", "ssim_input"),
             "min": ("lpips", "swd", "fid", "kid", "d_loss", "g_loss")}


def flat_config(config: dict, prefix: str = "") -> dict:
    """A nested config as W&B keys: {"model": {"init_args": {"width": 8}}} -> {"model.width": 8} (init_args
    and dict_kwargs levels dropped, class_path kept as e.g. "model.class_path")."""
    flat = {}
    for key, value in config.items():
        name = prefix if key in ("init_args", "dict_kwargs") else f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            flat |= flat_config(value, name)
        else:
            flat[name] = plain(value)
    return flat


def plain(value):
    """A config value as W&B shows it: numbers, strings and lists of them; paths (jsonargparse's Path_fsr for
    --config) as the path string, not their repr."""
    if isinstance(value, (int, float, str, bool, type(None))):
        return value
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    relative = getattr(value, "relative", None)  # jsonargparse.Path: the path as given
    return str(relative) if isinstance(relative, str) else os.fspath(value) if hasattr(value, "__fspath__") else str(value)


def define_summaries(run) -> None:
    """Best-value summaries for the metrics this project logs (W&B's define_metric)."""
    for summary, names in SUMMARIES.items():
        for stage in ("val", "test", "train"):
            for name in names:
                run.define_metric(f"{stage}/{name}", summary=summary)


class ConfigToWandb(SaveConfigCallback):
    """Writes config.yaml into the run folder (LightningCLI's behaviour) and sends the same fully resolved config
    to W&B (Lightning's documented `save_config` hook): model and optimizer classes with the rates actually used,
    schedulers, trainer, data, seed and, for validate/test runs, the scored `ckpt_path`. Metrics get best-value
    summaries, so the runs table compares the best val/psnr, not the last."""

    def save_config(self, trainer: L.Trainer, pl_module: L.LightningModule, stage: str) -> None:
        for logger in trainer.loggers:
            if isinstance(logger, WandbLogger):
                config = flat_config(self.config.as_dict())
                logger.experiment.config.update({k: v for k, v in config.items() if not k.startswith("trainer.logger")},
                                                allow_val_change=True)
                define_summaries(logger.experiment)


class GANCLI(LightningCLI):
    def __init__(self, args: list[str] | None = None, run: bool = True):
        super().__init__(
            AdversarialModule,
            L.LightningDataModule,
            subclass_mode_model=True,
            subclass_mode_data=True,
            seed_everything_default=0,
            save_config_callback=ConfigToWandb,
            save_config_kwargs={"overwrite": False},
            # each model builds its two optimizers from its own g_optimizer / d_optimizer: a global --optimizer
            # would be accepted and then fail inside configure_optimizers
            auto_configure_optimizers=False,
            trainer_defaults={"log_every_n_steps": 10},
            # a bad option raises (one line in `run`) instead of jsonargparse printing its whole usage and report
            parser_kwargs={"exit_on_error": False},
            args=args,
            run=run,
        )

    def add_arguments_to_parser(self, parser) -> None:
        parser.add_argument("--name", type=str | None, default=None, help="experiment name: outputs go to <runs_dir>/<name>/")
        parser.add_argument("--runs_dir", type=str, default="runs", help="folder holding every experiment's runs")
        parser.add_argument("--wandb_project", type=str, default="lightning-gan", help="W&B project")
        parser.add_argument("--wandb_log_model", type=bool | str, default=False,
                            help="send checkpoints to W&B as model artifacts: true (at the end), all (each save)")

    @staticmethod
    def subcommands() -> dict[str, set[str]]:
        """fit, validate and test; not predict (GANs have no `forward` to predict with: use `lightning-gan enhance`,
        `generate` or `translate`)."""
        return {name: skip for name, skip in LightningCLI.subcommands().items() if name != "predict"}

    def _parse_ckpt_path(self) -> None:  # a private LightningCLI hook: checked against Lightning 2.6, pinned < 2.7
        """Check --ckpt_path before LightningCLI reads hyper-parameters from it: a missing, corrupt or unsafe file is a
        one-line error, not a traceback."""
        subcommand = self.config.get("subcommand")
        ckpt_path = self.config[subcommand].get("ckpt_path") if subcommand else None
        if ckpt_path and ckpt_path != "last" and not Path(ckpt_path).is_file():
            raise SetupError(f"--ckpt_path {ckpt_path}: no such file")
        try:
            super()._parse_ckpt_path()  # its weights-only load is the readability check: the file is read once here
        except Exception as error:  # noqa: BLE001 - corrupt, truncated, not a checkpoint, or code inside: all refused
            raise SetupError(f"--ckpt_path {ckpt_path}: cannot be read as a checkpoint ({first_line(error)})") from error

    def _settings(self):
        return self.config[self.subcommand] if self.subcommand else self.config

    def before_instantiate_classes(self) -> None:
        cfg = self._settings()
        model_name = cfg.model.class_path.rsplit(".", 1)[-1]
        self.experiment = cfg.name or model_name.lower()
        experiment_dir = Path(cfg.runs_dir) / self.experiment
        if cfg.get("ckpt_path") == "last":
            cfg.ckpt_path = str(latest_checkpoint(experiment_dir))
        if "weights_only" in cfg:
            cfg.weights_only = True  # Trainer.fit/validate/test load the checkpoint as data only, whatever torch's default
        self.experiment_dir = experiment_dir
        trainer = cfg.trainer
        if trainer.get("gradient_clip_val") is not None:
            # Lightning's clipping needs automatic optimization; each network's own clipping runs after AMP unscaling
            raise SetupError("--trainer.gradient_clip_val does not apply to the two-optimizer GAN step: "
                             "use --model.clip_grad_norm")
        if trainer.get("strategy") == "ddp":
            # The D step leaves G's parameters without gradients and the G step D's (they are frozen then):
            # DDP must be told to expect unused parameters, or it waits for their gradients forever.
            trainer.strategy = "ddp_find_unused_parameters_true"
        if trainer.get("precision") is None and trainer.get("accelerator") in ("auto", "gpu", "cuda") and _bf16_gpu():
            trainer.precision = "bf16-mixed"  # the default on GPUs that support it; --trainer.precision overrides
        degradation = cfg.data.init_args.get("degradation")
        self.tags = [model_name] + ([degradation] if degradation else [])

    def _loggers(self) -> list:
        cfg = self._settings()
        mode = os.environ.get("WANDB_MODE", "offline")
        if mode == "disabled":  # CSV only: no W&B run, and wandb need not be installed (e.g. a bare GPU machine)
            return [csv_logger(self.run_dir)]
        log_model = cfg.get("wandb_log_model", False)
        if isinstance(log_model, str) and log_model != "all":
            raise SetupError(f"--wandb_log_model {log_model!r}: use true, false or all")
        wandb = WandbLogger(
            # unique across machines: every fresh clone's first run is version_0
            name=f"{self.experiment}/{self.run_dir.name}-{secrets.token_hex(3)}",
            log_model=log_model,
            save_dir=str(self.run_dir),
            project=cfg.wandb_project,
            group=self.experiment,
            tags=self.tags,
            job_type="train" if self.subcommand == "fit" else "eval",
            offline=mode == "offline",
            mode=mode,
        )
        return [csv_logger(self.run_dir), wandb]

    def instantiate_classes(self) -> None:
        """Build model and data; an option that a class refuses (its ValueError names the flag) becomes one line
        instead of jsonargparse's report of every Union alternative."""
        try:
            super().instantiate_classes()
        except (ValueError, FileNotFoundError) as error:
            raise SetupError(option_error(str(error))) from error

    def _check_data(self) -> None:
        """Read the data folder now, before the run folder exists: an empty or unreadable root is a one-line error
        and leaves nothing behind (the datasets stay cached in the datamodule, so nothing is read twice)."""
        stage = {"fit": "fit", "validate": "validate", "test": "test"}.get(self.subcommand or "")
        if stage is None or not hasattr(self.datamodule, "setup"):
            return
        try:
            self.datamodule.setup(stage)
        except (ValueError, OSError) as error:
            raise SetupError(f"--data.root: {error}") from error

    def _make_run_dir(self) -> Path:
        """A new run folder, made only once the model and data were built (a bad option leaves nothing behind)."""
        if os.environ.get("LOCAL_RANK") and os.environ.get(RUN_DIR_ENV):
            return Path(os.environ[RUN_DIR_ENV])
        run_dir = new_run_dir(self.experiment_dir)
        os.environ[RUN_DIR_ENV] = str(run_dir)
        return run_dir

    def instantiate_trainer(self, **kwargs):
        self._check_data()
        self.run_dir = self._make_run_dir()
        trainer_cfg = self._get(self.config_init, "trainer", default={})
        callbacks = list(trainer_cfg.get("callbacks") or [])
        metric, mode = self.model.monitor or (None, "min")
        logger = trainer_cfg.get("logger")
        if logger is None or logger is True:
            logger = self._loggers()
        if self.subcommand in ("fit", "validate", "test"):
            callbacks.append(RunSummary(self.run_dir, self.experiment, report=self._report, job=self.subcommand))
        if not sys.stdout.isatty():  # a log or a pipe: plain progress lines instead of a live bar
            callbacks.append(LineProgress())
            kwargs["enable_progress_bar"] = False
        callbacks.append(BestCheckpoint(
            dirpath=self.run_dir / "checkpoints",
            filename="best-step{step}",
            auto_insert_metric_name=False,
            monitor=metric,
            mode=mode,
            save_last=True,
            save_top_k=1,
        ))
        return super().instantiate_trainer(
            callbacks=callbacks, logger=logger, default_root_dir=str(self.run_dir), **kwargs
        )

    def _report(self) -> None:
        for logger in self.trainer.loggers:
            if isinstance(logger, WandbLogger):
                logger.experiment.finish()  # the next run in this process gets its own W&B run
        if not self.trainer.is_global_zero:
            return
        checkpoints = self.run_dir / "checkpoints"
        callback = self.trainer.checkpoint_callback
        best = callback.best_model_path if callback and callback.best_model_score is not None else ""
        best = os.path.relpath(best) if best and not os.path.relpath(best).startswith("..") else best
        images = sorted((self.run_dir / "images").glob("*.png"))
        lines = [f"\nRun folder: {self.run_dir}"]
        if (checkpoints / "last.ckpt").exists():
            lines.append(f"  last checkpoint: {checkpoints / 'last.ckpt'}")
        if best:
            lines.append(f"  best checkpoint: {best} ({callback.monitor} = {float(callback.best_model_score):.4f})")
        if images:
            lines.append(f"  latest image:    {images[-1]}")
        lines.append(f"  metrics:         {self.run_dir / 'metrics.csv'}")
        wandb_runs = sorted((self.run_dir / "wandb").glob("offline-run-*"))
        if wandb_runs:
            lines.append(f"  W&B offline run: {wandb_runs[-1]}  (upload: wandb sync {wandb_runs[-1]})")
        print("\n".join(lines), flush=True)

    after_fit = after_validate = after_test = _report


def experiment_config(value: str) -> str:
    """`--config gan_enhance` (a bare name, not a file here) -> the experiment YAML installed with the package."""
    if Path(value).exists() or any(c in value for c in "/\\.:"):
        return value
    package = Path(__file__).parent.parent
    # installed from a wheel: lightning_gan/experiments; from a checkout (editable): the top-level experiments/
    folder = next((d for d in (package / "experiments", package.parent / "experiments") if d.is_dir()), package / "experiments")
    shipped = folder / f"{value}.yaml"
    if not shipped.is_file():
        names = sorted(p.stem for p in folder.glob("*.yaml"))
        raise SetupError(f"--config {value}: no such file or experiment (experiments: {', '.join(names) or 'none installed'})")
    return str(shipped)


def with_experiment_configs(argv: list[str]) -> list[str]:
    out = list(argv)
    for i, arg in enumerate(out):
        if arg in ("--config", "-c") and i + 1 < len(out):
            out[i + 1] = experiment_config(out[i + 1])
        elif arg.startswith("--config="):
            out[i] = "--config=" + experiment_config(arg.split("=", 1)[1])
    return out


def class_paths(argv: list[str]) -> list[tuple[str, str]]:
    """(option, class path) of the model and data classes that `argv` and its --config files name."""
    import yaml

    found = []
    for i, arg in enumerate(argv):
        name, _, value = arg.partition("=")
        if not value and i + 1 < len(argv):
            value = argv[i + 1]
        if name in ("--config", "-c") and Path(value).is_file():
            try:
                config = yaml.safe_load(Path(value).read_text()) or {}
            except yaml.YAMLError:
                continue  # LightningCLI reports it
            for key in ("model", "data"):
                section = config.get(key) if isinstance(config, dict) else None
                path = section.get("class_path") if isinstance(section, dict) else section
                if isinstance(path, str):
                    found.append((f"{key}.class_path in {value}", path))
        elif name in ("--model", "--data", "--model.class_path", "--data.class_path"):
            found.append((name, value))
    return found


def check_class_paths(argv: list[str]) -> None:
    """A config names classes of this package (or short names of them, or classes of modules already imported):
    refused before jsonargparse would import whatever module a path names (`this.Nothing` runs `this`)."""
    for option, path in class_paths(argv):
        module = path.rpartition(".")[0]
        if module and not module.startswith("lightning_gan.") and module not in sys.modules:
            raise SetupError(f"{option}: {path!r} is not a lightning-gan class; use one of lightning_gan.models.* / "
                             "lightning_gan.data.* (or import your own module first, docs/adding_a_model.md)")


def parse_error_line(message: str) -> str:
    """jsonargparse's report of a bad command line as one line: the misspelt or wrong option, by name."""
    unknown = re.search(r"class_path '([\w.]+)':\s*Option '([\w.]+)' is not accepted", message)
    if unknown:
        section = "data" if ".data." in unknown.group(1) else "model"
        return f"--{section}.{unknown.group(2)}: {unknown.group(1).rpartition('.')[2]} has no such option (--help lists them)"
    key = re.search(r'Parser key "([\w.]+)":\s*(.+)', message)
    if key:
        given = re.search(r"Given value: (.+)", message)
        return f"--{key.group(1)}: {key.group(2).strip()}" + (f" (given {given.group(1).strip()})" if given else "")
    return option_error(message)


def run(argv: list[str]) -> None:
    """fit / validate / test through LightningCLI; exits 2 on a setup error, 3 when a training guard stopped the run."""
    # The arguments go in as `args` (experiment names resolved); sys.argv must stay as it is, since DDP's launcher
    # starts the other ranks with it. LightningCLI warns about having both: expected here, so not shown.
    warnings.filterwarnings("ignore", message="LightningCLI's args parameter is intended")
    try:
        argv = with_experiment_configs(argv)
        check_class_paths(argv)
        GANCLI(args=argv)
    except SetupError as error:
        print(f"lightning-gan: error: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    except argparse.ArgumentError as error:
        print(f"lightning-gan: error: {parse_error_line(str(error))}", file=sys.stderr)
        raise SystemExit(2) from None
    except TrainingStopped as error:
        wandb = sys.modules.get("wandb")  # only when this run used W&B
        if wandb is not None and wandb.run is not None:
            wandb.run.finish(exit_code=3)
        print(f"lightning-gan: training stopped: {error}", file=sys.stderr)
        raise SystemExit(3) from None


def main(argv: list[str]) -> int:
    """`lightning-gan fit | validate | test ...` (the dispatcher calls `run` directly)."""
    run(argv)
    return 0
