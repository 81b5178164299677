"""inference/loading.py: one resolver for every tool, so the same bad name gets the same message everywhere, and an
exported .safetensors (card beside it) works wherever a shipped name does."""

from __future__ import annotations

import shutil

import pytest
from PIL import Image

from lightning_gan.commands import main
from lightning_gan.inference import PRETRAINED_DIR, ModelError, load_restorer
from lightning_gan.inference.loading import load_model_object

UNKNOWN = "neither a checkpoint file, an exported .safetensors model nor a shipped model"


def test_every_tool_says_the_same_about_a_model_that_does_not_exist(tmp_path, capsys):
    Image.new("RGB", (16, 16), (90, 120, 30)).save(tmp_path / "a.png")
    calls = {
        "enhance": ["enhance", str(tmp_path / "a.png"), str(tmp_path / "o1"), "--model", "nope"],
        "generate": ["generate", str(tmp_path / "o2"), "--model", "nope"],
        "translate": ["translate", str(tmp_path / "a.png"), str(tmp_path / "o3"), "--model", "nope"],
        "export": ["export", "--model", "nope", "--format", "torchscript", "--out", str(tmp_path / "m.pt")],
    }
    for tool, argv in calls.items():
        with pytest.raises(SystemExit) as stopped:
            main(argv)
        assert stopped.value.code == 2, tool
        assert UNKNOWN in capsys.readouterr().err, tool
    with pytest.raises(ModelError, match="nor a baseline"):  # restoration tools also take baselines: they say so
        load_restorer("nope")


def test_an_exported_safetensors_loads_like_its_shipped_name(tmp_path):
    for suffix in (".safetensors", ".json"):
        shutil.copy(PRETRAINED_DIR / f"enhance{suffix}", tmp_path / f"mine{suffix}")
    shipped, exported = load_model_object("enhance"), load_model_object(str(tmp_path / "mine.safetensors"))
    assert all((a == b).all() for a, b in zip(shipped.inference_generator.state_dict().values(),
                                              exported.inference_generator.state_dict().values()))
    assert main(["export", "--model", str(tmp_path / "mine.safetensors"), "--format", "torchscript",
                 "--out", str(tmp_path / "mine.pt")]) is None and (tmp_path / "mine.pt").is_file()
    (tmp_path / "mine.json").unlink()
    with pytest.raises(ModelError, match="no card mine.json beside it"):
        load_model_object(str(tmp_path / "mine.safetensors"))


def test_a_model_trained_behind_an_earlier_stage_runs_it_first(tmp_path):
    """`input_model` in training -> the loaded restorer runs that model on the input before its own network, as the
    model was trained; `alone()` is the network by itself."""
    import torch
    from conftest import save_checkpoint

    from lightning_gan.models.eagan import EAGAN

    torch.manual_seed(0)
    before = EAGAN(width=8, blocks=1, d_width=8, d_layers=2)
    torch.nn.init.normal_(before.generator_ema.module.tail.weight, std=0.1)  # not the identity
    first = save_checkpoint(before, tmp_path / "first.ckpt")
    second = save_checkpoint(EAGAN(generator="edsr", width=8, blocks=1, scale=2, input_model=str(first)),
                             tmp_path / "second.ckpt")
    photo = torch.rand(1, 3, 16, 16)
    cascade = load_restorer(str(second))
    assert cascade.before is not None and cascade.alone().before is None
    torch.testing.assert_close(cascade(photo), cascade.alone()(load_restorer(str(first))(photo)))
    assert not torch.allclose(cascade(photo), cascade.alone()(photo), atol=1e-3)

    from lightning_gan.inference.loading import export_pretrained

    export_pretrained(second, "second", tmp_path, {})  # a shipped card loads without Lightning: the same cascade
    shipped = load_restorer(str(tmp_path / "second.safetensors"))
    assert shipped.before is not None and shipped.before.name == str(first)


def test_a_cascade_trained_end_to_end_runs_its_own_earlier_stage(tmp_path):
    """`train_input_model` -> the loaded restorer's `before` is the fine-tuned first stage saved with the model (named
    `model/input_model`), not the shipped input model; from a checkpoint and from an exported card alike."""
    import torch
    from conftest import save_checkpoint

    from lightning_gan.inference.loading import export_pretrained
    from lightning_gan.models.eagan import EAGAN
    from lightning_gan.nets.io import to_signed, to_unit

    torch.manual_seed(0)
    first = save_checkpoint(EAGAN(width=8, blocks=1, d_width=8, d_layers=2), tmp_path / "first.ckpt")
    model = EAGAN(generator="edsr", width=8, blocks=1, scale=2, input_model=str(first), train_input_model=True)
    tuned = model.generator_ema.module.first
    torch.nn.init.normal_(tuned.tail.weight, std=0.1)  # as if fine-tuned: no longer the shipped first stage
    second = save_checkpoint(model, tmp_path / "second.ckpt")
    photo = torch.rand(1, 3, 16, 16)
    for spec in (str(second), str(tmp_path / "second.safetensors")):
        if spec.endswith(".safetensors"):
            export_pretrained(second, "second", tmp_path, {})
        cascade = load_restorer(spec)
        assert cascade.before.name == f"{spec}/{first}"
        torch.testing.assert_close(cascade.before(photo), to_unit(tuned.eval()(to_signed(photo))).clamp(0, 1),
                                   atol=2e-3, rtol=0)  # fp16 weights in the card
        assert not torch.allclose(cascade.before(photo), load_restorer(str(first))(photo), atol=1e-3)
        torch.testing.assert_close(cascade(photo), cascade.alone()(cascade.before(photo)))
