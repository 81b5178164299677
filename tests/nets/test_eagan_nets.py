"""Generators of lightning_gan/nets/eagan.py: identity at initialisation, any input size."""

from __future__ import annotations

import torch
from torch import nn

from lightning_gan.nets.eagan import UNetGenerator


def test_unet_starts_as_the_identity_and_takes_any_size():
    net = UNetGenerator(in_channels=4, width=8, depth=3).eval()
    x = torch.rand(2, 4, 37, 50) * 2 - 1
    torch.testing.assert_close(net(x), x[:, :3])  # the last conv starts at zero: an untrained net changes nothing
    nn.init.normal_(net.tail.weight, std=0.1)
    y = net(x)
    assert y.shape == (2, 3, 37, 50) and not torch.allclose(y, x[:, :3])


def test_unet_upsamples_without_transposed_convolutions():
    """Transposed convolutions paint a checkerboard into flat areas; the U-Net must not use them."""
    net = UNetGenerator(in_channels=3, width=8, depth=2)
    assert not any(isinstance(m, nn.ConvTranspose2d) for m in net.modules())


def test_edsr_body_has_no_batch_norm_and_starts_at_bicubic():
    from lightning_gan.nets.eagan import ResNetGenerator

    torch.manual_seed(0)
    net = ResNetGenerator(3, 16, 4, scale=4, norm=False).eval()
    assert not any(isinstance(m, nn.BatchNorm2d) for m in net.modules())
    assert any(isinstance(m, nn.BatchNorm2d) for m in ResNetGenerator(3, 16, 4, scale=4).modules())
    low = torch.rand(2, 3, 12, 10) * 2 - 1
    bicubic = torch.nn.functional.interpolate(low, scale_factor=4, mode="bicubic", align_corners=False)
    assert torch.allclose(net(low), bicubic)  # zero-initialised tail
    # a batch of one and a batch of two give the same pixels in training mode: nothing couples the samples
    net.train()
    nn.init.normal_(net.tail.weight, std=0.01)
    assert torch.allclose(net(low)[:1], net(low[:1]), atol=1e-6)


def test_edsr_is_an_eagan_generator_choice_that_upsamples():
    from lightning_gan.models.eagan import EAGAN

    model = EAGAN(generator="edsr", width=8, blocks=2, d_width=8, scale=4)
    assert model.generator(torch.zeros(1, 3, 8, 8)).shape == (1, 3, 32, 32)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in model.generator.modules())


def test_unshuffle_body_runs_at_half_resolution_and_takes_odd_sizes():
    from lightning_gan.models.eagan import EAGAN
    from lightning_gan.nets.eagan import UnshuffleResNet

    torch.manual_seed(0)
    net = UnshuffleResNet(in_channels=4, width=8, blocks=2).eval()
    assert not any(isinstance(m, nn.BatchNorm2d) for m in net.modules())
    x = torch.rand(2, 4, 37, 50) * 2 - 1
    torch.testing.assert_close(net(x), x[:, :3])  # zero-initialised tail: the identity
    seen = []
    net.body[0].register_forward_hook(lambda module, args, out: seen.append(out.shape))
    nn.init.normal_(net.tail.weight, std=0.1)
    y = net(x)
    assert y.shape == (2, 3, 37, 50) and not torch.allclose(y, x[:, :3])
    assert seen[-1][-2:] == (19, 25)  # the body works on the pixel-unshuffled (edge-padded) half-size input
    model = EAGAN(generator="unshuffle", width=8, blocks=2, d_width=8, noise_map=True)
    assert isinstance(model.generator, UnshuffleResNet) and model.generator.head[0].in_channels == 16


def test_pca_noise_estimate_is_not_fooled_by_texture_and_finds_seeded_noise():
    """Clean textured photos read near 0 (the Haar estimate reads texture as noise); seeded noise within 20 %."""
    import torch.nn.functional as F

    from lightning_gan.data.datamodule import SAMPLE_ROOT
    from lightning_gan.data.images import read_rgb, scan, to_tensor
    from lightning_gan.nets.io import estimate_noise, estimate_noise_pca

    g = torch.Generator().manual_seed(0)
    side = 96  # the embedded sample photos' short side
    fine = F.interpolate(torch.rand(1, 3, side // 4, side // 4, generator=g), size=(side, side), mode="bicubic").clamp(0, 1)
    stripes = 0.5 + 0.4 * torch.sin(torch.arange(float(side)) * 1.3).view(1, 1, 1, -1).expand(1, 3, side, side)
    photos = [to_tensor(read_rgb(p))[None, :, :side, :side].float() / 255 for p in scan(SAMPLE_ROOT / "test")[:6]]
    clean = torch.cat([fine, stripes, *photos])  # texture, stripes and real JPEG shelf photos
    pca = estimate_noise_pca(clean) * 255
    assert pca.max() < 2.0, pca
    assert estimate_noise(fine) * 255 > 4 * pca[0] + 2  # the Haar estimate reads the fine texture as noise
    for sigma in (5, 15, 25):
        noisy = (clean + sigma / 255 * torch.randn(clean.shape, generator=g)).clamp(0, 1)
        found = estimate_noise_pca(noisy) * 255
        assert ((found / sigma - 1).abs() < 0.2).all(), (sigma, found)


def test_noise_in_a_compressed_photo_is_found_where_the_pca_tail_misses_it():
    """After JPEG the high frequencies hold no noise: the full PCA reads near 0, the flat-area estimate still finds
    it; the low-frequency PCA reads low there (chroma) but keeps a frame full of texture from passing as noise; on
    white noise all three read true."""
    from lightning_gan.data.datamodule import SAMPLE_ROOT
    from lightning_gan.data.degradations import Draw, jpeg
    from lightning_gan.data.images import read_rgb, scan, to_tensor
    from lightning_gan.nets.io import estimate_noise_flat, estimate_noise_lowfreq, estimate_noise_pca

    g = torch.Generator().manual_seed(0)
    ramp = torch.linspace(0.2, 0.8, 192)
    smooth = torch.stack([ramp.view(1, -1).expand(192, -1), ramp.view(-1, 1).expand(-1, 192), torch.full((192, 192), 0.5)])[None]
    white = (smooth + 10 / 255 * torch.randn(smooth.shape, generator=g)).clamp(0, 1)
    for estimate in (estimate_noise_pca, estimate_noise_flat, estimate_noise_lowfreq):
        assert abs(float(estimate(white)) * 255 - 10) < 1.5, estimate.__name__
    noisy = (smooth + 14 / 255 * torch.randn(smooth.shape, generator=g)).clamp(0, 1)
    compressed = jpeg(noisy, Draw(1, noisy.device, torch.tensor([0])), (85, 85))  # a phone's JPEG quality
    assert float(estimate_noise_pca(compressed)) * 255 < 3
    assert float(estimate_noise_flat(compressed)) * 255 > 7
    limes = next(p for p in scan(SAMPLE_ROOT / "test") if p.stem == "Lime_001")  # limes fill the frame: no flat area
    photo = to_tensor(read_rgb(limes))[None].float() / 255
    assert float(estimate_noise_flat(photo)) * 255 > 6  # texture read as noise
    assert float(estimate_noise_lowfreq(photo)) * 255 < 4


def test_blind_estimate_reads_texture_low_and_noise_true_and_finds_a_phones_jpeg_noise():
    """`estimate_noise_blind` (the noise map's input of models trained with noise_estimator='blind'): clean textured
    photos read a few levels at most where the Haar estimate reads them as noise; seeded noise within 20 %; noise
    saved as a phone's JPEG reads low but above clean texture (where the PCA tail reads nothing)."""
    import torch.nn.functional as F

    from lightning_gan.data.degradations import degrade
    from lightning_gan.nets.io import estimate_noise, estimate_noise_blind, estimate_noise_pca

    g = torch.Generator().manual_seed(0)
    side = 128
    # fine detail (fabric, foliage) over three quarters of the frame, a smooth backdrop beside it
    fine = 0.5 + 0.5 * (F.interpolate(torch.rand(1, 3, side // 2, 3 * side // 8, generator=g), size=(side, 3 * side // 4),
                                      mode="bicubic") - 0.5)
    ramp = torch.linspace(0.3, 0.7, side).view(1, 1, side, 1).expand(1, 3, side, side // 4)
    clean = torch.cat([fine, ramp], dim=-1).clamp(0, 1)
    blind, haar = estimate_noise_blind(clean) * 255, estimate_noise(clean) * 255
    assert blind.max() < 2.0, blind
    assert haar[0] > blind[0] + 3  # the wavelet estimate reads the fine texture as noise
    for sigma in (10, 25):
        noisy = (clean + sigma / 255 * torch.randn(clean.shape, generator=g)).clamp(0, 1)
        found = estimate_noise_blind(noisy) * 255
        assert ((found / sigma - 1).abs() < 0.2).all(), (sigma, found)
    ramp = torch.linspace(0.2, 0.8, 192)
    smooth = torch.stack([ramp.view(1, -1).expand(192, -1), ramp.view(-1, 1).expand(-1, 192), torch.full((192, 192), 0.5)])[None]
    phone = degrade(smooth, "camera_noise", seeds=torch.tensor([0])).image  # about 10 levels, saved at quality 85
    assert float(estimate_noise_pca(phone)) * 255 < 1  # JPEG emptied the spectrum's tail
    assert float(estimate_noise_blind(phone)) * 255 > 2.5  # read low, but above the clean texture's reading
