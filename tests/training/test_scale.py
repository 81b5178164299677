"""Speed and scale: DDP on CPU (gloo), GPU-resident batches, precision and memory-format options, export."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import lightning as L
import pytest
import torch

from lightning_gan.data.datamodule import CachedImages, DeviceBatches, ProductImageDataModule
from lightning_gan.models.dcgan import DCGAN

ROOT = Path(__file__).resolve().parents[2]
TINY = ["--trainer.limit_val_batches", "1", "--trainer.check_val_every_n_epoch", "1", "--trainer.enable_progress_bar", "false",
        "--trainer.accelerator", "cpu", "--data.batch_size", "8"]


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = os.environ | {"PYTHONPATH": str(ROOT / "tests"), "WANDB_MODE": "disabled"}
    env.pop("LIGHTNING_GAN_RUN_DIR", None)
    return subprocess.run([sys.executable, "-m", "lightning_gan", "fit", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)


def probe(folder: Path) -> list[str]:
    return ["--trainer.callbacks+=ddp_probe.RankProbe", f"--trainer.callbacks.out_dir={folder}"]


def test_ddp_two_cpu_processes_stay_in_sync(two_class_folder, tmp_path):
    """Two gloo ranks: identical final parameters, disjoint data shards, different noise streams; one process with
    the same per-process batch takes twice the steps and ends elsewhere. Batch-norm running statistics are each
    rank's own (as expected without SyncBatchNorm, which PyTorch supports on GPUs only: --trainer.sync_batchnorm)."""
    common = ["--config", str(ROOT / "experiments" / "dcgan_generate.yaml"), "--data.root", str(two_class_folder),
              "--data.image_size", "16", "--model.init_args.image_size", "16", "--model.init_args.g_width", "8",
              "--model.init_args.d_width", "8", "--model.init_args.grid_size", "8", "--data.augment", "false",
              "--trainer.max_epochs", "1", "--runs_dir", str(tmp_path / "runs"), *TINY]
    ddp = cli(*common, "--trainer.strategy", "ddp", "--trainer.devices", "2", *probe(tmp_path / "ddp"), cwd=tmp_path)
    assert ddp.returncode == 0, ddp.stderr[-3000:]
    single = cli(*common, "--trainer.devices", "1", *probe(tmp_path / "single"), cwd=tmp_path)
    assert single.returncode == 0, single.stderr[-3000:]
    rank0, rank1 = (torch.load(tmp_path / "ddp" / f"rank{r}.pt", weights_only=True) for r in (0, 1))
    alone = torch.load(tmp_path / "single" / "rank0.pt", weights_only=True)
    assert rank0["world_size"] == 2 and alone["world_size"] == 1
    for net in ("generator", "discriminator"):
        for key, value in rank0[net].items():
            if "running_" in key or "num_batches_tracked" in key:
                continue
            torch.testing.assert_close(value, rank1[net][key], rtol=0, atol=0, msg=f"{net}.{key} differs between ranks")
    seen0, seen1 = set(rank0["indices"].tolist()), set(rank1["indices"].tolist())
    assert not seen0 & seen1  # each rank its own shard; together about the whole set (drop_last trims < a batch each)
    assert abs(len(seen0 | seen1) - len(set(alone["indices"].tolist()))) < 16
    assert rank0["draws"] != rank1["draws"]  # each rank has its own random stream
    assert alone["steps"] == 2 * rank0["steps"]  # the same batch per process over half the data
    assert any(not torch.equal(v, rank0["generator"][k]) for k, v in alone["generator"].items())
    assert len(list((tmp_path / "runs" / "dcgan_generate").glob("version_*"))) == 2  # one folder per run, not per rank


@pytest.mark.parametrize("experiment", ["cgan_generate", "cyclegan_catalog", "eagan_sr4x"])
def test_ddp_runs_every_model_kind(experiment, tmp_path):
    run = cli("--config", str(ROOT / "experiments" / f"{experiment}.yaml"), "--trainer.strategy", "ddp",
              "--trainer.devices", "2", "--trainer.max_epochs", "1", "--trainer.limit_train_batches", "2",
              "--runs_dir", str(tmp_path), *TINY, "--data.batch_size", "2", cwd=tmp_path)  # 2 a rank: wiring, not compute
    assert run.returncode == 0, run.stderr[-3000:]
    assert (tmp_path / experiment / "version_0" / "checkpoints" / "last.ckpt").is_file()


def test_device_batches_shard_one_permutation_per_epoch():
    data = CachedImages(torch.zeros(10, 3, 4, 4, dtype=torch.uint8), torch.zeros(10, dtype=torch.long), [])
    epoch = [0]
    shards = [DeviceBatches(data, 2, shuffle=True, drop_last=True, rank=r, world_size=2, seed=5, epoch=lambda: epoch[0])
              for r in (0, 1)]
    first = [torch.cat([b["index"] for b in s]) for s in shards]
    assert [len(s) for s in shards] == [2, 2] and not set(first[0].tolist()) & set(first[1].tolist())
    epoch[0] = 1
    assert not torch.equal(torch.cat([b["index"] for b in shards[0]]), first[0])  # reshuffled each epoch
    whole = DeviceBatches(data, 4, shuffle=False, drop_last=False)
    assert len(whole) == 3 and torch.equal(torch.cat([b["index"] for b in whole]), torch.arange(10))


def test_device_cache_training_sees_every_image_once_per_epoch(two_class_folder, tmp_path):
    data = ProductImageDataModule(root=str(two_class_folder), image_size=16, batch_size=8, device_cache=True)
    seen = []

    class Watch(L.Callback):
        def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
            assert batch["clean"].shape[1:] == (3, 16, 16) and batch["clean"].dtype == torch.float32
            seen.append(batch["index"])

    model = DCGAN(latent_dim=8, g_width=8, d_width=8, image_size=16, grid_size=4)
    L.Trainer(max_epochs=1, logger=False, enable_checkpointing=False, enable_progress_bar=False, limit_val_batches=0,
              callbacks=[Watch()], default_root_dir=tmp_path).fit(model, datamodule=data)
    assert isinstance(data.train_dataloader(), DeviceBatches)
    indices = torch.cat(seen)
    assert len(indices) == len(set(indices.tolist())) == (len(data.datasets["train"]) // 8) * 8


@pytest.mark.parametrize("options", [{"precision": "bf16-mixed"}, {"channels_last": True}])
def test_precision_and_channels_last_train_with_finite_losses(options, two_class_folder, tmp_path):
    precision = options.get("precision", "32-true")
    model = DCGAN(latent_dim=8, g_width=8, d_width=8, image_size=16, grid_size=4, channels_last=options.get("channels_last", False))
    data = ProductImageDataModule(root=str(two_class_folder), image_size=16, batch_size=8)
    trainer = L.Trainer(max_epochs=1, limit_train_batches=3, limit_val_batches=1, logger=False, enable_checkpointing=False,
                        enable_progress_bar=False, precision=precision, default_root_dir=tmp_path)
    trainer.fit(model, datamodule=data)
    assert int(model.g_steps) == 3 and torch.isfinite(trainer.logged_metrics["val/swd"])
    if options.get("channels_last"):
        conv = model.generator.net[0].weight
        assert conv.is_contiguous(memory_format=torch.channels_last)




def test_compiled_networks_train_and_match_eager(two_class_folder, tmp_path):
    """--model.compile_generator / compile_discriminator: inductor on CPU (about a minute here), keys unchanged."""
    model = DCGAN(latent_dim=8, g_width=8, d_width=8, image_size=16, grid_size=4, compile_generator=True,
                  compile_discriminator=True)
    data = ProductImageDataModule(root=str(two_class_folder), image_size=16, batch_size=8)
    trainer = L.Trainer(max_epochs=1, limit_train_batches=2, limit_val_batches=1, logger=False, enable_checkpointing=False,
                        enable_progress_bar=False, default_root_dir=tmp_path)
    trainer.fit(model, datamodule=data)
    assert int(model.g_steps) == 2 and "net.0.weight" in model.generator.state_dict()
    z = torch.randn(4, 8)
    model.generator.eval()
    with torch.no_grad():
        torch.testing.assert_close(model.generator(z), model.generator.forward(z), atol=1e-5, rtol=1e-4)  # compiled vs eager


def test_fp16_grad_scaler_with_manual_steps_clips_unscaled_gradients(two_class_folder, tmp_path):
    """16-mixed: GradScaler around the manual D and G steps; clipping sees unscaled gradients. (Lightning maps
    16-mixed to bf16 on CPU, so the fp16 plugin is given explicitly here; on a GPU it is --trainer.precision 16-mixed.)"""
    from lightning.pytorch.plugins.precision import MixedPrecision

    scaler = torch.amp.GradScaler("cpu", init_scale=2.0**16)
    model = DCGAN(latent_dim=8, g_width=8, d_width=8, image_size=16, grid_size=4, clip_grad_norm=1.0)
    data = ProductImageDataModule(root=str(two_class_folder), image_size=16, batch_size=8)
    trainer = L.Trainer(max_epochs=1, limit_train_batches=4, limit_val_batches=1, logger=False, enable_checkpointing=False,
                        enable_progress_bar=False, default_root_dir=tmp_path, plugins=[MixedPrecision("16-mixed", "cpu", scaler=scaler)])
    trainer.fit(model, datamodule=data)
    logged = trainer.logged_metrics
    assert trainer.precision == "16-mixed" and scaler.get_scale() <= 2.0**16
    assert 0 < float(logged["train/g_grad_norm"]) < 1e3 and 0 < float(logged["train/d_grad_norm"]) < 1e3  # scaled: ~1e5
    assert torch.isfinite(logged["train/g_loss"]) and torch.isfinite(logged["val/swd"])
    assert all(torch.isfinite(p).all() for p in model.parameters())
