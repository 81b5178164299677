"""lightning_gan.models.cgan: the class-conditional GAN (labels, checkpoints, FastGAN options, mode seeking)."""

from __future__ import annotations

import lightning as L
import pytest
import torch
from conftest import quick_trainer

from lightning_gan.data.datamodule import ProductImageDataModule
from lightning_gan.inference import load_checkpoint_model
from lightning_gan.models.cgan import ConditionalGAN


def test_conditional_gan_follows_the_label(two_class_folder, tmp_path):
    """Red and blue 'products': after a short CPU training, images generated for 'red' are redder than for 'blue'."""
    L.seed_everything(0)
    data = ProductImageDataModule(root=str(two_class_folder), image_size=16, batch_size=16, augment=False)
    model = ConditionalGAN(latent_dim=16, g_width=16, d_width=16, image_size=16, grid_size=8, diff_augment="translation")
    quick_trainer(tmp_path, max_steps=500, limit_val_batches=0, enable_checkpointing=False).fit(model, datamodule=data)
    assert model.classes == ["blue", "red"]
    images = model.sample(64, torch.Generator().manual_seed(3), labels=torch.tensor([0, 1]).repeat_interleave(32))
    redness = (images[:, 0] - images[:, 2]).mean(dim=(1, 2))  # R - B per image
    blue, red = redness[:32].mean().item(), redness[32:].mean().item()
    assert red - blue > 0.6, f"red-minus-blue: {red:.3f} for 'red', {blue:.3f} for 'blue'"


def test_conditional_gan_checkpoint_keeps_its_classes(two_class_folder, tmp_path):
    data = ProductImageDataModule(root=str(two_class_folder), image_size=16, batch_size=8)
    model = ConditionalGAN(latent_dim=8, g_width=8, d_width=8, image_size=16, grid_size=8)
    trainer = quick_trainer(tmp_path, max_epochs=1, limit_train_batches=2, limit_val_batches=1)
    trainer.fit(model, datamodule=data)
    path = tmp_path / "cgan.ckpt"
    trainer.save_checkpoint(path)
    loaded = load_checkpoint_model(path)
    assert isinstance(loaded, ConditionalGAN) and loaded.classes == ["blue", "red"]
    torch.testing.assert_close(loaded.inference_generator.state_dict(), model.inference_generator.state_dict())
    with pytest.raises(ValueError, match="known labels: blue, red"):
        loaded.label_of("green")


@pytest.mark.parametrize("discriminator", ["fastgan", "fastgan_bn"])
def test_fastgan_options_train_with_r1_reconstruction_and_pairs(discriminator, two_class_folder, tmp_path):
    data = ProductImageDataModule(root=str(two_class_folder), image_size=16, batch_size=8)
    model = ConditionalGAN(latent_dim=8, g_width=8, d_width=8, image_size=16, grid_size=8, generator="fastgan",
                           discriminator=discriminator, r1_weight=1.0, r1_every=1, diversity_weight=1.0)
    trainer = quick_trainer(tmp_path, max_epochs=1, limit_train_batches=2, limit_val_batches=1)
    trainer.fit(model, datamodule=data)
    logged = trainer.logged_metrics
    assert {"train/d_r1", "train/d_reconstruction", "train/g_pair_distance"} <= set(logged)
    assert logged["train/d_r1"] > 0 and logged["train/g_pair_distance"] > 0
    trainer.save_checkpoint(tmp_path / "fast.ckpt")
    loaded = load_checkpoint_model(tmp_path / "fast.ckpt")
    assert type(loaded.generator).__name__ == "FastGANGenerator"
    has_bn = any(isinstance(m, torch.nn.BatchNorm2d) for m in loaded.discriminator.modules())
    assert has_bn == (discriminator == "fastgan_bn")
    z = torch.randn(2, 8)
    assert torch.equal(loaded.render(z, torch.tensor([0, 1])), model.render(z, torch.tensor([0, 1])))


def test_mode_seeking_pairs_share_a_class_and_reward_distance():
    model = ConditionalGAN(classes=["a", "b", "c"], latent_dim=8, g_width=8, d_width=8, image_size=16, grid_size=8,
                           diversity_weight=1.0)
    batch = {"clean": torch.rand(5, 3, 16, 16), "label": torch.tensor([0, 2, 1, 1, -1])}
    labels = model.fake_labels(batch)
    assert labels.tolist() == [0, 2, 0, 2, 0]  # halves repeat, the odd one out keeps its own (unknown -> 0) class
    same = torch.zeros(4, 3, 16, 16)
    apart = torch.cat([torch.zeros(2, 3, 16, 16), torch.ones(2, 3, 16, 16)])
    batch["fake_label"] = labels[:4]
    loss_same, _ = model.g_loss(batch, same)
    loss_apart, logs = model.g_loss(batch, apart)
    assert loss_same - loss_apart > 1000  # identical pairs (G ignores z) cost 1 / 1e-5
    assert logs["g_pair_distance"] == pytest.approx(1.0)


def test_projected_discriminator_trains_against_the_frozen_product_classifier(two_class_folder, tmp_path):
    """discriminator=projected: the shipped classifier's weights do not move, its BN stays in eval mode, the heads
    and the generator do; the D optimizer holds only trainable tensors; the checkpoint loads back."""
    data = ProductImageDataModule(root=str(two_class_folder), image_size=16, batch_size=8)
    model = ConditionalGAN(latent_dim=8, g_width=8, d_width=8, image_size=16, grid_size=8, generator="fastgan",
                           discriminator="projected", r1_weight=1.0, r1_every=1)
    features = {k: v.clone() for k, v in model.discriminator.features.state_dict().items()} if model.discriminator else None
    trainer = quick_trainer(tmp_path, max_epochs=1, limit_train_batches=2, limit_val_batches=1)
    trainer.fit(model, datamodule=data)
    assert type(model.discriminator).__name__ == "ProjectedDiscriminator" and not model.discriminator.features.training
    d_params = {id(p) for group in trainer.optimizers[1].param_groups for p in group["params"]}
    assert d_params and all(p.requires_grad for p in model.discriminator.parameters() if id(p) in d_params)
    assert not any(id(p) in d_params for p in model.discriminator.features.parameters())
    if features is None:  # the cGAN builds its networks once the classes are known
        from lightning_gan.evaluation.domain import load_domain_classifier

        features = {f"layers.{k.removeprefix('body.')}": v for k, v in load_domain_classifier().net.state_dict().items()
                    if not k.startswith("head") and not k.startswith(("body.7", "body.8"))}
    after = model.discriminator.features.state_dict()
    for key, value in features.items():
        assert torch.equal(after[key].cpu(), value.cpu()), key
    assert trainer.logged_metrics["train/d_r1"] > 0
    trainer.save_checkpoint(tmp_path / "projected.ckpt")
    loaded = load_checkpoint_model(tmp_path / "projected.ckpt")
    torch.testing.assert_close(loaded.discriminator.state_dict(), model.discriminator.state_dict())


def test_projected_and_pixel_discriminators_train_together(two_class_folder, tmp_path):
    """discriminator=projected+fastgan_bn (Vision-aided GAN): both judges in D, the pixel one's reconstruction loss
    logged, the classifier frozen and left out of D's optimizer."""
    data = ProductImageDataModule(root=str(two_class_folder), image_size=16, batch_size=8)
    model = ConditionalGAN(latent_dim=8, g_width=8, d_width=8, image_size=16, grid_size=8, generator="fastgan",
                           discriminator="projected+fastgan_bn")
    trainer = quick_trainer(tmp_path, max_epochs=1, limit_train_batches=2, limit_val_batches=1)
    trainer.fit(model, datamodule=data)
    d = model.discriminator
    assert type(d).__name__ == "EnsembleDiscriminator" and not d.projected.features.training
    assert "train/d_reconstruction" in trainer.logged_metrics
    d_params = {id(p) for group in trainer.optimizers[1].param_groups for p in group["params"]}
    assert not any(id(p) in d_params for p in d.projected.features.parameters())
    assert all(id(p) in d_params for p in d.pixel.parameters())


def test_warm_start_takes_a_trained_generator_and_a_fresh_discriminator_of_another_kind(two_class_folder, tmp_path):
    """`init_from` seeds a new run's generator (and its EMA copy) with a trained one, so a new discriminator can be
    tried on it; the D is new. A source trained on other classes is refused, naming the option."""
    data = ProductImageDataModule(root=str(two_class_folder), image_size=16, batch_size=8)
    source = ConditionalGAN(latent_dim=8, g_width=8, d_width=8, image_size=16, grid_size=8, generator="fastgan",
                            discriminator="fastgan")
    trainer = quick_trainer(tmp_path / "a", max_epochs=1, limit_train_batches=2, limit_val_batches=0)
    trainer.fit(source, datamodule=data)
    path = tmp_path / "source.ckpt"
    trainer.save_checkpoint(path)

    seen = {}

    class Recording(ConditionalGAN):
        def on_fit_start(self):
            super().on_fit_start()
            seen["ema"] = {k: v.clone() for k, v in self.generator_ema.module.state_dict().items()}
            seen["d_bn"] = any(isinstance(m, torch.nn.BatchNorm2d) for m in self.discriminator.modules())

    model = Recording(latent_dim=8, g_width=8, d_width=8, image_size=16, grid_size=8, generator="fastgan",
                      discriminator="fastgan_bn", init_from=str(path))
    quick_trainer(tmp_path / "b", max_epochs=1, limit_train_batches=1, limit_val_batches=0,
                  enable_checkpointing=False).fit(model, datamodule=data)
    torch.testing.assert_close(seen["ema"], source.inference_generator.state_dict())
    assert seen["d_bn"]  # this run's discriminator (fastgan_bn), not the source's (fastgan)

    other = ProductImageDataModule(root=str(two_class_folder), image_size=16, batch_size=8)
    wrong = ConditionalGAN(classes=["apple", "pear"], latent_dim=8, g_width=8, d_width=8, image_size=16, grid_size=8,
                           generator="fastgan", discriminator="fastgan", init_from=str(path))
    with pytest.raises(ValueError, match="init_from .*other classes"):
        quick_trainer(tmp_path / "c", max_epochs=1, limit_train_batches=1, limit_val_batches=0,
                      enable_checkpointing=False).fit(wrong, datamodule=other)


def saved_classifier(folder, classes: list[str], image_size: int = 16):
    """A small ProductClassifier with its card, as `train-classifier` writes one."""
    import json

    from safetensors.torch import save_file

    from lightning_gan.nets.classifier import ProductClassifier

    torch.manual_seed(0)
    net = ProductClassifier(len(classes), width=8)
    path = folder / "judge.safetensors"
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(path))
    path.with_suffix(".json").write_text(json.dumps({"classes": classes, "width": 8, "blocks": 1, "image_size": image_size}))
    return path, net.eval()


def test_class_weight_adds_the_frozen_classifiers_cross_entropy_for_the_generated_classes(tmp_path):
    """class_weight: G's loss grows by exactly weight x the classifier's cross-entropy on the samples against
    their classes, matched by name (the classifier's order is not the generator's); the classifier never trains."""
    import torch.nn.functional as F

    path, net = saved_classifier(tmp_path, ["other", "red", "blue"])
    common = dict(classes=["blue", "red"], latent_dim=8, g_width=8, d_width=8, image_size=16, grid_size=8,
                  diff_augment="", feature_network=str(path))
    torch.manual_seed(1)
    plain = ConditionalGAN(**common).eval()
    torch.manual_seed(1)
    judged = ConditionalGAN(class_weight=2.0, **common).eval()
    judged.train()  # Lightning's fit mode: the judge must stay in eval mode (its batch norm is the classifier's)
    assert not judged.class_judge.training and not any(p.requires_grad for p in judged.class_judge.parameters())
    judged.eval()
    fake = (torch.rand(4, 3, 16, 16) * 2 - 1).requires_grad_(True)
    batch = {"clean": torch.rand(4, 3, 16, 16), "label": torch.tensor([0, 1, 1, 0])}
    base, _ = plain.g_loss(batch, fake)
    loss, logs = judged.g_loss(batch, fake)
    with torch.no_grad():
        expected = F.cross_entropy(net((fake + 1) / 2), torch.tensor([2, 1, 1, 2]))  # blue = 2, red = 1 there
    assert logs["g_class"] == pytest.approx(expected.item(), rel=1e-5)
    assert (loss - base).item() == pytest.approx(2.0 * expected.item(), rel=1e-4)
    loss.backward()
    assert fake.grad.abs().sum() > 0


def test_class_weight_refuses_a_classifier_that_does_not_know_the_classes(tmp_path):
    path, _ = saved_classifier(tmp_path, ["red", "green"])
    with pytest.raises(ValueError, match=r"--model.class_weight: .*does not know the classes blue"):
        ConditionalGAN(classes=["blue", "red"], latent_dim=8, g_width=8, d_width=8, image_size=16, grid_size=8,
                       class_weight=1.0, feature_network=str(path))
    with pytest.raises(ValueError, match="--model.class_weight must be >= 0"):
        ConditionalGAN(classes=["blue", "red"], class_weight=-1.0)
