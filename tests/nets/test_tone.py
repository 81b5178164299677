"""The image-adaptive tone operator (nets/tone.py): identity at start, monotone curves, any size, global parameters."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
import torch

from lightning_gan.inference import global_restorer
from lightning_gan.nets.tone import (
    GuardedToneGenerator,
    ToneGenerator,
    apply_curves,
    chroma_spread,
    highlight_cast,
    illuminant_angle,
    photo_gates,
    to_linear,
)


def trained_like(seed: int = 0) -> ToneGenerator:
    """An operator with random (non-identity) output weights, as after some training."""
    torch.manual_seed(seed)
    net = ToneGenerator(width=8, thumb=32, knots=9)
    torch.nn.init.normal_(net.head[-1].weight, std=0.05)
    torch.nn.init.normal_(net.head[-1].bias, std=0.2)
    return net.eval()


def test_untrained_operator_is_the_identity():
    x = torch.rand(2, 3, 37, 53) * 2 - 1
    torch.testing.assert_close(ToneGenerator(width=8, thumb=32)(x), x, atol=1e-6, rtol=0)


def test_curves_are_monotone_and_hit_their_knots():
    increments = torch.rand(1, 3, 8) + 0.01
    x = torch.linspace(0, 1, 257).view(1, 1, 1, -1).expand(1, 3, 1, -1).contiguous()
    y = apply_curves(x, increments)
    assert (y.diff(dim=-1) >= 0).all()
    knots = torch.cat([torch.zeros(1, 3, 1), increments.cumsum(-1)], -1)
    torch.testing.assert_close(y[..., ::32].squeeze(2), knots, atol=1e-5, rtol=0)


def test_any_size_and_render_of_predict_equals_forward():
    net = trained_like()
    for shape in [(1, 3, 20, 30), (2, 3, 131, 97)]:
        x = torch.rand(shape) * 2 - 1
        out = net(x)
        assert out.shape == x.shape and out.min() >= -1 and out.max() <= 1
        torch.testing.assert_close(out, net.render(x, net.predict(x)))
    assert (net(x) - x).abs().mean() > 0.01


def test_operator_keeps_detail_it_only_maps_values():
    """Two pixels of the same input value get the same output value: nothing is painted."""
    net = trained_like()
    x = torch.rand(1, 3, 64, 64) * 2 - 1
    x[..., 10, 10] = x[..., 40, 50]
    out = net(x)
    torch.testing.assert_close(out[..., 10, 10], out[..., 40, 50])


def test_restorer_predicts_from_the_whole_photo_so_tiles_leave_no_seams():
    net = trained_like()
    restorer = global_restorer("tone", net, torch.device("cpu"))
    photo = torch.rand(1, 3, 150, 170)
    whole = restorer(photo, tile=4096)
    tiled = restorer(photo, tile=64, overlap=16)
    torch.testing.assert_close(tiled, whole, atol=1e-5, rtol=0)
    torch.testing.assert_close(whole, (net(photo * 2 - 1) + 1) / 2, atol=1e-5, rtol=0)


def test_onnx_export_matches_pytorch_at_other_sizes(tmp_path):
    from lightning_gan.nets.io import ImageToImage

    module = ImageToImage(trained_like(), False).eval()
    path = tmp_path / "tone.onnx"
    with torch.no_grad():
        torch.onnx.export(module, (torch.rand(1, 3, 64, 64),), str(path), input_names=["image"], output_names=["restored"],
                          dynamic_axes={"image": {0: "b", 2: "h", 3: "w"}, "restored": {0: "b", 2: "h", 3: "w"}},
                          opset_version=17, dynamo=False)
    session = ort.InferenceSession(str(path))
    x = torch.rand(2, 3, 300, 200)
    got = session.run(None, {"image": x.numpy()})[0]
    np.testing.assert_allclose(got, module(x).detach().numpy(), atol=1e-4)


# --- GuardedToneGenerator: invariants that hold for any weights -----------------------------------------------------

def guarded(seed: int = 0, std: float = 0.5) -> GuardedToneGenerator:
    """A guarded operator with random, large output weights: the invariants must hold whatever training does."""
    torch.manual_seed(seed)
    net = GuardedToneGenerator(width=8, thumb=32, knots=9)
    for layer in (net.head[-1], net.local):
        torch.nn.init.normal_(layer.weight, std=std)
        torch.nn.init.normal_(layer.bias, std=2 * std)
    return net.eval()


def studio_photo(background: float = 254 / 255, size: int = 64) -> torch.Tensor:
    """A colourful product in the middle of a neutral background, in [0, 1]."""
    torch.manual_seed(1)
    photo = torch.full((1, 3, size, size), background)
    photo[..., size // 4 : 3 * size // 4, size // 4 : 3 * size // 4] = torch.rand(1, 3, size // 2, size // 2) * 0.8
    return photo


def run(net, photo: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return (net(photo * 2 - 1) + 1) / 2


def onnx_output(module, x, folder):
    """`module` exported to ONNX at 64 x 64 (dynamic sizes), run by ONNX Runtime on `x`."""
    path = folder / "operator.onnx"
    with torch.no_grad():
        torch.onnx.export(module, (torch.rand(1, 3, 64, 64),), str(path), input_names=["image"], output_names=["restored"],
                          dynamic_axes={"image": {0: "b", 2: "h", 3: "w"}, "restored": {0: "b", 2: "h", 3: "w"}},
                          opset_version=17, dynamo=False)
    return ort.InferenceSession(str(path)).run(None, {"image": x.numpy()})[0]


def test_guarded_untrained_operator_is_the_identity():
    x = torch.rand(2, 3, 37, 53) * 2 - 1
    torch.testing.assert_close(GuardedToneGenerator(width=8, thumb=32, knots=9)(x), x, atol=1e-5, rtol=0)


def test_guarded_random_weights_change_photos():
    """The invariants below are not won by doing nothing: random weights change a photo a lot."""
    x = torch.rand(1, 3, 48, 48) * 0.5  # a dark photo: the tone gate is open
    assert (run(guarded(), x) - x).abs().mean() > 0.03


@pytest.mark.parametrize("seed", range(6))
def test_white_background_stays_white_and_neutral_for_any_weights(seed):
    for level in (1.0, 254 / 255, 245 / 255):
        photo = studio_photo(level)
        out = run(guarded(seed), photo)
        background = out[..., :8, :]
        spread = background.amax(dim=1) - background.amin(dim=1)
        assert spread.max() < 1e-5, f"a neutral background took a tint (level {level})"
        if level == 1.0:
            assert background.min() > 1 - 1e-5, "white moved"
        if level == 254 / 255:
            assert (background - level).abs().max() * 255 <= 2.6, "near-white moved by more than the curve bounds allow"


@pytest.mark.parametrize("seed", range(6))
def test_no_pixel_that_was_not_clipped_becomes_clipped(seed):
    torch.manual_seed(seed)
    photo = torch.rand(2, 3, 40, 40) ** 0.3  # bright photos, many near-white pixels
    out = run(guarded(seed, std=1.0), photo)
    top_in, top_out = photo.amax(dim=1), out.amax(dim=1)
    assert ((top_out * 255).round() >= 255)[(top_in * 255).round() <= 254].sum() == 0
    assert ((top_out * 255).round() >= 254).float().mean() > 0.01  # not won by darkening everything


def test_white_balance_acts_only_when_the_highlights_show_a_cast():
    net = guarded(3)
    neutral = studio_photo(240 / 255)
    warm = neutral * torch.tensor([1.0, 0.85, 0.6]).view(1, 3, 1, 1)  # the whole photo under a warm (tungsten) light
    _, _, _, gate_neutral = net.predict(neutral * 2 - 1)
    _, _, _, gate_warm = net.predict(warm * 2 - 1)
    assert gate_neutral[0, 0].item() == 0 and gate_warm[0, 0].item() == 1
    with torch.no_grad():
        params, a, b, gates = net.predict(warm * 2 - 1)
        balanced = net.render(warm * 2 - 1, (params, a, b, gates))
        unbalanced = net.render(warm * 2 - 1, (params, a, b, gates * torch.tensor([0.0, 1.0])))
    assert (balanced - unbalanced).abs().max() > 0.01  # an open gate lets the gains act


def warm_scene() -> torch.Tensor:
    """A ground of many colours averaging grey, under neutral light, with a large orange object that holds the
    brightest pixels: its highlights are coloured, though the light is not."""
    torch.manual_seed(0)
    patches = 0.15 + 0.3 * torch.rand(1, 3, 12, 12)
    photo = torch.nn.functional.interpolate(patches, size=(96, 96), mode="nearest")
    photo[..., 20:60, 20:60] = torch.tensor([1.0, 0.85, 0.55]).view(1, 3, 1, 1)
    return photo


def under_light(photo: torch.Tensor, gains: tuple[float, float, float]) -> torch.Tensor:
    """`photo` as a camera with the wrong white balance renders it: linear-light gains per channel."""
    linear = to_linear(photo) * torch.tensor(gains).view(1, 3, 1, 1)
    return torch.where(linear <= 0.0031308, 12.92 * linear, 1.055 * linear.clamp_min(0.0031308) ** (1 / 2.4) - 0.055).clamp(0, 1)


def test_a_warm_object_is_not_a_cast_but_the_same_scene_under_a_warm_light_is():
    """The highlights alone call the orange object a cast (the gate of 2026-12-03 opened on warm natural photos);
    the four estimates of the light do not all agree, so white balance stays shut. Under a tungsten-like light all
    four move and it opens."""
    scene = warm_scene()
    assert highlight_cast(scene).item() > 0.3  # what the highlight test alone would have corrected
    assert illuminant_angle(scene).item() < 5
    assert photo_gates(scene)[0, 0].item() == 0
    cast = under_light(scene, (1.6, 1.0, 0.6))
    assert illuminant_angle(cast).item() > 18
    assert photo_gates(cast)[0, 0].item() == 1
    net = guarded_classic(0)
    assert (run(net, scene) - scene).abs().max() < 1e-6, "no tone need, no cast: the scene comes out as it went in"
    assert (run(net, cast) - cast).abs().mean() > 0.005


def test_a_dim_photo_with_deep_blacks_is_left_alone_but_a_flat_or_dark_one_is_lifted():
    """A photo whose brightest 1 % reach only 0.70 but whose darkest are near black spans the range: dim as
    intended (a low-key shot), not underexposed, so the tone gate stays shut (the brightest 1 % alone opened it by
    two thirds). The same photo flattened (half contrast) or darkened two stops opens it fully."""
    photo = torch.linspace(0.02, 0.70, 80).view(1, 1, 1, 80).expand(1, 3, 80, 80).clone()  # smooth: the thumbnail keeps it
    assert photo_gates(photo)[0, 1].item() == 0
    mean = photo.mean()
    flat = mean + 0.5 * (photo - mean)
    dark = under_light(photo, (0.25, 0.25, 0.25))
    assert photo_gates(flat)[0, 1].item() == 1 and photo_gates(dark)[0, 1].item() == 1
    net = guarded_classic(1)
    assert (run(net, photo) - photo).abs().max() < 1e-6
    assert (run(net, flat) - flat).abs().mean() > 0.005


def test_a_soft_lit_photo_is_not_flat_and_a_photo_two_stops_dark_is_lifted_in_full():
    """A wall under an overcast sky: darkest 1 % at 0.13, brightest at 0.68 (a span of 0.55, as 5 % of clean natural
    photos): not flat, left alone (the first flatness ramp, 0.62 -> 0.50, opened it by half). A photo with white in
    it taken two stops dark has its brightest 1 % at 0.54: fully open (a half-open gate half-lifts it)."""
    soft = torch.linspace(0.12, 0.69, 80).view(1, 1, 1, 80).expand(1, 3, 80, 80).clone()
    assert photo_gates(soft)[0, 1].item() == 0
    assert (run(guarded_classic(1), soft) - soft).abs().max() < 1e-6
    mean = soft.mean()
    assert photo_gates(mean + 0.5 * (soft - mean))[0, 1].item() == 1
    full_range = torch.linspace(0.0, 1.0, 80).view(1, 1, 1, 80).expand(1, 3, 80, 80).clone()
    two_stops = under_light(full_range, (0.25, 0.25, 0.25))
    assert photo_gates(two_stops)[0, 1].item() == 1


def test_a_photo_of_one_colour_is_never_white_balanced_whatever_the_light():
    """A dark bird on a blue sky: every estimate of the light reads blue, and so would a blue cast; the spread of its
    colours, which a cast cannot change, says there is one colour only, so white balance stays shut."""
    sky = torch.linspace(0.6, 1.0, 64).view(1, 1, 64, 1) * torch.tensor([0.25, 0.45, 0.62]).view(1, 3, 1, 1)
    photo = sky.expand(1, 3, 64, 64).clone()
    photo[..., 24:40, 20:44] = 0.05  # the bird
    assert illuminant_angle(photo).item() > 18  # all four estimates call it a strong cast
    assert chroma_spread(photo).item() < 0.15
    assert photo_gates(photo)[0, 0].item() == 0
    scene = warm_scene()
    spread = chroma_spread(scene).item()
    assert spread > 0.25 and abs(chroma_spread(under_light(scene, (1.3, 1.0, 0.8))).item() - spread) < 0.02


@pytest.mark.parametrize("seed", range(4))
def test_with_white_balance_shut_grey_stays_grey_even_when_brightened(seed):
    """A dark photo with neutral highlights: the tone gate opens, white balance does not, and the correction that
    acts is the grey-keeping part of what the weights predict: a grey strip comes out brighter and still grey,
    whatever the weights (the whole correction would tint it)."""
    torch.manual_seed(seed)
    photo = torch.rand(1, 3, 64, 64) * 0.4
    photo[..., :8, :] = 0.45  # a neutral grey strip, the brightest part
    gates = photo_gates(photo)
    assert gates[0, 0].item() == 0 and gates[0, 1].item() == 1
    net = guarded_classic(seed)
    out = run(net, photo)
    strip = out[..., :8, :]
    assert (strip.amax(dim=1) - strip.amin(dim=1)).max() < 1e-5
    assert (out - photo).abs().mean() > 0.01  # brightened: the gate did open
    with torch.no_grad():  # both gates forced open: the whole correction, which does tint the strip
        params = net.predict(photo * 2 - 1)
        params[:, -2:] = 1
        whole = (net.render(photo * 2 - 1, params) + 1) / 2
    assert (whole[..., :8, :].amax(dim=1) - whole[..., :8, :].amin(dim=1)).max() > 0.01


@pytest.mark.parametrize("seed", range(4))
def test_a_well_exposed_photo_with_neutral_highlights_comes_out_exactly_as_it_went_in(seed):
    """Nothing to lift (its brightest 1 % near white, a wide luma range) and no cast (neutral highlights): the tone
    and colour steps are gated off, whatever the weights. The same photo darkened is changed."""
    torch.manual_seed(seed)
    photo = 0.05 + 0.75 * torch.rand(1, 3, 64, 64) ** 1.5
    photo[..., :6, :] = 0.97  # a neutral white strip: the brightest pixels
    net = guarded(seed, std=1.0)
    assert torch.equal(run(net, photo), photo) or (run(net, photo) - photo).abs().max() < 1e-6
    dark = photo * 0.5
    assert (run(net, dark) - dark).abs().mean() > 0.01


def test_local_gamma_lifts_one_region_more_than_another_and_follows_edges():
    """Two pixels of the same value get different outputs in different places (a local operator), while inside a
    flat region the correction is smooth (the guided filter follows the photo's own edges)."""
    net = guarded(4)
    photo = torch.full((1, 3, 64, 64), 0.2)
    photo[..., :, 32:] = 0.6
    photo[..., 10, 10] = photo[..., 50, 20] = 0.4
    out = run(net, photo)
    assert (out[..., 10, 10] - out[..., 50, 20]).abs().max() > 1e-3
    left = out[..., 16:48, 4:28]
    assert (left.diff(dim=-1).abs().max() < 0.02) and (left.diff(dim=-2).abs().max() < 0.02)


def test_guarded_restorer_renders_the_whole_photo_and_matches_forward():
    net = guarded(5)
    restorer = global_restorer("guarded", net, torch.device("cpu"))
    photo = torch.rand(1, 3, 150, 170)
    torch.testing.assert_close(restorer(photo, tile=64, overlap=16), run(net, photo), atol=1e-5, rtol=0)


def test_guarded_onnx_export_matches_pytorch_at_other_sizes(tmp_path):
    from lightning_gan.nets.io import ImageToImage

    module = ImageToImage(guarded(6), False).eval()
    x = torch.rand(2, 3, 300, 200)
    np.testing.assert_allclose(onnx_output(module, x, tmp_path), module(x).detach().numpy(), atol=1e-4)


def guarded_classic(seed: int = 0) -> ToneGenerator:
    """The per-channel-curve operator (the previous shipped model's) inside the guards, with random weights."""
    torch.manual_seed(seed)
    net = ToneGenerator(width=8, thumb=32, knots=9, guards=True)
    torch.nn.init.normal_(net.head[-1].weight, std=0.3)
    torch.nn.init.normal_(net.head[-1].bias, std=0.6)
    return net.eval()


@pytest.mark.parametrize("seed", range(4))
def test_guards_around_the_classic_operator_keep_studio_shots_and_never_clip(seed):
    net = guarded_classic(seed)
    for level in (1.0, 250 / 255, 235 / 255):
        shot = studio_photo(level)
        assert (run(net, shot) - shot).abs().max() < 1e-6, "a studio shot on white or light grey is left exactly alone"
    dark = torch.rand(2, 3, 40, 40) * 0.5
    assert (run(net, dark) - dark).abs().mean() > 0.01  # a dark photo is still enhanced
    dim = (torch.rand(2, 3, 40, 40) ** 0.3 * 0.6 * 255).round() / 255  # 8-bit, dim: the gate opens
    out = run(net, dim)
    assert (out <= 254 / 255 + 1e-6).all()  # brightened, never to white


def test_guards_are_the_identity_untrained_and_export_to_onnx(tmp_path):
    from lightning_gan.nets.io import ImageToImage

    x = torch.rand(1, 3, 33, 47) * 2 - 1
    torch.testing.assert_close(ToneGenerator(width=8, thumb=32, knots=9, guards=True)(x), x, atol=1e-6, rtol=0)
    module = ImageToImage(guarded_classic(1), False).eval()
    photo = torch.rand(2, 3, 120, 90) * 0.5
    np.testing.assert_allclose(onnx_output(module, photo, tmp_path), module(photo).detach().numpy(), atol=1e-4)
