"""lightning_gan/nets/fastgan.py: the FastGAN-style generator and self-supervised discriminator."""

from __future__ import annotations

import pytest
import torch

from lightning_gan.nets.fastgan import FastGANDiscriminator, FastGANGenerator, minibatch_stddev


@pytest.mark.parametrize("size", [16, 32, 64])
def test_generator_shapes_range_and_class_dependence(size):
    torch.manual_seed(0)
    generator = FastGANGenerator(num_classes=3, latent_dim=16, width=8, image_size=size)  # batch statistics
    z = torch.randn(4, 16)
    a = generator(z, torch.tensor([0, 0, 0, 0]))
    b = generator(z, torch.tensor([1, 1, 1, 1]))
    assert a.shape == (4, 3, size, size) and a.abs().max() <= 1
    assert (a - b).abs().mean() > 1e-3  # the class embedding reaches the image
    assert (a[0] - a[1]).abs().mean() > 1e-3  # and so does z
    assert len(generator.excite) == 2


def test_skip_excitation_gates_the_fine_maps():
    torch.manual_seed(0)
    generator = FastGANGenerator(num_classes=0, latent_dim=16, width=8, image_size=32)
    z = torch.randn(4, 16)
    before = generator(z)
    with torch.no_grad():  # a gate of 0.5 everywhere instead of the learned one changes the image
        for excite in generator.excite:
            excite.net[-2].weight.zero_()
    assert (before - generator(z)).abs().mean() > 1e-3


def test_unconditional_generator_takes_no_label():
    generator = FastGANGenerator(num_classes=0, latent_dim=8, width=8, image_size=16)
    assert generator(torch.randn(2, 8)).shape == (2, 3, 16, 16)


def test_discriminator_projection_and_reconstruction_gradients():
    torch.manual_seed(0)
    d = FastGANDiscriminator(num_classes=3, width=8, image_size=64)
    images = torch.rand(4, 3, 64, 64) * 2 - 1
    logits = d(images, torch.tensor([0, 1, 2, 0]))
    assert logits.shape == (4, 1)
    assert not torch.allclose(logits, d(images, torch.tensor([1, 2, 0, 1])))  # the class enters the verdict
    logits, reconstruction = d(images, torch.tensor([0, 1, 2, 0]), reconstruct=True)
    assert reconstruction.ndim == 0 and reconstruction > 0
    reconstruction.backward()
    assert d.decode_whole.net[2].weight.grad.abs().sum() > 0 and d.decode_part.net[2].weight.grad.abs().sum() > 0
    assert d.first[0].parametrizations.weight.original.grad.abs().sum() > 0  # D's features learn from it too


def test_minibatch_stddev_sees_identical_batches():
    x = torch.randn(1, 5, 4, 4).repeat(8, 1, 1, 1)
    assert minibatch_stddev(x)[:, -1].abs().max() < 1e-3
    assert minibatch_stddev(torch.randn(8, 5, 4, 4))[:, -1].mean() > 0.5
    assert minibatch_stddev(torch.randn(3, 5, 4, 4)).shape == (3, 6, 4, 4)  # batches not divisible by the group


def test_sizes_that_are_not_powers_of_two_are_refused():
    with pytest.raises(ValueError, match="power of two"):
        FastGANGenerator(image_size=48)


def test_batch_norm_discriminator_keeps_the_plain_one_s_weight_names():
    """Checkpoints of the plain D (the shipped generator's run) must still load: its layer names do not move."""
    plain = FastGANDiscriminator(3, 8, 32).state_dict()
    assert {"downs.0.main.0.bias", "downs.0.main.2.bias", "downs.0.skip.1.bias", "final.0.bias"} <= set(plain)
    assert not any("running_mean" in k for k in plain)
    normed = FastGANDiscriminator(3, 8, 32, batch_norm=True)
    assert sum("running_mean" in k for k in normed.state_dict()) == 3 * 2 + 1  # 2 blocks x 3 convs, and the final conv
    assert normed(torch.randn(4, 3, 32, 32), torch.tensor([0, 1, 2, 0])).shape == (4, 1)
