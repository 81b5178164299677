"""Whole-photo restoration: tiling, model loading and its errors, and the enhance command's file handling."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from conftest import save_checkpoint

from lightning_gan.inference import ModelError, load_restorer, tiled
from lightning_gan.models.dcgan import DCGAN
from lightning_gan.models.eagan import EAGAN
from lightning_gan.nets.eagan import ResNetGenerator


@pytest.mark.parametrize("scale", [1, 4])
def test_tiled_equals_whole_image(scale):
    torch.manual_seed(0)
    net = ResNetGenerator(3, 8, 3, scale).eval()
    torch.nn.init.normal_(net.tail.weight, std=0.1)
    image = torch.rand(1, 3, 150, 203)
    with torch.no_grad():
        whole = net(image)
        parts = tiled(lambda x, m: net(x), image, None, scale, tile=64, overlap=24)
    assert parts.shape == whole.shape
    assert (parts - whole).abs().max() < 1e-3


def test_super_resolution_checkpoint_enlarges(sr_checkpoint):
    restorer = load_restorer(str(sr_checkpoint))
    assert restorer.scale == 2
    assert restorer(torch.rand(1, 3, 21, 34)).shape == (1, 3, 42, 68)
    assert restorer(torch.rand(1, 3, 1, 1)).shape == (1, 3, 2, 2)  # 1x1 images are a handled case


def test_wrong_kind_of_model_is_a_clear_error(tmp_path):
    dcgan = save_checkpoint(DCGAN(latent_dim=8, g_width=8, d_width=8, image_size=16, grid_size=4), tmp_path / "g.ckpt")
    with pytest.raises(ModelError, match="DCGAN model \\(generation\\)"):
        load_restorer(str(dcgan))
    with pytest.raises(ModelError, match="neither a checkpoint"):
        load_restorer("no_such_model")
    (tmp_path / "junk.ckpt").write_text("not a checkpoint")
    with pytest.raises(ModelError, match="cannot read checkpoint"):
        load_restorer(str(tmp_path / "junk.ckpt"))


def test_inpainting_needs_a_mask_of_the_right_size(tmp_path):
    restorer = load_restorer(str(save_checkpoint(EAGAN(width=8, blocks=1, d_width=8, use_mask=True), tmp_path / "i.ckpt")))
    image = torch.rand(1, 3, 20, 20)
    with pytest.raises(ModelError, match="mask"):
        restorer(image)
    with pytest.raises(ModelError, match="mask size"):
        restorer(image, torch.zeros(1, 1, 10, 10))
    assert restorer(image, torch.zeros(1, 1, 20, 20)).shape == image.shape


def test_an_exported_inpainter_keeps_its_mask_input(tmp_path):
    """The shipped format of a model with a mask input (what the GPU campaign exports for `inpaint`)."""
    from lightning_gan.inference import export_pretrained, load_pretrained_model

    ckpt = save_checkpoint(EAGAN(width=8, blocks=1, d_width=8, use_mask=True), tmp_path / "i.ckpt")
    export_pretrained(ckpt, "my_inpaint", tmp_path / "models", {"degradation": "stains"})
    model = load_pretrained_model("my_inpaint", tmp_path / "models").eval()
    assert model.use_mask
    restorer = load_restorer(str(tmp_path / "models" / "my_inpaint.safetensors"))
    image, mask = torch.rand(1, 3, 24, 24), torch.zeros(1, 1, 24, 24)
    mask[..., 8:16, 8:16] = 1
    with pytest.raises(ModelError, match="mask"):
        restorer(image)
    out = restorer(image, mask)
    assert out.shape == image.shape and torch.isfinite(out).all()


def test_pretrained_export_roundtrip(sr_checkpoint, tmp_path):
    from lightning_gan.inference import export_pretrained, load_checkpoint_model, load_pretrained_model

    card = export_pretrained(sr_checkpoint, "tiny_sr", tmp_path, {"degradation": "downscale2"})
    assert card["hparams"]["scale"] == 2 and (tmp_path / "tiny_sr.safetensors").stat().st_size < 200_000
    shipped = load_pretrained_model("tiny_sr", tmp_path).eval()
    original = load_checkpoint_model(sr_checkpoint).eval()
    image = torch.rand(1, 3, 16, 16)
    torch.testing.assert_close(shipped.enhance(image), original.enhance(image), atol=2e-3, rtol=0)  # fp16 weights


def _variant(source, path, change):
    checkpoint = torch.load(source, weights_only=True)
    change(checkpoint)
    torch.save(checkpoint, path)
    return path


def test_checkpoint_problems_are_one_line_model_errors(sr_checkpoint, tmp_path):
    from lightning_gan.inference import load_checkpoint_model

    torch.save([1, 2, 3], tmp_path / "list.ckpt")

    def unknown_class(c):
        c["lightning_gan_class"] = c["hyper_parameters"]["_class_path"] = "lightning_gan.models.eagan.NoSuchGAN"

    def wrong_shape(c):
        key = next(k for k in c["state_dict"] if k.endswith("tail.weight"))
        c["state_dict"][key] = torch.zeros(1, 2, 3, 3)

    def wrong_type(c):
        c["hyper_parameters"]["width"] = "wide"

    cases = {
        tmp_path / "list.ckpt": "not a lightning-gan checkpoint (it holds a list",
        _variant(sr_checkpoint, tmp_path / "class.ckpt", unknown_class): "has no model named 'NoSuchGAN'",
        _variant(sr_checkpoint, tmp_path / "shape.ckpt", wrong_shape): "does not load as EAGAN",
        _variant(sr_checkpoint, tmp_path / "type.ckpt", wrong_type): "does not load as EAGAN",
    }
    for path, message in cases.items():
        with pytest.raises(ModelError) as caught:
            load_checkpoint_model(path)
        assert message in str(caught.value) and str(path) in str(caught.value)
        assert "\n" not in str(caught.value)
        with pytest.raises(ModelError):
            load_restorer(str(path))  # what enhance, evaluate and the app call


def test_an_exported_model_loads_from_its_own_folder(sr_checkpoint, tmp_path):
    from lightning_gan.inference import export_pretrained

    export_pretrained(sr_checkpoint, "mine", tmp_path / "exported", {"degradation": "downscale2"})
    restorer = load_restorer(str(tmp_path / "exported" / "mine.safetensors"))
    assert restorer.scale == 2 and restorer(torch.rand(1, 3, 8, 8)).shape == (1, 3, 16, 16)
    (tmp_path / "exported" / "mine.json").unlink()
    with pytest.raises(ModelError, match="no card mine.json"):
        load_restorer(str(tmp_path / "exported" / "mine.safetensors"))


def test_whole_image_inpainter_fills_a_large_photo_at_its_working_size():
    from lightning_gan.inference import INPAINT_WORKING_SIZE
    from lightning_gan.inference.loading import _from_module
    from lightning_gan.models.eagan import EAGAN

    model = EAGAN(generator="ffc", width=8, blocks=1, d_width=8, use_mask=True)
    restorer = _from_module("ffc", model, torch.device("cpu"))
    seen, fill = [], restorer.fn
    restorer.fn = lambda x, m: seen.append(tuple(x.shape[-2:])) or fill(x, m)
    photo = torch.rand(1, 3, 2048, 1536)
    mask = torch.zeros(1, 1, 2048, 1536)
    mask[..., 600:1480, 400:1120] = 1  # 20 % of the photo
    out = restorer(photo, mask)
    assert out.shape == photo.shape
    assert seen and max(max(s) for s in seen) <= INPAINT_WORKING_SIZE  # memory bounded by the working size
    torch.testing.assert_close(out * (1 - mask), photo * (1 - mask), atol=0, rtol=0)
    assert (out - photo)[..., 600:1480, 400:1120].abs().mean() > 0.05  # the hole was filled, not left as it was


def test_half_precision_restorer_stays_close_to_fp32():
    from lightning_gan.inference import load_restorer

    photo = torch.rand(1, 3, 96, 80)
    full, half = load_restorer("denoise", "cpu"), load_restorer("denoise", "cpu", half=True)
    out = half(photo)
    assert out.dtype == torch.float32 and out.shape == photo.shape
    assert (out - full(photo)).abs().max() < 4 / 255
    assert (out - photo).abs().mean() > 1e-3  # the network did run


def ramp(x: torch.Tensor, mask) -> torch.Tensor:
    """A position-dependent stand-in model: a left-to-right ramp from 0 to 1 over the input it is given."""
    return torch.linspace(0, 1, x.shape[-1]).expand_as(x).clone()


@pytest.mark.parametrize("copies", [2, 4, 8])
def test_self_ensemble_averages_the_copies_turned_back(copies):
    from lightning_gan.inference import Restorer

    photo = torch.rand(1, 3, 20, 27)
    assert not torch.allclose(Restorer("ramp", ramp)(photo), torch.full_like(photo, 0.5))
    out = Restorer("ramp", ramp, ensemble=copies)(photo)
    assert out.shape == photo.shape
    torch.testing.assert_close(out, torch.full_like(photo, 0.5))  # the ramp and its mirror image average to 0.5


def test_self_ensemble_copies_keep_the_photos_8x8_grid():
    """Each flipped copy is padded to 16 px first, so a JPEG's 8 x 8 blocks land on the copy's own grid."""
    from lightning_gan.inference import Restorer

    blocks = torch.rand(1, 3, 3, 4)
    photo = blocks.repeat_interleave(8, -2).repeat_interleave(8, -1)[..., :20, :27]  # blocks cut at the far edges
    seen = []
    Restorer("seen", lambda x, m: seen.append(x) or x, ensemble=8)(photo, tile=64)
    assert len(seen) == 8
    for copy in seen:
        assert copy.shape[-2] % 16 == 0 and copy.shape[-1] % 16 == 0
        block_means = F.avg_pool2d(copy, 8).repeat_interleave(8, -2).repeat_interleave(8, -1)
        torch.testing.assert_close(copy, block_means)  # constant on each of its own 8 x 8 blocks


def test_self_ensemble_is_refused_for_bad_counts_and_whole_photo_operators():
    from lightning_gan.inference import Restorer

    with pytest.raises(ModelError, match="1, 2, 4 or 8"):
        Restorer("ramp", ramp, ensemble=3)
    with pytest.raises(ModelError, match="whole photo"):
        Restorer("tone", ramp, prepare=lambda x: ramp, ensemble=2)


def test_a_prepare_that_measures_one_number_per_photo_allows_the_self_ensemble():
    """A denoiser's noise level, measured once on the unflipped photo, serves every flipped copy."""
    from lightning_gan.inference import Restorer

    measured = []

    def prepare(whole):
        measured.append(whole.std().item())
        return ramp

    photo = torch.rand(1, 3, 20, 27)
    out = Restorer("level", ramp, prepare=prepare, prepare_flips=True, ensemble=4)(photo)
    assert len(measured) == 1  # once, on the photo as it is
    torch.testing.assert_close(out, torch.full_like(photo, 0.5))


def test_the_shipped_denoiser_takes_a_self_ensemble_and_keeps_clean_photos():
    from dataclasses import replace

    from lightning_gan.inference import load_restorer

    denoise = load_restorer("denoise")
    clean = F.interpolate(torch.rand(1, 3, 5, 5, generator=torch.Generator().manual_seed(1)) * 0.6 + 0.2, size=40,
                          mode="bilinear", align_corners=False)  # a smooth photo: only the added noise is noise
    noisy = (clean + 0.1 * torch.randn(clean.shape, generator=torch.Generator().manual_seed(0))).clamp(0, 1)
    single, four = denoise(noisy), replace(denoise, ensemble=4)(noisy)
    assert (four - single).abs().max() > 1e-4  # the copies differ: it is not the single pass
    assert (four - clean).pow(2).mean() < (noisy - clean).pow(2).mean()  # and it still denoises
    flat = torch.full((1, 3, 32, 32), 0.5)
    torch.testing.assert_close(replace(denoise, ensemble=4)(flat), flat)  # under the noise floor: returned as is


def test_tiles_start_on_the_jpeg_grid_and_cover_the_photo():
    """Every tile starts at a multiple of 16 px (a JPEG's blocks sit in each tile as in the file); the last tile of
    a side runs to the photo's edge."""
    windows = []

    def record(x, m):
        windows.append(x[0, 0].clone())
        return x

    image = torch.arange(1100 * 1037, dtype=torch.float32).view(1, 1, 1100, 1037).expand(1, 3, -1, -1) / 1e6
    out = tiled(record, image, None, 1, tile=512, overlap=48)
    torch.testing.assert_close(out, image)
    corners = [divmod(int(round(window[0, 0].item() * 1e6)), 1037) for window in windows]  # each tile's first pixel
    assert len(set(corners)) == len(windows) > 4
    assert all(top % 16 == 0 and left % 16 == 0 for top, left in corners)
    ends = [(top + w.shape[0], left + w.shape[1]) for (top, left), w in zip(corners, windows)]
    assert max(bottom for bottom, _ in ends) == 1100 and max(right for _, right in ends) == 1037
