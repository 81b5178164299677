"""Adversarial loss pairs move the way the game needs, and D's accuracy counts the right side of the threshold."""

from __future__ import annotations

import pytest
import torch

from lightning_gan.training.losses import ADVERSARIAL, THRESHOLD, d_accuracy


@pytest.mark.parametrize("name", list(ADVERSARIAL))
def test_discriminator_loss_prefers_telling_apart(name):
    d_loss, g_loss = ADVERSARIAL[name]
    confident = d_loss(torch.full((8,), 2.0), torch.full((8,), -2.0))
    fooled = d_loss(torch.full((8,), -2.0), torch.full((8,), 2.0))
    assert confident < fooled
    assert g_loss(torch.full((8,), 2.0)) < g_loss(torch.full((8,), -2.0))


@pytest.mark.parametrize("name", list(ADVERSARIAL))
def test_losses_have_gradients_and_are_finite_for_extreme_logits(name):
    d_loss, g_loss = ADVERSARIAL[name]
    real = torch.tensor([80.0, -80.0], requires_grad=True)
    fake = torch.tensor([-80.0, 80.0], requires_grad=True)
    total = d_loss(real, fake) + g_loss(fake)
    total.backward()
    assert torch.isfinite(total) and torch.isfinite(real.grad).all() and torch.isfinite(fake.grad).all()


def test_non_saturating_matches_bce_with_logits():
    real, fake = torch.randn(16), torch.randn(16)
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    expected = bce(real, torch.ones(16)) + bce(fake, torch.zeros(16))
    torch.testing.assert_close(ADVERSARIAL["non_saturating"][0](real, fake), expected)


def test_d_accuracy():
    real, fake = torch.tensor([1.0, -1.0, 2.0, 3.0]), torch.tensor([-1.0, -2.0, 0.5, -3.0])
    acc_real, acc_fake = d_accuracy(real, fake, THRESHOLD["hinge"])
    assert acc_real.item() == 0.75 and acc_fake.item() == 0.75
    acc_real, _ = d_accuracy(torch.tensor([0.4, 0.6]), torch.tensor([0.0]), THRESHOLD["least_squares"])
    assert acc_real.item() == 0.5


def test_gradient_loss_is_zero_for_identical_images_and_grows_with_blur():
    import kornia

    from lightning_gan.training.losses import gradient_loss

    image = torch.rand(2, 3, 32, 32) * 2 - 1
    assert gradient_loss(image, image).item() == 0
    losses = [gradient_loss(kornia.filters.gaussian_blur2d(image, (9, 9), (s, s)), image).item() for s in (0.5, 1.0, 2.0)]
    assert 0 < losses[0] < losses[1] < losses[2]


def test_ssim_loss():
    from lightning_gan.training.losses import ssim_loss

    image = torch.rand(2, 3, 32, 32) * 2 - 1
    assert ssim_loss(image, image).item() < 1e-4
    assert ssim_loss(image.clamp(-0.2, 0.2), image).item() > 0.1


def test_weighted_l1_counts_the_hole():
    from lightning_gan.training.losses import weighted_l1

    real, fake = torch.zeros(1, 3, 4, 4), torch.zeros(1, 3, 4, 4)
    fake[..., 0, 0] = 1.0
    hole = torch.zeros(1, 1, 4, 4)
    hole[..., 0, 0] = 1.0
    assert weighted_l1(fake, real, 1 + 5 * hole) > weighted_l1(fake, real)


def test_feature_matching_pulls_only_the_fake_features():
    from lightning_gan.training.losses import feature_matching_loss

    real = [torch.ones(1, 2, 4, 4, requires_grad=True), torch.zeros(1, 3, 2, 2, requires_grad=True)]
    fake = [torch.zeros(1, 2, 4, 4, requires_grad=True), torch.zeros(1, 3, 2, 2, requires_grad=True)]
    loss = feature_matching_loss(fake, real)
    assert loss.item() == pytest.approx(0.5)  # layer errors 1 and 0, averaged over layers
    loss.backward()
    assert fake[0].grad is not None and real[0].grad is None


def test_perceptual_loss_explains_missing_weights(tmp_path, monkeypatch):
    from lightning_gan.training.perceptual import MissingWeightsError, PerceptualLoss

    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    with pytest.raises(MissingWeightsError, match="perceptual_weight 0"):
        PerceptualLoss()


def test_perceptual_loss_loads_cached_weights(tmp_path, monkeypatch):
    import torchvision

    from lightning_gan.training.perceptual import RELU3_4, VGG19_FILE, PerceptualLoss

    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    features = torchvision.models.vgg19(weights=None).features[:RELU3_4]  # stand-in weights, same layout
    (tmp_path / "checkpoints").mkdir()
    torch.save({f"features.{k}": v for k, v in features.state_dict().items()}, tmp_path / "checkpoints" / VGG19_FILE)
    loss = PerceptualLoss().train()
    assert not loss.features.training
    a = torch.rand(1, 3, 32, 32) * 2 - 1
    assert loss(a, a).item() == 0
    assert loss(a, -a).item() > 0
