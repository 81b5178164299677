"""lightning_gan/evaluation/domain.py: the domain classifier (training, loading) and the measures in its feature space."""

from __future__ import annotations

import json

import pytest
import torch

from lightning_gan.commands import main
from lightning_gan.data.augment import resize
from lightning_gan.data.datamodule import ProductImageDataModule
from lightning_gan.evaluation.domain import (
    diversity_ratio,
    gan_test_accuracy,
    intra_class_diversity,
    load_domain_classifier,
    mean_pairwise_distance,
)
from lightning_gan.nets.classifier import ProductClassifier


@pytest.fixture
def classifier_file(two_class_folder, tmp_path):
    out = tmp_path / "clf" / "tiny.safetensors"
    main(["train-classifier", "--data", str(two_class_folder), "--out", str(out), "--size", "16", "--epochs", "10",
          "--width", "8", "--batch-size", "8", "--device", "cpu"])
    return out


def test_train_classifier_writes_a_card_learns_colours_and_keeps_files(classifier_file, two_class_folder, capsys):
    card = json.loads(classifier_file.with_suffix(".json").read_text())
    assert card["classes"] == ["blue", "red"] and card["image_size"] == 16 and card["width"] == 8
    classifier = load_domain_classifier(classifier_file)
    data = ProductImageDataModule(root=str(two_class_folder), image_size=16)
    data.setup("test")
    images, labels = resize(data.datasets["test"].images, 16), data.datasets["test"].labels
    assert gan_test_accuracy(classifier, images, labels) >= 0.9  # two colours are learnt in ten short epochs
    assert card["test_accuracy"] >= 0.9
    assert classifier.features(images).shape == (len(images), 64)
    before = classifier_file.read_bytes()
    with pytest.raises(SystemExit):
        main(["train-classifier", "--data", str(two_class_folder), "--out", str(classifier_file), "--epochs", "1"])
    assert "exists" in capsys.readouterr().err and classifier_file.read_bytes() == before


def test_missing_classifier_says_how_to_make_one(tmp_path):
    with pytest.raises(FileNotFoundError, match="train-classifier"):
        load_domain_classifier(tmp_path / "none.safetensors")


def test_diversity_is_zero_for_copies_and_ratio_compares_to_real():
    features = torch.randn(6, 4)
    labels = torch.tensor([0, 0, 0, 1, 1, 1])
    copies = features[[0, 0, 0, 3, 3, 3]]
    assert intra_class_diversity(copies, labels) == {0: 0.0, 1: 0.0}
    real = intra_class_diversity(features, labels)
    assert diversity_ratio(intra_class_diversity(copies, labels), real) == 0.0
    assert diversity_ratio(real, real) == pytest.approx(1.0)
    assert mean_pairwise_distance(torch.tensor([[0.0, 0.0], [3.0, 4.0]])) == pytest.approx(5.0)


def test_gan_test_accuracy_leaves_out_unknown_classes():
    class Stub:  # predicts class 1 for everything
        def predict(self, images):
            return torch.ones(len(images), dtype=torch.long)

    assert gan_test_accuracy(Stub(), torch.zeros(4, 3, 8, 8), torch.tensor([1, 1, 0, -1])) == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="no image"):
        gan_test_accuracy(Stub(), torch.zeros(2, 3, 8, 8), torch.tensor([-1, -1]))


def test_classifier_features_feed_torchmetrics_fid():
    from lightning_gan.evaluation.domain import DomainClassifier
    from lightning_gan.evaluation.metrics import generation_metrics

    torch.manual_seed(0)
    classifier = DomainClassifier(ProductClassifier(2, width=8).eval(), ["a", "b"], 16, {})
    real = torch.rand(20, 3, 16, 16)
    same, _ = generation_metrics(real, real.clone(), ("fid",), feature_extractor=classifier.extractor())
    other, _ = generation_metrics(real, torch.rand(20, 3, 16, 16) * 0.3, ("fid",), feature_extractor=classifier.extractor())
    assert same["fid"] < 1e-2 < other["fid"]


def test_shipped_classifier_loads_and_gives_domain_metrics():
    from lightning_gan.evaluation.domain import load_domain_classifier
    from lightning_gan.evaluation.metrics import generation_metrics

    classifier = load_domain_classifier()
    assert len(classifier.classes) == 43 and "Banana" in classifier.classes and classifier.card["test_accuracy"] > 0.5
    torch.manual_seed(0)
    real = torch.rand(12, 3, 32, 32)
    scores, notes = generation_metrics(real, real.flip(-1).clamp(0, 0.4), ("swd", "domain_fid", "domain_kid"))
    assert set(scores) == {"swd", "domain_fid", "domain_kid"} and scores["domain_fid"] > 0 and not notes


def test_a_plain_second_classifier_trains_loads_by_its_card_and_has_no_shortcuts(two_class_folder, tmp_path):
    """The independent judge of issue 36: another architecture (no residual shortcuts), its card says so."""
    out = tmp_path / "clf" / "plain.safetensors"
    main(["train-classifier", "--data", str(two_class_folder), "--out", str(out), "--size", "16", "--epochs", "10",
          "--width", "8", "--batch-size", "8", "--device", "cpu", "--arch", "plain", "--seed", "1"])
    card = json.loads(out.with_suffix(".json").read_text())
    assert card["arch"] == "plain" and card["training"]["seed"] == 1
    classifier = load_domain_classifier(out)
    assert not any(name.startswith("shortcut") or ".shortcut" in name for name, _ in classifier.net.named_modules())
    assert card["test_accuracy"] >= 0.9
