"""scripts/export_pretrained.py: the model card is rebuilt from every shipped card, out-of-domain tables included."""

from __future__ import annotations

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "export_pretrained.py"
spec = importlib.util.spec_from_file_location("export_pretrained", SCRIPT)
export_pretrained = importlib.util.module_from_spec(spec)
spec.loader.exec_module(export_pretrained)


def test_model_card_covers_every_shipped_model():
    from lightning_gan.inference import pretrained_names

    card = export_pretrained.model_card()
    for name in pretrained_names():
        assert f"## `{name}`" in card


def test_out_of_domain_tables():
    ood = {"kodak_clean": {"enhance": {"psnr_mean": 41.0, "psnr_worst": 33.5, "worst_photo": "kodim17"}},
           "studio": {"enhance": {"bg_shift_max": 0.4}},
           "darkened": {"input": {"psnr": 12.8}, "enhance": {"psnr": 22.1}}}
    text = "\n".join(export_pretrained.ood_lines(ood))
    assert "| enhance | 41.00 | 33.50 | kodim17 |" in text and "| input | 12.80 |" in text
    assert export_pretrained.ood_lines(None) == []


def test_super_resolution_tables():
    bench = {"images": 14, "scale": 2, "published_y_clean": {"EDSR": 33.92},
             "clean": {"bicubic": {"psnr_y": 30.56, "psnr": 28.51}, "run/best.ckpt": {"psnr_y": 32.45, "psnr": 30.09}},
             "jpeg40": {"bicubic": {"psnr_y": 28.04, "psnr": 25.24}, "run/best.ckpt": {"psnr_y": 28.76, "psnr": 25.89}},
             "studio": {"run/best.ckpt": {"psnr_y": 38.96, "background_shift_max": 0.14}}}
    text = "\n".join(export_pretrained.ood_lines(bench))
    assert "| this model | 32.45 (30.09) | 28.76 (25.89) |" in text and "| EDSR, published | 33.92 | |" in text
    assert "x2" in text and "0.14 grey levels" in text


def test_a_card_names_no_folder_of_the_machine_that_trained_it():
    facts = {"training": {"checkpoint": "/tmp/cands/c4.ckpt"}, "test": {"rows": [{"method": "/tmp/cands/c4.ckpt"}],
                                                                        "cases": {"png": "/work/scores/worst_best.png"}},
             "out_of_domain": {"clean": {"/tmp/cands/c4.ckpt": {"psnr": 30.0}, "bicubic": {"psnr": 28.0}}}}
    clean = export_pretrained.without_paths(facts, Path("/tmp/cands/c4.ckpt"))
    assert clean["training"]["checkpoint"] == "c4.ckpt" and clean["test"]["rows"][0]["method"] == "c4.ckpt"
    assert clean["test"]["cases"]["png"] == "worst_best.png"
    assert set(clean["out_of_domain"]["clean"]) == {"c4.ckpt", "bicubic"} and "/tmp" not in str(clean)


def test_no_shipped_card_names_a_machine_folder():
    from lightning_gan.inference.loading import PRETRAINED_DIR

    for card in PRETRAINED_DIR.glob("*.json"):
        text = card.read_text()
        assert "/tmp/" not in text and "/work/" not in text and "/home/" not in text, card.name


def test_jpeg_tables_carry_the_do_no_harm_rows():
    bench = {"colour": {"20": {"jpeg_rgb": 29.02, "model_rgb": 30.24, "jpeg_y": 30.20, "model_y": 31.23}},
             "clean": {"kodak": {"mean": 59.34, "worst": 48.10, "worst_photo": "kodim18"},
                       "studio": {"mean": 67.82, "worst": 63.87, "worst_photo": "51084", "background_shift_max": 0.01}}}
    text = "\n".join(export_pretrained.ood_lines(bench))
    assert "| 20 | 29.02 | 30.24 | +1.22 |" in text
    assert "Kodak24 PNGs (never compressed) in: mean 59.34 dB, worst 48.10 dB (kodim18)" in text
    assert "studio shots on white / light grey in: mean 67.82 dB" in text and "0.01 grey levels" in text


def test_the_card_says_which_earlier_stage_a_model_runs():
    frozen = export_pretrained.earlier_stage({"input_model": "dejpeg"})
    trained = export_pretrained.earlier_stage({"input_model": "dejpeg", "train_input_model": True})
    assert "`dejpeg`" in frozen and "trained behind it" in frozen
    assert "its own `dejpeg`" in trained and "saved with it" in trained
