"""lightning_gan.nets.projected: a discriminator on a frozen classifier's features, with trainable heads."""

from __future__ import annotations

import torch

from lightning_gan.nets.classifier import ProductClassifier
from lightning_gan.nets.projected import ProjectedDiscriminator


def small_classifier() -> ProductClassifier:
    torch.manual_seed(0)
    net = ProductClassifier(num_classes=5, width=8)
    for module in net.modules():  # statistics unlike a fresh batch's, so train-mode batch norm would show
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
    return net


def test_one_head_per_resolution_and_logits_for_every_position():
    d = ProjectedDiscriminator(small_classifier(), input_size=32, num_classes=3, width=8)
    assert len(d.heads) == 4  # stages at 16, 8, 4 and 2 px of a 32 px input
    logits = d(torch.rand(2, 3, 32, 32) * 2 - 1, torch.tensor([0, 2]))
    assert logits.shape[0] == 2 and logits.ndim == 2 and torch.isfinite(logits).all()


def test_the_feature_network_stays_frozen_in_eval_mode_and_only_the_heads_learn():
    classifier = small_classifier()
    frozen = {k: v.clone() for k, v in classifier.state_dict().items()}
    d = ProjectedDiscriminator(classifier, input_size=32, num_classes=3, width=8)
    d.train()
    assert not d.features.training  # batch norm keeps the classifier's statistics
    images = torch.rand(4, 3, 32, 32) * 2 - 1
    optimizer = torch.optim.SGD([p for p in d.parameters() if p.requires_grad], lr=0.1)
    d(images, torch.tensor([0, 1, 2, 0])).mean().backward()
    assert all(p.grad is None for p in d.features.parameters())
    assert all(p.grad is None for head in d.heads for p in head.project.parameters())  # fixed random mixing
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in d.heads.parameters())
    optimizer.step()
    for key, value in classifier.state_dict().items():
        assert torch.equal(value, frozen[key]), key


def test_the_class_changes_the_verdict_and_the_projections_are_seeded():
    a = ProjectedDiscriminator(small_classifier(), input_size=32, num_classes=3, width=8)
    b = ProjectedDiscriminator(small_classifier(), input_size=32, num_classes=3, width=8)
    for head_a, head_b in zip(a.heads, b.heads):
        assert torch.equal(head_a.project.weight, head_b.project.weight)
    images = torch.rand(2, 3, 32, 32) * 2 - 1
    with torch.no_grad():
        a.heads[0].embed.weight.normal_()
        assert not torch.allclose(a(images, torch.tensor([0, 0])), a(images, torch.tensor([1, 1])))


def test_other_image_sizes_are_resized_to_the_classifier():
    d = ProjectedDiscriminator(small_classifier(), input_size=32, num_classes=0, width=8)
    assert d(torch.zeros(1, 3, 64, 64)).shape == d(torch.zeros(1, 3, 32, 32)).shape


def test_stages_are_found_in_plain_and_deeper_classifiers():
    for net in (ProductClassifier(5, width=8, arch="plain"), ProductClassifier(5, width=8, blocks=2)):
        d = ProjectedDiscriminator(net, input_size=32, width=8)
        assert len(d.heads) == 4
        assert [h.project.in_channels for h in d.heads] == [8, 16, 32, 64]


def test_the_ensemble_weighs_the_pixel_and_the_projected_judge_equally():
    """EnsembleDiscriminator: the pixel D's logit repeated beside the projected D's N logits, so a mean-based loss
    gives each judge half; reconstruction passes to the pixel D."""
    from lightning_gan.nets.fastgan import FastGANDiscriminator
    from lightning_gan.nets.projected import EnsembleDiscriminator
    from lightning_gan.training.losses import d_hinge

    projected = ProjectedDiscriminator(small_classifier(), input_size=32, num_classes=3, width=8)
    pixel = FastGANDiscriminator(3, 8, 32, batch_norm=True).eval()
    ensemble = EnsembleDiscriminator(pixel, projected).eval()
    images, labels = torch.rand(2, 3, 32, 32) * 2 - 1, torch.tensor([0, 2])
    seen, own = projected(images, labels), pixel(images, labels)
    logits = ensemble(images, labels)
    assert logits.shape == (2, 2 * seen.shape[1])
    torch.testing.assert_close(logits[:, seen.shape[1]:], seen)
    assert torch.equal(logits[:, : seen.shape[1]], own.expand(-1, seen.shape[1]))
    fake = torch.zeros_like(logits)
    torch.testing.assert_close(d_hinge(logits, fake), (d_hinge(own, fake[:, :1]) + d_hinge(seen, fake[:, :seen.shape[1]])) / 2)
    with_loss, reconstruction = ensemble(images, labels, reconstruct=True)
    assert torch.equal(with_loss, logits) and reconstruction.ndim == 0 and reconstruction > 0
