"""scripts/contact_sheet.py: 1:1 cells, the same window in every column, small inputs shown at the output's scale."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import torch
from PIL import Image

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "contact_sheet.py"
spec = importlib.util.spec_from_file_location("contact_sheet", SCRIPT)
contact_sheet = importlib.util.module_from_spec(spec)
spec.loader.exec_module(contact_sheet)


def test_window_of_a_small_input_is_the_same_place_enlarged():
    full = torch.rand(1, 3, 64, 64)
    small = full[..., ::4, ::4]
    cut = contact_sheet.window(small, 64, 16, 32, 16)
    assert cut.shape[-2:] == (16, 16)
    assert torch.equal(cut[..., ::4, ::4], small[..., 4:8, 8:12])  # each input pixel is a 4x4 block
    assert torch.equal(contact_sheet.window(full, 64, 16, 32, 16), full[..., 16:32, 32:48])


def test_super_resolution_sheet_has_equal_cells(tmp_path):
    paths = []
    for i in range(2):
        path = tmp_path / f"photo{i}.png"
        Image.fromarray((torch.rand(96, 80, 3) * 255).byte().numpy()).save(path)
        paths.append(path)
    canvas = contact_sheet.sheet(paths, ["bicubic", "nearest"], degradation="downscale4", crop=32, zoom=2)
    # columns: input, bicubic, nearest, original; each a 64 px cell, 4 px gaps
    assert canvas.size == (4 * 64 + 3 * 4, 2 * 64 + 4)


def test_column_titles_name_the_model():
    assert contact_sheet.method_label("sr4x") == "sr4x"
    assert contact_sheet.method_label("/tmp/prev/sr4x_previous.safetensors") == "sr4x_previous"
    assert contact_sheet.method_label("runs/sr/version_0/checkpoints/best-step8.ckpt") == "sr/best-step8"
    assert contact_sheet.method_label("/tmp/model.ckpt") == "model"


def test_studio_sheet_shows_the_photo_on_a_neutral_background(tmp_path):
    path = tmp_path / "photo.png"
    Image.fromarray((torch.rand(120, 100, 3) * 255).byte().numpy()).save(path)
    shot = contact_sheet.load(path, studio_seed=0)
    assert shot.shape == (1, 3, contact_sheet.STUDIO_SIDE, contact_sheet.STUDIO_SIDE)
    corner = shot[..., :4, :4]
    assert (corner.amax(dim=1) - corner.amin(dim=1)).max() < 1e-6 and corner.min() > 0.5
    canvas = contact_sheet.sheet([path], ["gamma_correction"], studio=True)
    assert canvas.size == (2 * contact_sheet.STUDIO_SIDE + 4, contact_sheet.STUDIO_SIDE)


def test_crop_first_passes_only_the_window_through_the_methods(tmp_path, monkeypatch):
    path = tmp_path / "photo.png"
    Image.fromarray((torch.rand(90, 70, 3) * 255).byte().numpy()).save(path)
    seen = []
    real_load = contact_sheet.load_restorer

    class Recording:
        use_mask = False

        def __init__(self, spec, device="cpu"):
            self.restorer = real_load(spec, device)

        def __call__(self, image, mask=None):
            seen.append(tuple(image.shape[-2:]))
            return self.restorer(image, mask)

    monkeypatch.setattr(contact_sheet, "load_restorer", Recording)
    canvas = contact_sheet.sheet([path], ["gaussian_filter"], degradation="noise", crop=32, crop_first=True)
    assert seen == [(32, 32)]  # the method saw the window, not the 90x70 photo
    assert canvas.size == (3 * 32 + 2 * 4, 32)  # noisy window, method, original


def test_pick_changed_takes_the_most_changed_photos_and_never_an_untouched_one():
    """A gated model leaves most photos exactly alone; the sheet of its do-no-harm failures shows only those it
    changed, the most changed first."""
    torch.manual_seed(0)
    images = [torch.rand(1, 3, 16, 16) * v for v in (0.2, 0.5, 0.9)]
    paths = [Path(f"p{i}.png") for i in range(3)]
    changed = contact_sheet.changes(images, "gamma_correction")
    assert all(c > 0 for c in changed)
    assert contact_sheet.pick(paths, [0.0] * 3, "changed", 2, changes=changed) == \
        [paths[i] for i in sorted(range(3), key=lambda i: -changed[i])[:2]]
    assert contact_sheet.pick(paths, [0.0] * 3, "changed", 3, changes=[0.0, 0.01, 0.0]) == [paths[1]]


def test_a_method_named_with_xn_is_that_model_with_n_flipped_copies():
    assert contact_sheet.method_restorer("denoise").ensemble == 1
    assert contact_sheet.method_restorer("denoise x8").ensemble == 8
    assert contact_sheet.method_restorer("gaussian_filter").name == "gaussian_filter"
