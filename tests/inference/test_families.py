"""inference/families.py: a shipped card builds, without Lightning, the network its training module builds, and
restores or generates the same pixels; the builders' defaults are the training modules' defaults."""

from __future__ import annotations

import inspect
import json

import pytest
import torch

from lightning_gan.inference.families import FAMILIES, ImageGeneration, ImageRestoration
from lightning_gan.inference.loading import PRETRAINED_DIR, pretrained_names
from lightning_gan.models.base import model_class
from lightning_gan.models.cgan import ConditionalGAN
from lightning_gan.models.dcgan import DCGAN
from lightning_gan.models.eagan import EAGAN
from lightning_gan.models.enhance_base import EnhancementGAN
from lightning_gan.models.gan_enhance import GANEnhance
from lightning_gan.nets.builders import eagan_generator, encoder_decoder_generator, noise_generator


def card(name: str) -> dict:
    return json.loads((PRETRAINED_DIR / f"{name}.json").read_text())


@pytest.mark.parametrize("name", pretrained_names())
def test_a_shipped_card_gives_the_training_modules_network_and_pixels(name):
    found = card(name)
    family = FAMILIES[found["class_path"]](found["hparams"])
    module = model_class(found["class_path"])(**found["hparams"])
    expected = module.inference_generator.state_dict()
    assert {k: v.shape for k, v in family.inference_generator.state_dict().items()} == {k: v.shape for k, v in expected.items()}
    family.inference_generator.load_state_dict(expected)  # the module's own (random) initial weights in both
    if isinstance(family, ImageRestoration):
        photo = torch.rand(1, 3, 40, 48, generator=torch.Generator().manual_seed(0))
        mask = torch.zeros(1, 1, 40, 48)
        mask[..., 10:22, 12:30] = 1
        mask = mask if family.use_mask else None
        got = family.restorer(name, torch.device("cpu"))(photo, mask)
        torch.testing.assert_close(got, module.restorer(name, torch.device("cpu"))(photo, mask))
    else:
        assert isinstance(family, ImageGeneration)
        z = torch.randn(3, family.hparams.latent_dim, generator=torch.Generator().manual_seed(0))
        labels = torch.tensor([0, 1, 2])
        torch.testing.assert_close(family.eval().render(z, labels), module.eval().render(z, labels))


def test_a_card_without_a_newer_option_loads_with_that_options_default():
    hparams = dict(card("enhance")["hparams"])
    hparams.pop("tone_guards")  # cards written before the option existed
    assert FAMILIES["lightning_gan.models.eagan.EAGAN"](card("enhance")["hparams"]).inference_generator.guards is True
    assert FAMILIES["lightning_gan.models.eagan.EAGAN"](hparams).inference_generator.guards is False


def defaults(function) -> dict:
    return {k: p.default for k, p in inspect.signature(function).parameters.items() if p.default is not inspect.Parameter.empty}


@pytest.mark.parametrize("module,builder", [(EAGAN, eagan_generator), (EnhancementGAN, ImageRestoration.__init__),
                                            (GANEnhance, encoder_decoder_generator), (DCGAN, noise_generator),
                                            (ConditionalGAN, noise_generator)], ids=lambda v: getattr(v, "__qualname__", ""))
def test_the_builders_defaults_are_the_training_modules_defaults(module, builder):
    trained, built = defaults(module.__init__), defaults(builder)
    shared = set(trained) & set(built) - {"classes"}  # the module's class names, the builder's class count
    assert shared, "nothing shared: the builder does not read this module's options"
    assert {k: trained[k] for k in shared} == {k: built[k] for k in shared}


def test_a_noise_map_model_measures_the_level_once_on_the_whole_photo_with_its_own_estimator():
    """Every tile of a photo gets the same noise level, measured with the estimator the card names ('blind' here):
    a tile of sky and a tile of foliage would otherwise be denoised differently and the seams would show."""
    from lightning_gan.models.eagan import EAGAN
    from lightning_gan.nets import io

    model = EAGAN(generator="nafnet", width=8, blocks=1, noise_map=True, noise_estimator="blind", d_width=8)
    restorer = model.restorer("denoise", torch.device("cpu"))
    seen = []
    original = model.network_input
    model.network_input = lambda x, m=None, levels=None: seen.append(levels.clone()) or original(x, m, levels)
    g = torch.Generator().manual_seed(0)
    photo = torch.full((1, 3, 96, 160), 0.5)
    photo[..., :80] += 20 / 255 * torch.randn(1, 3, 96, 80, generator=g)  # noisy on the left, flat on the right
    restorer(photo.clamp(0, 1), tile=64, overlap=8)
    assert len(seen) > 2 and all(torch.equal(s, seen[0]) for s in seen)
    assert torch.allclose(seen[0], io.estimate_noise_blind(photo.clamp(0, 1)))
    restorer.set_noise_level(7 / 255)  # a level measured elsewhere wins
    seen.clear()
    restorer(photo.clamp(0, 1), tile=64, overlap=8)
    assert torch.allclose(seen[0], torch.tensor([7 / 255]))


def test_noise_floor_returns_clean_photos_unchanged_and_still_denoises_noisy_ones():
    """noise_floor (levels): a photo whose own blind estimate is under it comes back exactly; a noisy photo, or any
    photo given a measured level from outside, still goes through the network."""
    from lightning_gan.models.eagan import EAGAN

    torch.manual_seed(0)
    model = EAGAN(generator="nafnet", width=8, blocks=1, noise_map=True, noise_estimator="blind", noise_floor=3.0,
                  d_width=8)
    for p in model.generator_ema.parameters():  # not the identity
        torch.nn.init.normal_(p, std=0.05)
    restorer = model.restorer("denoise", torch.device("cpu"))
    ramp = torch.linspace(0.2, 0.8, 96)
    clean = torch.stack([ramp.view(1, -1).expand(96, -1), ramp.view(-1, 1).expand(-1, 96), torch.full((96, 96), 0.5)])[None]
    noisy = (clean + 15 / 255 * torch.randn(clean.shape, generator=torch.Generator().manual_seed(1))).clamp(0, 1)
    assert torch.equal(restorer(clean), clean)
    assert not torch.allclose(restorer(noisy), noisy, atol=1e-3)
    both = restorer(torch.cat([clean, noisy]))
    assert torch.equal(both[0], clean[0]) and not torch.allclose(both[1], noisy[0], atol=1e-3)
    restorer.set_noise_level(5 / 255)
    assert not torch.equal(restorer(clean), clean)


def test_a_card_with_deeper_nafnet_levels_builds_the_network_it_was_trained_as():
    hparams = dict(card("denoise")["hparams"], level_blocks=2)
    net = FAMILIES["lightning_gan.models.eagan.EAGAN"](hparams).inference_generator
    assert [len(e) for e in net.encoders] == [2, 2, 4] and [len(d) for d in net.decoders] == [2, 2, 2]
    assert net.state_dict().keys() == EAGAN(**hparams).inference_generator.state_dict().keys()
