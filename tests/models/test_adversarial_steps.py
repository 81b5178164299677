"""Each model's adversarial step: finite losses, the D step moves only D, the G step moves only G."""

from __future__ import annotations

import lightning as L
import pytest
import torch

from lightning_gan.data.datamodule import ProductImageDataModule
from lightning_gan.models.base import EMA
from lightning_gan.models.cgan import ConditionalGAN
from lightning_gan.models.dcgan import DCGAN
from lightning_gan.models.eagan import EAGAN
from lightning_gan.models.gan_enhance import GANEnhance


def snapshot(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {name: p.detach().clone() for name, p in module.named_parameters()}


def changed(before: dict, after: dict) -> bool:
    return any(not torch.equal(before[k], after[k]) for k in before)


class StepWatcher(L.Callback):
    """Snapshots G and D before the D step, between the steps, and after the G step of the first batch."""

    def __init__(self):
        self.snaps: list[tuple[dict, dict]] = []

    def _take(self, model):
        self.snaps.append((snapshot(model.generator), snapshot(model.discriminator)))

    def on_before_optimizer_step(self, trainer, model, optimizer):
        if trainer.fit_loop.epoch_loop.batch_progress.current.completed == 0:
            self._take(model)

    def on_train_batch_end(self, trainer, model, outputs, batch, batch_idx):
        if batch_idx == 0:
            self._take(model)


def tiny_models():
    return [
        ("dcgan", DCGAN(latent_dim=8, g_width=8, d_width=8, image_size=16, grid_size=4), None),
        ("cgan", ConditionalGAN(latent_dim=8, g_width=8, d_width=8, image_size=16, grid_size=8), None),
        ("enhance", GANEnhance(width=8, blocks=1, d_width=8, d_layers=2), "mixed"),
        ("eagan_sr", EAGAN(width=8, blocks=1, d_width=8, d_layers=2, scale=2, spectral_norm=True), "downscale2"),
        ("eagan_tone", EAGAN(generator="tone", width=4, thumb=16, knots=5, discriminator="global_local", d_width=8,
                             d_layers=2, spectral_norm=True), "mixed"),
        ("eagan_inpaint", EAGAN(generator="unet", width=8, blocks=2, d_width=8, d_layers=2, use_mask=True, hole_weight=5.0),
         "stains"),
    ]


@pytest.mark.parametrize("name,model,degradation", tiny_models(), ids=lambda v: v if isinstance(v, str) else "")
def test_d_step_moves_only_d_and_g_step_only_g(name, model, degradation, two_class_folder, tmp_path):
    data = ProductImageDataModule(root=str(two_class_folder), image_size=16, batch_size=8, degradation=degradation)
    watcher = StepWatcher()
    trainer = L.Trainer(max_epochs=1, limit_train_batches=2, limit_val_batches=1, logger=False, default_root_dir=tmp_path,
                        enable_checkpointing=False, enable_progress_bar=False, callbacks=[watcher])
    trainer.fit(model, datamodule=data)
    (g0, d0), (g1, d1), (g2, d2) = watcher.snaps[:3]
    assert list((tmp_path / "images").glob("*.png")), "validation grid saved under default_root_dir"
    assert changed(d0, d1) and not changed(g0, g1), "D step"
    assert changed(g1, g2) and not changed(d1, d2), "G step"
    for key in ("train/d_loss", "train/g_loss", "train/d_acc_real", "train/d_acc_fake"):
        assert torch.isfinite(trainer.logged_metrics[key]), key
    assert int(model.g_steps) == 2 and int(model.d_steps) == 2
    assert trainer.global_step == 4  # Lightning counts the steps of both optimizers


def test_d_steps_per_g_ratio(two_class_folder, tmp_path):
    model = DCGAN(latent_dim=8, g_width=8, d_width=8, image_size=16, grid_size=4, d_steps_per_g=3)
    data = ProductImageDataModule(root=str(two_class_folder), image_size=16, batch_size=4)
    trainer = L.Trainer(max_epochs=1, limit_train_batches=6, limit_val_batches=0, logger=False, default_root_dir=tmp_path,
                        enable_checkpointing=False, enable_progress_bar=False)
    trainer.fit(model, datamodule=data)
    assert (int(model.d_steps), int(model.g_steps)) == (6, 2)


def test_ema_warms_up_then_tracks():
    net = torch.nn.Linear(2, 2)
    ema = EMA(net, decay=0.999)
    with torch.no_grad():
        net.weight.add_(1.0)
    ema.update(net)  # first update: weight 1 - 2/11, mostly the new weights
    gap = (ema.module.weight - net.weight).abs().max().item()
    assert 0 < gap < 0.25
    assert not ema.module.weight.requires_grad


def test_gan_enhance_starts_as_identity():
    model = GANEnhance(width=8, blocks=1, d_width=8).eval()
    degraded = torch.rand(2, 3, 16, 16)
    torch.testing.assert_close(model.enhance(degraded), degraded, atol=1e-6, rtol=0)


def test_dcgan_samples_are_images():
    model = DCGAN(latent_dim=8, g_width=8, d_width=8, image_size=32, grid_size=4).eval()
    images = model.sample(3, torch.Generator().manual_seed(0))
    assert images.shape == (3, 3, 32, 32) and images.min() >= 0 and images.max() <= 1
    again = model.sample(3, torch.Generator().manual_seed(0))
    assert torch.equal(images, again)


def test_untrained_inpainter_starts_from_the_diffusion_fill():
    from lightning_gan.data.degradations import degrade
    from lightning_gan.inference.baselines import diffusion_fill

    model = EAGAN(width=8, blocks=1, d_width=8, use_mask=True).eval()
    clean = torch.rand(2, 3, 32, 32)
    stained = degrade(clean, "stains", seeds=torch.tensor([0, 1]))
    torch.testing.assert_close(model.enhance(stained.image, stained.mask), diffusion_fill(stained.image, stained.mask),
                               atol=1e-5, rtol=0)


def test_global_local_discriminator_weighs_both_views_equally():
    from lightning_gan.nets.enhance import GlobalLocalDiscriminator

    critic = GlobalLocalDiscriminator(6, 8, 2, True, global_size=32, crop=16, crops=3)
    logits = critic(torch.rand(2, 6, 48, 40))
    whole = critic.whole(torch.nn.functional.interpolate(torch.rand(1, 6, 32, 32), size=(32, 32))).numel()
    local = critic.local(torch.rand(1, 6, 16, 16)).numel()
    assert whole == local  # one global patch map and one crop's map have the same size here
    assert logits.shape == (2, 3 * whole + 3 * local)


def test_patch_discriminator_features_end_in_its_logits():
    from lightning_gan.nets.enhance import PatchDiscriminator

    critic = PatchDiscriminator(6, 8, 3, spectral_norm=False).eval()
    x = torch.rand(2, 6, 64, 64)
    logits, features = critic.features(x)
    assert torch.equal(logits, critic(x))
    assert len(features) == 4  # after the head, two stride-2 layers and the stride-1 layer


def test_feature_matching_is_a_generator_loss_term():
    model = EAGAN(generator="ffc", width=8, blocks=1, d_width=8, use_mask=True, feature_matching_weight=10.0)
    clean = torch.rand(2, 3, 32, 32)
    mask = torch.zeros(2, 1, 32, 32)
    mask[..., 8:20, 8:20] = 1
    batch = {"clean": clean, "degraded": clean * (1 - mask), "mask": mask}
    _, terms = model.g_loss(batch, model.generate(batch))
    assert terms["g_fm"] > 0  # the hole is still the diffusion fill: features differ from the photo's
    _, perfect = model.g_loss(batch, clean * 2 - 1)
    assert perfect["g_fm"] == 0
    with pytest.raises(ValueError, match="feature_matching_weight"):
        EAGAN(discriminator="global_local", feature_matching_weight=1.0)


def test_tone_generator_refuses_inpainting_and_upscaling():
    with pytest.raises(ValueError, match="tone"):
        EAGAN(generator="tone", use_mask=True)
    with pytest.raises(ValueError, match="upsample"):
        EAGAN(generator="tone", scale=2)


def test_image_grids_are_logged_at_the_step_of_the_metrics(two_class_folder, tmp_path):
    """W&B draws images and metrics on one axis: both must use Lightning's logging step (not global_step, which
    counts both optimizers)."""
    from lightning.pytorch.loggers import Logger

    class Spy(Logger):
        name, version = "spy", "0"

        def __init__(self):
            super().__init__()
            self.metric_steps, self.image_steps = {}, []

        def log_hyperparams(self, params, *args, **kwargs):
            pass

        def log_metrics(self, metrics, step=None):
            for key in metrics:
                self.metric_steps.setdefault(key, []).append(step)

        def log_image(self, key, images, step=None, **kwargs):
            self.image_steps.append(step)

    spy = Spy()
    data = ProductImageDataModule(root=str(two_class_folder), image_size=16, batch_size=8, degradation="noise")
    model = EAGAN(width=8, blocks=1, d_width=8, d_layers=2)
    trainer = L.Trainer(max_epochs=2, limit_train_batches=3, limit_val_batches=1, logger=spy, default_root_dir=tmp_path,
                        enable_checkpointing=False, enable_progress_bar=False, num_sanity_val_steps=0)
    trainer.fit(model, datamodule=data)
    assert len(spy.image_steps) == 2 and spy.image_steps == spy.metric_steps["val/psnr"]
    assert spy.image_steps[-1] < trainer.global_step / 2  # batches, not optimizer steps (global_step = 12)


def test_g_lr_and_d_lr_override_the_configured_optimizers():
    from lightning_gan.models.gan_enhance import GANEnhance

    (g_opt, d_opt), _ = GANEnhance().configure_optimizers()
    assert g_opt.param_groups[0]["lr"] == 2e-4 and d_opt.param_groups[0]["lr"] == 4e-5  # the design's rates
    sgd = lambda params: torch.optim.SGD(params, lr=0.1)  # noqa: E731 - a configured optimizer, as from YAML
    (g_opt, d_opt), _ = GANEnhance(g_optimizer=sgd, d_lr=1e-3).configure_optimizers()
    assert g_opt.param_groups[0]["lr"] == 0.1 and d_opt.param_groups[0]["lr"] == 1e-3


def test_hparams_record_every_init_argument_of_the_variant_and_its_bases():
    """The base's save_hyperparameters sees the whole __init__ chain: a checkpoint (and W&B) gets the variant's own
    arguments, the enhancement base's and the adversarial core's, defaults included; optimizers are not hparams."""
    from lightning_gan.models.eagan import EAGAN

    hp = EAGAN(generator="unet", width=8, blocks=2, noise_map=True).hparams
    assert (hp.generator, hp.width, hp.noise_map, hp.l1_weight, hp.ema_decay) == ("unet", 8, True, 100.0, 0.999)
    assert "g_optimizer" not in hp and "d_scheduler" not in hp


def test_init_from_warm_starts_a_generator_with_a_grown_input(two_class_folder, tmp_path):
    """A noise-map model warm-started from a model without the map computes exactly what the source did."""
    from conftest import save_checkpoint

    torch.manual_seed(0)
    source = EAGAN(width=8, blocks=1, d_width=8, d_layers=2)
    torch.nn.init.normal_(source.generator_ema.module.tail.weight, std=0.1)  # not the identity
    checkpoint = save_checkpoint(source, tmp_path / "source.ckpt")
    model = EAGAN(width=8, blocks=1, d_width=8, d_layers=2, noise_map=True, init_from=str(checkpoint))
    trainer = L.Trainer(max_epochs=1, limit_train_batches=0, limit_val_batches=0, logger=False,
                        enable_checkpointing=False, enable_progress_bar=False)
    trainer.fit(model, datamodule=ProductImageDataModule(root=str(two_class_folder), image_size=16, degradation="noise"))
    photo = torch.rand(1, 3, 24, 24)
    expected = source.eval().enhance(photo)
    torch.testing.assert_close(model.eval().enhance(photo), expected)  # the EMA copy was warm-started too
    torch.testing.assert_close(model.enhance(photo, generator=model.generator), expected)

    wider = EAGAN(width=16, blocks=1, noise_map=True, init_from=str(checkpoint))
    with pytest.raises(ValueError, match="init_from .*has shape"):
        trainer.fit(wider, datamodule=ProductImageDataModule(root=str(two_class_folder), image_size=16, degradation="noise"))


def test_init_from_a_model_of_another_upscaling_factor_seeds_the_body_and_starts_the_upscaling_afresh(two_class_folder, tmp_path):
    """x4 -> x2 (EDSR's warm start across factors): head and body are the source's; the upscaling layers are new and
    the zero tail makes the seeded model plain bicubic until it trains. A different body is still refused."""
    import torch.nn.functional as F
    from conftest import save_checkpoint

    torch.manual_seed(0)
    source = EAGAN(generator="edsr", width=8, blocks=1, scale=4, d_width=8, d_layers=2)
    for p in source.generator_ema.module.parameters():
        torch.nn.init.normal_(p, std=0.1)
    checkpoint = save_checkpoint(source, tmp_path / "x4.ckpt")
    model = EAGAN(generator="edsr", width=8, blocks=1, scale=2, init_from=str(checkpoint))
    trainer = L.Trainer(max_epochs=1, limit_train_batches=0, limit_val_batches=0, logger=False,
                        enable_checkpointing=False, enable_progress_bar=False)
    trainer.fit(model, datamodule=ProductImageDataModule(root=str(two_class_folder), image_size=16, degradation="downscale2"))
    theirs, ours = source.generator_ema.module.state_dict(), model.generator_ema.module.state_dict()
    for key in ("head.0.weight", "body.0.body.0.weight"):
        torch.testing.assert_close(ours[key], theirs[key])
    assert ours["up.0.weight"].shape == theirs["up.0.weight"].shape and not torch.equal(ours["up.0.weight"], theirs["up.0.weight"])
    photo = torch.rand(1, 3, 12, 12) * 2 - 1
    expected = F.interpolate(photo, scale_factor=2, mode="bicubic", align_corners=False)
    torch.testing.assert_close(model.generator_ema.module(photo), expected)

    deeper = EAGAN(generator="edsr", width=8, blocks=2, scale=2, init_from=str(checkpoint))
    with pytest.raises(ValueError, match="init_from .*another architecture"):
        trainer.fit(deeper, datamodule=ProductImageDataModule(root=str(two_class_folder), image_size=16, degradation="downscale2"))


def test_init_from_a_noise_map_model_drops_the_map_as_if_it_were_zero():
    """A blind model warm-started from a noise-map model (dejpeg from denoise) computes what the source does at
    noise level 0."""
    from lightning_gan.models.enhance_base import load_grown

    torch.manual_seed(0)
    source = EAGAN(generator="unshuffle", width=8, blocks=1, d_width=8, d_layers=2, noise_map=True)
    for p in source.generator.parameters():
        torch.nn.init.normal_(p, std=0.1)  # not the identity
    blind = EAGAN(generator="unshuffle", width=8, blocks=1, d_width=8, d_layers=2)
    load_grown(blind.generator, source.generator.state_dict(), "source")
    photo = torch.rand(1, 3, 24, 24)
    at_zero = torch.cat([photo * 2 - 1, torch.zeros(1, 1, 24, 24)], dim=1)
    torch.testing.assert_close(blind.generator(photo * 2 - 1), source.generator(at_zero))


def test_gan_enhance_with_a_noise_map_trains_a_step(tmp_path):
    """The generator takes every input channel the model feeds it (photo, then the noise-level map)."""
    import lightning as L

    from lightning_gan.data.datamodule import ProductImageDataModule
    from lightning_gan.models.gan_enhance import GANEnhance

    model = GANEnhance(width=8, blocks=1, d_width=8, d_layers=2, noise_map=True)
    assert model.generator.head[0].in_channels == 4
    data = ProductImageDataModule(image_size=16, batch_size=4, degradation="noise")
    trainer = L.Trainer(max_steps=2, limit_val_batches=1, logger=False, enable_checkpointing=False,
                        enable_progress_bar=False, accelerator="cpu", default_root_dir=tmp_path)
    trainer.fit(model, datamodule=data)
    assert int(model.g_steps) == 1


def test_unet_discriminator_judges_every_pixel_and_trains_a_real_world_sr_step(tmp_path):
    """Real-ESRGAN's discriminator: a logit per pixel, spectral norm on its inner convolutions; an x4 model trains
    against it on the `real_sr4x` preset."""
    import lightning as L

    from lightning_gan.data.datamodule import ProductImageDataModule
    from lightning_gan.nets.enhance import UNetDiscriminator

    critic = UNetDiscriminator(6, 8)
    assert critic(torch.rand(2, 6, 32, 24)).shape == (2, 1, 32, 24)
    assert all(hasattr(conv, "parametrizations") for conv in (*critic.down, *critic.up))
    with pytest.raises(ValueError, match="divisible by 8"):
        critic(torch.rand(1, 6, 30, 32))
    model = EAGAN(generator="edsr", width=8, blocks=1, scale=4, discriminator="unet", d_width=8)
    data = ProductImageDataModule(image_size=32, batch_size=4, degradation="real_sr4x")
    trainer = L.Trainer(max_steps=2, limit_val_batches=1, logger=False, enable_checkpointing=False,
                        enable_progress_bar=False, accelerator="cpu", default_root_dir=tmp_path)
    trainer.fit(model, datamodule=data)
    assert int(model.g_steps) == 1 and int(model.d_steps) == 1


def test_a_fidelity_only_stage_never_steps_or_reads_the_discriminator(two_class_folder, tmp_path):
    """adversarial_weight 0 (a first stage of L1 and friends): every step is a G step and D stays as it was."""
    model = EAGAN(width=8, blocks=1, d_width=8, d_layers=2, scale=2, adversarial_weight=0.0)
    assert not model.trains_discriminator
    d_before = snapshot(model.discriminator)
    calls = []
    model.discriminator.register_forward_hook(lambda *args: calls.append(model.training))
    data = ProductImageDataModule(root=str(two_class_folder), image_size=16, batch_size=4, degradation="downscale2")
    trainer = L.Trainer(max_steps=3, limit_val_batches=0, logger=False, default_root_dir=tmp_path,
                        enable_checkpointing=False, enable_progress_bar=False, accelerator="cpu")
    trainer.fit(model, datamodule=data)
    assert (int(model.g_steps), int(model.d_steps)) == (3, 0)
    assert not changed(d_before, snapshot(model.discriminator))
    assert not any(calls), "the discriminator ran in a training step"
    assert "train/g_adv" not in trainer.logged_metrics and torch.isfinite(trainer.logged_metrics["train/g_l1"])


def test_a_deeper_nafnet_warm_started_from_a_shallower_one_computes_what_it_did():
    """level_blocks 2 seeded from 1 (and 6 bottom blocks from 4): the added NAFNet blocks start as the identity, so the
    deeper model is the source until it trains. A deeper EDSR (blocks that do not start as the identity) is refused,
    and so is a shallower target."""
    from lightning_gan.models.warm_start import load_grown

    torch.manual_seed(0)
    source = EAGAN(generator="nafnet", width=8, blocks=1, d_width=8, d_layers=2)
    for p in source.generator.parameters():
        torch.nn.init.normal_(p, std=0.1)  # not the identity
    deeper = EAGAN(generator="nafnet", width=8, blocks=3, level_blocks=2, d_width=8, d_layers=2)
    assert len(deeper.generator.encoders[2]) == 4 and len(deeper.generator.decoders[0]) == 2
    load_grown(deeper.generator, source.generator.state_dict(), "source")
    photo = torch.rand(1, 3, 32, 32) * 2 - 1
    torch.testing.assert_close(deeper.generator(photo), source.generator(photo))
    assert not torch.equal(source.generator(photo), photo)
    with pytest.raises(ValueError, match="another architecture|different architecture"):
        load_grown(source.generator, deeper.generator.state_dict(), "deeper")
    with pytest.raises(ValueError, match="different architecture"):
        load_grown(EAGAN(generator="edsr", width=8, blocks=2).generator, EAGAN(generator="edsr", width=8, blocks=1).generator.state_dict())
    with pytest.raises(ValueError, match="level_blocks is for --model.generator nafnet"):
        EAGAN(generator="edsr", width=8, blocks=1, level_blocks=2)


def test_input_model_feeds_the_generator_what_the_stage_before_it_makes_and_is_not_saved(two_class_folder, tmp_path):
    """`input_model` (a cascade's earlier stage, frozen): training and validation batches reach the generator through
    it; it adds nothing to the state dict or the optimizers, and a missing model is named."""
    from conftest import save_checkpoint

    torch.manual_seed(0)
    before = EAGAN(width=8, blocks=1, d_width=8, d_layers=2)
    torch.nn.init.normal_(before.generator_ema.module.tail.weight, std=0.1)  # not the identity
    checkpoint = save_checkpoint(before, tmp_path / "before.ckpt")
    model = EAGAN(generator="edsr", width=8, blocks=1, scale=2, d_width=8, d_layers=2, input_model=str(checkpoint))
    keys = set(model.state_dict())
    seen = []
    original = model.generate
    model.generate = lambda batch: seen.append(batch["degraded"].clone()) or original(batch)
    trainer = L.Trainer(max_epochs=1, limit_train_batches=1, limit_val_batches=0, logger=False,
                        enable_checkpointing=False, enable_progress_bar=False, num_sanity_val_steps=0)
    data = ProductImageDataModule(root=str(two_class_folder), image_size=16, degradation="downscale2", batch_size=2)
    trainer.fit(model, datamodule=data)
    assert seen and set(model.state_dict()) == keys
    batch = {"degraded": torch.rand(2, 3, 8, 8), "clean": torch.rand(2, 3, 16, 16)}
    torch.testing.assert_close(model.through_input_model(batch)["degraded"], before.eval().enhance(batch["degraded"]))
    assert not torch.allclose(model.through_input_model(batch)["degraded"], batch["degraded"], atol=1e-3)

    missing = EAGAN(width=8, blocks=1, input_model=str(tmp_path / "nowhere.safetensors"))
    with pytest.raises(ValueError, match="nowhere.safetensors"):
        missing.through_input_model(batch)


def test_train_input_model_trains_the_earlier_stage_with_the_model_and_saves_it(two_class_folder, tmp_path):
    """`train_input_model`: the generator is a `Cascade` whose first stage starts as the input model's network, is
    optimised with the rest (its weights move and are in the state dict), and a warm start from a single generator
    seeds the second stage only; without `input_model` it is refused."""
    from conftest import save_checkpoint

    from lightning_gan.nets.cascade import Cascade
    from lightning_gan.nets.io import to_signed, to_unit

    torch.manual_seed(0)
    before = EAGAN(width=8, blocks=1, d_width=8, d_layers=2)
    torch.nn.init.normal_(before.generator_ema.module.tail.weight, std=0.1)  # not the identity
    first = save_checkpoint(before, tmp_path / "before.ckpt")
    seed = save_checkpoint(EAGAN(generator="edsr", width=8, blocks=1, scale=2, d_width=8), tmp_path / "seed.ckpt")
    model = EAGAN(generator="edsr", width=8, blocks=1, scale=2, d_width=8, d_layers=2, input_model=str(first),
                  train_input_model=True, init_from=str(seed), adversarial_weight=0.0)
    assert isinstance(model.generator, Cascade)
    photo = torch.rand(1, 3, 8, 8)
    torch.testing.assert_close(to_unit(model.generator.first.eval()(to_signed(photo))), before.eval().enhance(photo))
    start = {k: v.clone() for k, v in model.generator.state_dict().items()}
    trainer = L.Trainer(max_epochs=1, limit_train_batches=2, limit_val_batches=0, logger=False,
                        enable_checkpointing=False, enable_progress_bar=False, num_sanity_val_steps=0)
    data = ProductImageDataModule(root=str(two_class_folder), image_size=16, degradation="downscale2", batch_size=2)
    trainer.fit(model, datamodule=data)
    seeded = EAGAN.load_from_checkpoint(seed, weights_only=True).generator.state_dict()
    assert any(k.startswith("generator.first.") for k in model.state_dict())
    assert not torch.equal(model.generator.first.tail.weight, start["first.tail.weight"])  # trained
    assert not torch.equal(model.generator.second.tail.weight, seeded["tail.weight"])
    batch = {"degraded": torch.rand(2, 3, 8, 8)}
    assert model.through_input_model(batch) is batch  # the stage runs inside the generator, not before it

    with pytest.raises(ValueError, match="train_input_model needs --model.input_model"):
        EAGAN(width=8, blocks=1, train_input_model=True)


def test_warm_start_seeds_a_cascades_second_stage_from_a_single_generator(tmp_path):
    from conftest import save_checkpoint

    from lightning_gan.models.warm_start import warm_start

    torch.manual_seed(0)
    first = save_checkpoint(EAGAN(width=8, blocks=1, d_width=8, d_layers=2), tmp_path / "first.ckpt")
    single = EAGAN(generator="edsr", width=8, blocks=1, scale=2, d_width=8)
    torch.nn.init.normal_(single.generator_ema.module.tail.weight, std=0.1)
    source = save_checkpoint(single, tmp_path / "single.ckpt")
    model = EAGAN(generator="edsr", width=8, blocks=1, scale=2, d_width=8, input_model=str(first), train_input_model=True)
    kept = model.generator.first.tail.weight.clone()
    warm_start(model, str(source))
    torch.testing.assert_close(model.generator.second.tail.weight, single.generator_ema.module.tail.weight)
    torch.testing.assert_close(model.generator_ema.module.second.tail.weight, single.generator_ema.module.tail.weight)
    assert torch.equal(model.generator.first.tail.weight, kept)


def test_a_cascade_seeds_a_single_generator_with_its_second_stage(tmp_path):
    """`init_from` a model trained end to end with its earlier stage (the shipped `sr2x`): a single generator of the
    second stage's architecture gets the second stage's weights."""
    from conftest import save_checkpoint

    from lightning_gan.models.warm_start import warm_start

    torch.manual_seed(0)
    first = save_checkpoint(EAGAN(width=8, blocks=1, d_width=8, d_layers=2), tmp_path / "first.ckpt")
    cascade = EAGAN(generator="edsr", width=8, blocks=1, scale=2, d_width=8, input_model=str(first), train_input_model=True)
    torch.nn.init.normal_(cascade.generator_ema.module.second.tail.weight, std=0.1)
    source = save_checkpoint(cascade, tmp_path / "cascade.ckpt")
    single = EAGAN(generator="edsr", width=8, blocks=1, scale=2, d_width=8)
    warm_start(single, str(source))
    torch.testing.assert_close(single.generator.tail.weight, cascade.generator_ema.module.second.tail.weight)
