"""lightning_gan/commands/score_generator.py: domain FID, GAN-test and diversity of a generator, and its failure mode."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import save_file

from lightning_gan.commands import main
from lightning_gan.data.datamodule import ProductImageDataModule
from lightning_gan.evaluation.domain import DomainClassifier
from lightning_gan.evaluation.generator_scores import score
from lightning_gan.models.cgan import ConditionalGAN
from lightning_gan.nets.classifier import ProductClassifier


class ColourClassifier(ProductClassifier):
    """A 'trained' classifier without training: features are the mean colour, class = red vs blue channel."""

    def __init__(self):
        super().__init__(2, width=8)
        self.num_features = 3

    def features(self, images):
        return images.mean(dim=(2, 3)) * 10

    def forward(self, images):
        mean = images.mean(dim=(2, 3))
        return torch.stack([mean[:, 2], mean[:, 0]], dim=1)  # classes ["blue", "red"]


class ColourGenerator(torch.nn.Module):
    """Red or blue images; with `use_z` their brightness follows z, without it every z gives the same image."""

    def __init__(self, use_z: bool):
        super().__init__()
        self.use_z = use_z

    def forward(self, z, labels):
        shade = (0.5 + 0.4 * torch.tanh(z[:, 0])) if self.use_z else torch.full((len(z),), 0.7)
        images = torch.full((len(z), 3, 16, 16), -0.8)
        channel = torch.where(labels == 1, 0, 2)  # generator classes ["blue", "red"]
        images[torch.arange(len(z)), channel] = (shade * 2 - 1)[:, None, None]
        return images


def real_data(folder):
    data = ProductImageDataModule(root=str(folder), image_size=16)
    data.setup("test")
    from lightning_gan.data.augment import resize

    test = data.datasets["test"]
    return resize(test.images, 16), test.labels, list(data.classes)


def scored(folder, use_z: bool):
    """The stand-in colour generator scored against the two-class folder: (result, samples)."""
    model = ConditionalGAN(classes=["blue", "red"], latent_dim=4, g_width=8, d_width=8, image_size=16, grid_size=4)
    model.generator_ema.module = ColourGenerator(use_z)
    classifier = DomainClassifier(ColourClassifier().eval(), ["blue", "red"], 16, {})
    real, labels, classes = real_data(folder)
    return score(model, classifier, real, labels, classes, per_class=8, seed=0)


@pytest.mark.parametrize("use_z", [True, False])
def test_score_flags_a_generator_that_ignores_z(two_class_folder, use_z):
    model = ConditionalGAN(classes=["blue", "red"], latent_dim=4, g_width=8, d_width=8, image_size=16, grid_size=4)
    model.generator_ema.module = ColourGenerator(use_z)
    classifier = DomainClassifier(ColourClassifier().eval(), ["blue", "red"], 16, {})
    real, labels, classes = real_data(two_class_folder)
    result, samples = score(model, classifier, real, labels, classes, per_class=8, seed=0)
    assert result["gan_test_accuracy"] == 1.0 and result["classifier_accuracy_real"] == 1.0
    assert {c: row["accuracy_real"] for c, row in result["per_class"].items()} == {"blue": 1.0, "red": 1.0}
    assert len(samples["images"]) == 16
    if use_z:
        assert result["diversity_ratio"] > 0.5  # brightness varies more than the test photos' noise
    else:
        assert result["diversity_ratio"] == 0.0  # the collapse this measure exists to catch


def test_score_generator_command_writes_json_and_grid(two_class_folder, tmp_path, capsys):
    from lightning_gan.commands.generate import main as _  # noqa: F401 - the tool is importable

    model = ConditionalGAN(classes=["blue", "red"], latent_dim=4, g_width=8, d_width=8, image_size=16, grid_size=4)
    from conftest import save_checkpoint

    checkpoint = save_checkpoint(model, tmp_path / "g.ckpt")
    net = ProductClassifier(2, width=8)
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, tmp_path / "c.safetensors")
    (tmp_path / "c.json").write_text(json.dumps({"name": "c", "classes": ["blue", "red"], "image_size": 16, "width": 8,
                                                 "blocks": 1, "label": "coarse"}))
    out, grid = tmp_path / "s.json", tmp_path / "s.png"
    args = ["score-generator", "--model", str(checkpoint), "--data", str(two_class_folder), "--classifier",
            str(tmp_path / "c.safetensors"), "--per-class", "4", "--out", str(out), "--grid", str(grid), "--device", "cpu"]
    main(args)
    result = json.loads(out.read_text())
    assert {"domain_fid", "domain_kid", "gan_test_accuracy", "diversity_ratio", "classifier_accuracy_real"} <= set(result)
    assert grid.stat().st_size > 0
    with pytest.raises(SystemExit):
        main(args)  # existing results are kept
    assert "exists" in capsys.readouterr().err


def test_score_reports_ssim_diversity_zero_for_a_z_ignoring_generator(two_class_folder):
    result, _ = scored(two_class_folder, use_z=False)
    assert result["ssim_diversity_ratio"] == pytest.approx(0.0, abs=1e-4)


def test_gan_test_is_also_given_as_a_share_of_the_real_photos_accuracy(two_class_folder):
    result, _ = scored(two_class_folder, use_z=True)
    assert result["gan_test_ratio"] == result["gan_test_accuracy"] / result["classifier_accuracy_real"]
    assert all(row["gan_test_ratio"] == 1.0 for row in result["per_class"].values())


class PaleBlueOnly(ColourClassifier):
    """Names 'blue' only for a paler blue than the folder's photos: every real blue photo is read as red, every
    generated blue one (shade 0.7) as blue."""

    def forward(self, images):
        blue = images.mean(dim=(2, 3))[:, 2]
        is_blue = (blue > 0.5) & (blue < 0.75)
        return torch.stack([is_blue.float(), (~is_blue).float()], dim=1)


def test_a_class_whose_real_photos_the_classifier_never_names_has_no_share_not_a_zero(two_class_folder):
    """GAN-test / real accuracy is undefined when the real accuracy is 0: reported as None (it was 0.0, which called
    a class whose samples were all named right a total failure)."""
    model = ConditionalGAN(classes=["blue", "red"], latent_dim=4, g_width=8, d_width=8, image_size=16, grid_size=4)
    model.generator_ema.module = ColourGenerator(use_z=False)
    classifier = DomainClassifier(PaleBlueOnly().eval(), ["blue", "red"], 16, {})
    real, labels, classes = real_data(two_class_folder)
    result, _ = score(model, classifier, real, labels, classes, per_class=8, seed=0)
    blue = result["per_class"]["blue"]
    assert blue["accuracy_real"] == 0.0 and blue["gan_test"] == 1.0 and blue["gan_test_ratio"] is None
    assert result["per_class"]["red"]["gan_test_ratio"] == 1.0


def test_the_grid_shows_the_classes_named_in_that_order_enlarged_by_the_upscaler(two_class_folder):
    from lightning_gan.evaluation.generator_scores import grid_of, grid_rows

    _, samples = scored(two_class_folder, use_z=True)
    assert grid_rows(samples, ["red", "blue"]).tolist() == [1, 0]
    with pytest.raises(ValueError, match="no samples of green"):
        grid_rows(samples, ["red", "green"])

    class Double:  # a stand-in x2 upscaler
        scale = 2

        def __call__(self, x):
            return torch.nn.functional.interpolate(x, scale_factor=2, mode="nearest")

    small, large = grid_of(samples, ["red"]), grid_of(samples, ["red"], enlarge=Double())
    assert large.height - small.height == 32 - 16  # one row: its 16 px tiles drawn at 32 px
    red, green, blue = large.getpixel((large.width // 3, large.height - 18))  # inside the row's generated tiles
    assert red > blue  # the row is the red class


def test_a_grid_class_the_generator_does_not_know_is_refused_before_scoring(two_class_folder, tmp_path, capsys):
    from conftest import save_checkpoint

    model = ConditionalGAN(classes=["blue", "red"], latent_dim=4, g_width=8, d_width=8, image_size=16, grid_size=4)
    checkpoint = save_checkpoint(model, tmp_path / "g.ckpt")
    with pytest.raises(SystemExit):
        main(["score-generator", "--model", str(checkpoint), "--data", str(two_class_folder), "--grid-classes",
              "red,Banana", "--device", "cpu"])
    err = capsys.readouterr().err
    assert "--grid-classes" in err and "Banana" in err and "blue, red" in err


def test_truncated_samples_are_scored_as_less_varied(two_class_folder):
    model = ConditionalGAN(classes=["blue", "red"], latent_dim=4, g_width=8, d_width=8, image_size=16, grid_size=4)
    model.generator_ema.module = ColourGenerator(True)
    classifier = DomainClassifier(ColourClassifier().eval(), ["blue", "red"], 16, {})
    real, labels, classes = real_data(two_class_folder)
    plain, _ = score(model, classifier, real, labels, classes, per_class=8, seed=0)
    cut, _ = score(model, classifier, real, labels, classes, per_class=8, seed=0, truncation=0.3)
    assert cut["diversity_ratio"] < 0.5 * plain["diversity_ratio"]
    assert cut["gan_test_accuracy"] == plain["gan_test_accuracy"] == 1.0
