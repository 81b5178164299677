"""LitData streaming (lightning_gan/data/streaming.py, lightning_gan/commands/prepare.py): prepare, stream, shard, resume."""

from __future__ import annotations

import json
import os
from pathlib import Path

import lightning as L
import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from conftest import write_image
from lightning.pytorch.callbacks import Callback, ModelCheckpoint

from lightning_gan.commands import main as lightning_gan
from lightning_gan.data.datamodule import SAMPLE_ROOT, ProductImageDataModule
from lightning_gan.data.images import decode_all, list_split
from lightning_gan.data.streaming import MANIFEST, PREPARING, prepare

pytest.importorskip("litdata", reason="install the `stream` extra: pip install -e '.[stream]'")

SIZE = 40  # stored side: small, so the module's fixture prepares the embedded sample in seconds
# Workers forked, not spawned: a spawned worker re-imports the stack, 5-15 s per split inside pytest. The module's
# fixture keeps the default (spawn), so that path is still run.
FORKED = {"num_workers": 1, "start_method": "fork"}


@pytest.fixture(scope="module")
def prepared_sample(tmp_path_factory) -> Path:
    destination = tmp_path_factory.mktemp("stream") / "sample"
    prepare(SAMPLE_ROOT, destination, size=SIZE, format="png", num_workers=2)
    return destination


def test_prepare_writes_every_split_with_classes_and_counts(prepared_sample):
    manifest = json.loads((prepared_sample / MANIFEST).read_text())
    for split in ("train", "val", "test"):
        assert manifest["counts"][split] == len(list_split(SAMPLE_ROOT, split))
        assert (prepared_sample / split / "index.json").is_file()
    assert manifest["classes"]["coarse"] == sorted({r.coarse for r in list_split(SAMPLE_ROOT, "train")})
    assert not (prepared_sample / PREPARING).exists() and manifest["skipped"] == []


def test_streamed_evaluation_batches_equal_the_in_memory_cache(prepared_sample):
    """Lossless PNG at the cache's size: the same pixels, labels, and seeded degradations as the folder reader."""
    def first_val_batch(root):
        data = ProductImageDataModule(root=str(root), image_size=32, load_size=SIZE, batch_size=12, degradation="noise")
        data.setup("fit")
        batch = next(iter(data.val_dataloader()))
        return data, data.on_after_batch_transfer(batch, 0)

    cached_data, cached = first_val_batch(SAMPLE_ROOT)
    streamed_data, streamed = first_val_batch(prepared_sample)
    assert streamed_data.streaming and not cached_data.streaming
    assert streamed_data.classes == cached_data.classes
    for key in ("clean", "degraded", "label", "index"):
        assert torch.equal(torch.as_tensor(streamed[key]), torch.as_tensor(cached[key])), key
    _, images = decode_all(list_split(SAMPLE_ROOT, "val")[:12], SIZE)
    assert torch.equal(next(iter(streamed_data.val_dataloader()))["image"], images)


def test_prepare_is_idempotent_refuses_foreign_folders_and_redoes_interrupted_runs(tmp_path, capsys):
    source = tmp_path / "shop"
    for i in range(12):
        write_image(source / "red" / f"r{i:02d}.png", (210, 40, 40))
    (source / "red" / "broken.jpg").write_bytes(b"not a jpeg")
    out = tmp_path / "out"
    first = prepare(source, out, size=16, **FORKED)
    broken = [line for line in first["skipped"] if "broken.jpg" in line]
    assert len(broken) == 1 and sum(first["counts"].values()) == 12  # the broken file listed, not counted
    stamp = (out / MANIFEST).stat().st_mtime_ns
    assert prepare(source, out, size=16, **FORKED) == first  # a finished dataset: nothing to do
    assert (out / MANIFEST).stat().st_mtime_ns == stamp and "nothing to do" in capsys.readouterr().out
    with pytest.raises(FileExistsError, match="other settings"):
        prepare(source, out, size=24, **FORKED)

    (out / PREPARING).touch()  # as if killed while writing: the next run starts over
    (out / "train" / "index.json").unlink()
    assert prepare(source, out, size=16, **FORKED)["counts"] == first["counts"]
    assert (out / "train" / "index.json").is_file() and not (out / PREPARING).exists()

    foreign = tmp_path / "photos"
    write_image(foreign / "keep.png")
    assert lightning_gan_code(["prepare", str(source), str(foreign)]) == 2
    assert "not empty and was not made by prepare" in capsys.readouterr().err
    assert [p.name for p in foreign.iterdir()] == ["keep.png"]  # the user's folder untouched


def lightning_gan_code(argv: list[str]) -> int:
    try:
        lightning_gan(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    return 0


@pytest.mark.parametrize("experiment", ["gan_enhance", "eagan_inpaint", "dcgan_generate", "cgan_generate"])
def test_each_model_family_trains_from_the_stream(prepared_sample, tmp_path, experiment):
    """The CLI with --data.root on a prepared folder: a few steps of each family that reads product folders."""
    lightning_gan(["fit", "--config", f"experiments/{experiment}.yaml", "--data.root", str(prepared_sample),
                   "--data.image_size", "32", "--data.load_size", str(SIZE), "--data.batch_size", "4",
                   "--trainer.max_steps", "2", "--trainer.limit_val_batches", "1", "--trainer.accelerator", "cpu",
                   "--trainer.default_root_dir", str(tmp_path), "--runs_dir", str(tmp_path),
                   *(["--model.image_size", "32"] if "generate" in experiment else [])])
    assert list(tmp_path.rglob("last.ckpt")), f"{experiment}: no checkpoint written"


def _read_shard(rank: int, world_size: int, root: str, init_file: str, out: str) -> None:
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world_size)
    torch.manual_seed(0)  # as `seed_everything` does on every rank (a Trainer also broadcasts rank 0's shuffle seed)
    data = ProductImageDataModule(root=root, image_size=32, load_size=SIZE, batch_size=6)
    data.setup("fit")
    indices = [int(i) for batch in data.train_dataloader() for i in batch["index"]]
    torch.save(indices, Path(out) / f"rank{rank}.pt")
    dist.destroy_process_group()


def test_two_ddp_ranks_read_disjoint_shards_that_cover_the_split(prepared_sample, tmp_path):
    mp.spawn(_read_shard, args=(2, str(prepared_sample), str(tmp_path / "init"), str(tmp_path)), nprocs=2)
    first, second = (torch.load(tmp_path / f"rank{r}.pt") for r in range(2))
    assert first and second and not set(first) & set(second)
    assert sorted(first + second) == list(range(len(list_split(SAMPLE_ROOT, "train"))))


class RecordIndices(Callback):
    def __init__(self):
        self.seen: list[list[int]] = []

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        self.seen.append([int(i) for i in batch["index"]])


def _fit(root, steps: int, folder: Path, ckpt_path=None) -> list[list[int]]:
    from lightning_gan.models.gan_enhance import GANEnhance

    L.seed_everything(0)
    record = RecordIndices()
    trainer = L.Trainer(max_steps=steps, limit_val_batches=0, logger=False, enable_progress_bar=False,
                        accelerator="cpu", default_root_dir=folder,
                        callbacks=[record, ModelCheckpoint(dirpath=folder, filename="step{step}", auto_insert_metric_name=False,
                                                         every_n_train_steps=6, save_top_k=-1)])
    model = GANEnhance(width=8, blocks=1, d_width=8, d_layers=2)
    data = ProductImageDataModule(root=str(root), image_size=16, load_size=SIZE, batch_size=8, degradation="mixed")
    trainer.fit(model, datamodule=data, ckpt_path=ckpt_path)
    return record.seen


def test_resume_mid_epoch_continues_with_the_next_streamed_batch(prepared_sample, tmp_path):
    # Lightning counts optimizer steps: each batch steps G and D, so 12 steps are 6 batches.
    straight = _fit(prepared_sample, 12, tmp_path / "straight")
    _fit(prepared_sample, 6, tmp_path / "first")
    checkpoint = tmp_path / "first" / "step6.ckpt"
    assert checkpoint.is_file(), sorted(p.name for p in (tmp_path / "first").iterdir())
    resumed = _fit(prepared_sample, 12, tmp_path / "second", ckpt_path=checkpoint)
    assert len(straight) == 6 and resumed == straight[3:]
    assert straight[3] != straight[0]  # the stream moved on: not a replay from the epoch's start


def test_a_missing_manifest_says_how_to_make_one(tmp_path):
    with pytest.raises(FileNotFoundError, match="lightning-gan prepare"):
        ProductImageDataModule(root=f"local:{tmp_path}")


def test_an_object_store_url_streams_through_the_download_cache(prepared_sample, tmp_path):
    """`local:/path` is LitData's stand-in for s3:// and friends: chunks are downloaded into --data.cache_dir and
    read from there. (Real buckets need credentials and the network; not tested here.)"""
    def val_indices(root, **kwargs):
        data = ProductImageDataModule(root=str(root), image_size=32, load_size=SIZE, batch_size=16, **kwargs)
        data.setup("validate")
        return torch.cat([batch["index"] for batch in data.val_dataloader()]).tolist(), data

    remote, data = val_indices(f"local:{prepared_sample}", cache_dir=str(tmp_path / "chunks"))
    local, _ = val_indices(prepared_sample)
    assert remote == local and data.classes == json.loads((prepared_sample / MANIFEST).read_text())["classes"]["fine"]
    assert list((tmp_path / "chunks").rglob("*.bin")), "chunks were not downloaded into the cache"


def test_cyclegan_trains_on_a_streamed_domain_a(prepared_sample, tmp_path):
    lightning_gan(["fit", "--config", "experiments/cyclegan_catalog.yaml", "--data.a", str(prepared_sample), "--model.image_size", "32",
                   "--data.image_size", "32", "--data.load_size", str(SIZE), "--data.batch_size", "4",
                   "--trainer.max_steps", "4", "--trainer.limit_val_batches", "1", "--trainer.accelerator", "cpu",
                   "--runs_dir", str(tmp_path)])
    assert list(tmp_path.rglob("last.ckpt"))


def test_only_domain_a_streams(prepared_sample):
    from lightning_gan.data.unpaired import UnpairedDataModule

    with pytest.raises(ValueError, match="--data.b .*only domain A"):
        UnpairedDataModule(b=str(prepared_sample))


def test_lightning_ddp_ranks_stream_disjoint_shards_of_the_whole_split(prepared_sample, tmp_path):
    """The CLI under `--trainer.strategy ddp` (two gloo processes): each rank's batches come from its own shard (rank
    0's shuffle seed is broadcast), and together they cover the training split."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    env = os.environ | {"PYTHONPATH": str(root / "tests"), "WANDB_MODE": "disabled"}
    env.pop("LIGHTNING_GAN_RUN_DIR", None)
    run = subprocess.run(
        [sys.executable, "-m", "lightning_gan", "fit", "--config", str(root / "experiments" / "gan_enhance.yaml"),
         "--data.root", str(prepared_sample), "--data.image_size", "32", "--data.load_size", str(SIZE),
         "--data.batch_size", "6", "--model.init_args.width", "8", "--model.init_args.blocks", "1",
         "--trainer.strategy", "ddp", "--trainer.devices", "2", "--trainer.accelerator", "cpu",
         "--trainer.max_epochs", "1", "--trainer.limit_val_batches", "1", "--trainer.enable_progress_bar", "false",
         "--trainer.callbacks+=ddp_probe.RankProbe", f"--trainer.callbacks.out_dir={tmp_path / 'probe'}",
         "--runs_dir", str(tmp_path / "runs")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    seen = [set(torch.load(tmp_path / "probe" / f"rank{r}.pt", weights_only=True)["indices"].tolist()) for r in (0, 1)]
    assert seen[0] and seen[1] and not seen[0] & seen[1]
    assert seen[0] | seen[1] == set(range(len(list_split(SAMPLE_ROOT, "train"))))  # 324 = 2 ranks x 27 batches of 6


def test_a_second_prepare_on_one_destination_waits_its_turn_and_never_breaks_the_first(tmp_path, capsys):
    import fcntl

    from lightning_gan.data.streaming import LOCK

    source = tmp_path / "shop"
    for i in range(6):
        write_image(source / "red" / f"r{i:02d}.png", (210, 40, 40))
    out = tmp_path / "out"
    out.mkdir()
    (out / PREPARING).touch()  # the first run is writing now: it holds the lock
    with open(out / LOCK, "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        assert lightning_gan_code(["prepare", str(source), str(out), "--size", "16", "--workers", "1"]) == 2
        assert "another prepare is writing" in capsys.readouterr().err
        assert sorted(p.name for p in out.iterdir()) == sorted([PREPARING, LOCK])  # nothing of the first run deleted
    first = prepare(source, out, size=16, **FORKED)  # the lock is free again: an interrupted run, redone
    assert json.loads((out / "train" / "index.json").read_text())["chunks"]
    assert prepare(source, out, size=16, **FORKED) == first  # and then finished: nothing to do


@pytest.mark.parametrize("start_method", ["spawn", "fork"])
def test_prepare_leaves_the_process_start_method_as_it_found_it(tmp_path, start_method):
    """LitData forces multiprocessing's start method for the whole process; the caller's DataLoader workers must not
    start differently after a prepare."""
    import multiprocessing

    for i in range(4):
        write_image(tmp_path / "shop" / "red" / f"r{i:02d}.png", (210, 40, 40))
    before = multiprocessing.get_start_method(allow_none=True)
    other = "forkserver" if before != "forkserver" else "fork"
    multiprocessing.set_start_method(other, force=True)
    try:
        prepare(tmp_path / "shop", tmp_path / "out", size=16, num_workers=1, start_method=start_method)
        assert multiprocessing.get_start_method(allow_none=True) == other
    finally:
        multiprocessing.set_start_method(before, force=True)
