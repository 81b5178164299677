"""The web app: handlers as plain functions, and one end-to-end run in headless Chromium (Selenium)."""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import lightning as L
import numpy as np
import pytest
from conftest import write_image
from PIL import Image

from lightning_gan.app.ui import (
    Models,
    Workspace,
    build_app,
    enhance_files,
    generate_images,
    labels_of,
    repair_photo,
    restyle_files,
    unique_name,
)
from lightning_gan.data.datamodule import ProductImageDataModule
from lightning_gan.data.unpaired import UnpairedDataModule
from lightning_gan.models.cgan import ConditionalGAN
from lightning_gan.models.cyclegan import CycleGAN

ROOT = Path(__file__).resolve().parents[2]
PHOTO = next((ROOT / "lightning_gan" / "data" / "sample-photos" / "grocery" / "test").rglob("*.jpg"))
BIG = 40_000_000


@pytest.fixture
def workspace(tmp_path) -> Workspace:
    return Workspace(tmp_path / "app")


def test_enhance_keeps_alpha_reports_bad_files_and_size_limits(workspace, tmp_path):
    models = Models(tmp_path / "runs", "cpu")
    rgba = np.zeros((40, 30, 4), dtype=np.uint8)
    rgba[..., :3], rgba[..., 3] = 90, 200
    Image.fromarray(rgba, "RGBA").save(tmp_path / "cut.png")
    (tmp_path / "broken.jpg").write_bytes(b"not an image")
    (tmp_path / "notes.txt").write_text("hello")
    result = enhance_files([str(PHOTO), str(tmp_path / "cut.png"), str(tmp_path / "broken.jpg"), str(tmp_path / "notes.txt")],
                           "denoise", models, workspace, BIG)
    assert len(result.pairs) == 2 and "Done: 2 photo(s)" in result.message
    assert "broken.jpg: not a readable image" in result.message and "notes.txt: unsupported format" in result.message
    with Image.open(result.pairs[1][1]) as out:
        assert out.mode == "RGBA" and out.size == (30, 40) and np.asarray(out)[..., 3].min() == 200
    with zipfile.ZipFile(result.archive) as archive:
        assert sorted(archive.namelist()) == sorted([PHOTO.name, "cut.png"])
    assert Path(result.archive).is_relative_to(workspace.root)
    small = enhance_files([str(PHOTO)], "denoise", models, workspace, max_pixels=100)
    assert small.pairs == [] and "over the limit" in small.message
    missing = enhance_files([str(PHOTO)], "no-such-model", models, workspace, BIG)
    assert missing.pairs == [] and missing.message.startswith("Cannot load the model")
    assert "Repair tab" in enhance_files([str(PHOTO)], "inpaint", models, workspace, BIG).message
    assert "No model" in enhance_files([str(PHOTO)], None, models, workspace, BIG).message


def test_models_load_once_and_tasks_list_shipped_models(tmp_path):
    models = Models(tmp_path / "runs", "cpu")
    assert models.restorer("denoise") is models.restorer("denoise")
    assert models.for_task("super-resolve x4") == ["sr4x", "sr4x-clean"] and models.for_task("colorize") == []


def test_repair_fills_the_painted_area(workspace, tmp_path):
    photo = np.asarray(Image.open(PHOTO).convert("RGBA")).copy()
    layer = np.zeros_like(photo)
    layer[30:50, 30:50] = (255, 0, 255, 255)
    stained = photo.copy()
    stained[30:50, 30:50, :3] = (255, 0, 255)
    models = Models(tmp_path / "runs", "cpu")
    result = repair_photo({"background": stained, "layers": [layer], "composite": None}, "inpaint", models, workspace, BIG)
    assert result.message == "Repaired."
    repaired = np.asarray(Image.open(result.pairs[0][1]).convert("RGB")).astype(int)
    error_before = abs(stained[30:50, 30:50, :3] - photo[30:50, 30:50, :3]).mean()
    assert abs(repaired[30:50, 30:50] - photo[30:50, 30:50, :3]).mean() < error_before / 3
    assert np.array_equal(repaired[:20], photo[:20, :, :3])  # outside the mask the photo is kept
    nothing = repair_photo({"background": photo, "layers": [np.zeros_like(photo)]}, "inpaint", models, workspace, BIG)
    assert "Paint over the area" in nothing.message
    assert "not an inpainting model" in repair_photo({"background": stained, "layers": [layer]}, "denoise", models, workspace, BIG).message


@pytest.fixture
def runs(two_class_folder, tmp_path) -> Path:
    """A runs/ folder with one tiny cGAN and one tiny CycleGAN run, laid out as the CLI writes them."""
    runs = tmp_path / "runs"
    for name, model, data in [
        ("cgan", ConditionalGAN(latent_dim=8, g_width=8, d_width=8, image_size=16, grid_size=8),
         ProductImageDataModule(root=str(two_class_folder), image_size=16, batch_size=8)),
        ("cycle", CycleGAN(width=8, blocks=1, d_width=8, d_layers=2),
         UnpairedDataModule(a=str(two_class_folder / "red"), b=str(two_class_folder / "blue"), image_size=16, batch_size=4)),
    ]:
        run = runs / name / "version_0"
        trainer = L.Trainer(max_epochs=1, limit_train_batches=1, limit_val_batches=0, logger=False, enable_progress_bar=False,
                            default_root_dir=tmp_path)
        trainer.fit(model, datamodule=data)
        trainer.save_checkpoint(run / "checkpoints" / "last.ckpt")
        (run / "config.yaml").write_text(f"model:\n  class_path: {type(model).__module__}.{type(model).__name__}\n")
    return runs


def test_generate_and_restyle_from_runs(runs, workspace, tmp_path):
    models = Models(runs, "cpu")
    generators, translators = models.runs("render"), models.runs("translator")
    assert len(generators) == 1 and len(translators) == 1
    assert labels_of(generators[0], models) == ["blue", "red"]
    first = generate_images(generators[0], "red", 3, 4, models, workspace)
    again = generate_images(generators[0], "red", 3, 4, models, workspace)
    assert len(first.pairs) == 4 and [Path(a).read_bytes() for _, a in first.pairs] == [Path(a).read_bytes() for _, a in again.pairs]
    assert "known labels: blue, red" in generate_images(generators[0], "green", 0, 2, models, workspace).message
    assert "between 1 and 64" in generate_images(generators[0], None, 0, 100, models, workspace).message
    photo = write_image(tmp_path / "shelf.png", (120, 90, 60), size=30)
    styled = restyle_files([str(photo)], translators[0], "a2b", models, workspace, BIG)
    assert len(styled.pairs) == 1 and Image.open(styled.pairs[0][1]).size == (30, 30)
    assert "No CycleGAN checkpoint" in restyle_files([str(photo)], None, "a2b", models, workspace, BIG).message


def test_workspace_cleanup_removes_everything(tmp_path):
    workspace = Workspace(tmp_path / "app")
    (workspace.job() / "x.png").write_bytes(b"1")
    workspace.cleanup()
    assert not (tmp_path / "app").exists()


def test_colliding_upload_names_each_keep_their_own_result(workspace, tmp_path):
    used: set[str] = set()
    assert [unique_name(n, used) for n in ("a_2.jpg", "a.jpg", "a.jpg", "A.JPG", "a.jpg")] == \
        ["a_2.jpg", "a.jpg", "a_3.jpg", "A_4.JPG", "a_5.jpg"]
    folders = [tmp_path / name for name in ("x", "y", "z")]
    colours = [(200, 30, 30), (30, 200, 30), (30, 30, 200)]
    uploads = [write_image(folders[0] / "a_2.png", colours[0], noise=False), write_image(folders[1] / "a.png", colours[1], noise=False),
               write_image(folders[2] / "a.png", colours[2], noise=False)]
    result = enhance_files([str(p) for p in uploads], "gaussian_filter", Models(tmp_path / "runs", "cpu"), workspace, BIG)
    assert "Done: 3 photo(s)" in result.message and len(result.pairs) == 3
    for (source, output), colour in zip(result.pairs, colours):
        assert np.abs(np.asarray(Image.open(output))[4:-4, 4:-4].astype(int) - colour).max() <= 2, (source, output)
    with zipfile.ZipFile(result.archive) as archive:
        assert sorted(archive.namelist()) == ["a.png", "a_2.png", "a_3.png"]


def test_model_box_takes_only_shipped_models_and_checkpoints_under_runs(workspace, tmp_path):
    models = Models(tmp_path / "runs", "cpu")
    outside = tmp_path / "secret.ckpt"
    outside.write_bytes(b"x")
    for spec in (str(outside), "/etc/passwd", str(tmp_path / "runs" / ".." / "secret.ckpt")):
        result = enhance_files([str(PHOTO)], spec, models, workspace, BIG)
        assert result.pairs == [] and "not a shipped model or a checkpoint under the runs folder" in result.message
    missing = enhance_files([str(PHOTO)], str(tmp_path / "nope.ckpt"), models, workspace, BIG)
    assert "not a shipped model" in missing.message  # the same answer whether or not the file exists


def test_repair_checks_the_size_before_decoding_and_names_unreadable_photos(workspace, tmp_path):
    models = Models(tmp_path / "runs", "cpu")
    big = tmp_path / "big.png"
    Image.new("RGB", (300, 300)).save(big)
    assert "over the limit" in repair_photo({"background": str(big), "layers": []}, "inpaint", models, workspace, 1000).message
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"\x89PNG broken")
    message = repair_photo({"background": str(junk), "layers": []}, "inpaint", models, workspace, BIG).message
    assert message == "The photo is not a readable image (JPEG, PNG, WebP or BMP)."
    bad = enhance_files([str(junk)], "denoise", models, workspace, BIG).message
    assert str(tmp_path) not in bad and "junk.png: not a readable image" in bad


APP_START_SECONDS = 600  # importing torch, Lightning and Gradio took up to a minute on a loaded 2-core machine


def wait_for_app(url: str, server: subprocess.Popen, log: Path) -> None:
    """Until the app answers; fails only if it exited or stayed silent for APP_START_SECONDS (a slow, loaded machine
    is no failure: the signal test must not signal an app that has not installed its handlers yet)."""
    deadline = time.time() + APP_START_SECONDS
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=5)
            return
        except OSError:
            assert server.poll() is None, log.read_text()[-3000:]
            time.sleep(0.5)
    raise AssertionError(f"the app did not answer within {APP_START_SECONDS} s:\n{log.read_text()[-3000:]}")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_app_removes_its_workspace_when_stopped_by_a_signal(sig, tmp_path):
    port = _free_port()
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = os.environ | {"GRADIO_ANALYTICS_ENABLED": "False", "TMPDIR": str(scratch)}
    log = (tmp_path / "app.log").open("w")
    server = subprocess.Popen([sys.executable, "-m", "lightning_gan", "app", "--port", str(port), "--runs", str(tmp_path / "runs"),
                               "--device", "cpu"], cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_app(f"http://127.0.0.1:{port}/", server, tmp_path / "app.log")
        workspaces = list(scratch.glob("lightning-gan-app-*"))
        assert len(workspaces) == 1
        (workspaces[0] / "results").mkdir(exist_ok=True)
        (workspaces[0] / "results" / "photo.png").write_bytes(b"a user's photo")
        server.send_signal(sig)
        server.wait(timeout=300)
        assert not workspaces[0].exists(), (tmp_path / "app.log").read_text()[-2000:]
    finally:
        if server.poll() is None:
            server.kill()


def test_the_page_builds(runs, tmp_path):
    app, _ = build_app(runs, 10, "cpu", Workspace(tmp_path / "app"))
    assert app.title.startswith("lightning-gan")
    components = app.config["components"]
    tabs = [c["props"].get("label") for c in components if c.get("type") in ("tabitem", "tab")]
    assert tabs == ["Fix photos", "Enhance", "Repair", "Generate", "Restyle"]
    sliders = [c for c in components if c.get("type") == "imageslider"]
    assert len(sliders) == 4  # before/after in Fix, Enhance, Repair and Restyle


# --- end to end in a real browser ------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.browser
def test_browser_fix_end_to_end(tmp_path):
    """Start the app, upload a photo in headless Chromium, run Fix photos (the first tab), check the plan shown, check
    and download the result, screenshot."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    for binary in ("/usr/bin/chromium", "/usr/bin/chromedriver"):
        assert Path(binary).is_file(), f"{binary} missing: `make test` installs Debian's chromium and chromium-driver"
    port = _free_port()
    env = os.environ | {"GRADIO_ANALYTICS_ENABLED": "False"}
    log = (tmp_path / "app.log").open("w")
    server = subprocess.Popen([sys.executable, "-m", "lightning_gan", "app", "--port", str(port), "--runs", str(tmp_path / "runs"),
                               "--device", "cpu"], cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                 "--disable-background-networking", "--disable-component-update", "--disable-dev-shm-usage",
                 "--window-size=1400,1500", f"--user-data-dir={tmp_path / 'chromium'}"):
        options.add_argument(flag)
    driver = None
    try:
        url = f"http://127.0.0.1:{port}/"
        wait_for_app(url, server, tmp_path / "app.log")
        driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        driver.get(url)
        wait = WebDriverWait(driver, 600)  # a loaded 2-core machine is slow, not wrong
        dark = tmp_path / f"dark_{PHOTO.name}"  # an underexposed photo: a good one is (rightly) left alone
        Image.fromarray((np.asarray(Image.open(PHOTO).convert("RGB")) * 0.3).astype(np.uint8)).save(dark, quality=95)
        upload = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#fix-input input[type=file]"))[0]
        upload.send_keys(str(dark))
        wait.until(lambda d: dark.stem in d.find_element(By.CSS_SELECTOR, "#fix-input").text)  # uploaded
        driver.find_element(By.CSS_SELECTOR, "#fix-button").click()
        result = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#fix-results img"))[0]
        wait.until(lambda d: "Done: 1 photo" in d.find_element(By.CSS_SELECTOR, "#fix-status").text)
        assert "tone" in driver.find_element(By.CSS_SELECTOR, "#fix-status").text  # the plan is shown
        enhanced = np.asarray(Image.open(io.BytesIO(urllib.request.urlopen(result.get_attribute("src")).read())).convert("RGB"))
        original = np.asarray(Image.open(dark).convert("RGB"))
        assert enhanced.shape == original.shape and enhanced.mean() > original.mean() + 5  # brightened
        link = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#fix-download a"))[0]
        with zipfile.ZipFile(io.BytesIO(urllib.request.urlopen(link.get_attribute("href")).read())) as archive:
            assert archive.namelist() == [dark.name]
        driver.save_screenshot(str(tmp_path / "app.png"))
        assert (tmp_path / "app.png").stat().st_size > 10_000
        if os.environ.get("LIGHTNING_GAN_SCREENSHOT"):  # `make app-screenshot` refreshes the README's picture
            with Image.open(tmp_path / "app.png") as shot:
                small = shot.convert("RGB").resize((shot.width * 3 // 4, shot.height * 3 // 4), Image.Resampling.LANCZOS)
                target = Path(os.environ["LIGHTNING_GAN_SCREENSHOT"])  # full colour: photos in a palette look posterised
                small.save(target, optimize=True, **({"quality": 90} if target.suffix.lower() in (".jpg", ".jpeg") else {}))
    finally:
        if driver is not None:
            driver.quit()
        server.terminate()
        server.wait(timeout=30)
        log.close()


def fake_eagan_runs(runs: Path, presets: dict[str, str]) -> None:
    """runs/NAME/version_0 with an empty checkpoint and a config naming its degradation preset."""
    for name, preset in presets.items():
        run = runs / name / "version_0"
        (run / "checkpoints").mkdir(parents=True)
        (run / "checkpoints" / "last.ckpt").write_bytes(b"")
        (run / "config.yaml").write_text("model:\n  class_path: lightning_gan.models.eagan.EAGAN\n"
                                         f"data:\n  init_args:\n    degradation: {preset}\n")


def test_denoise_task_lists_runs_trained_on_any_noise_preset(tmp_path):
    fake_eagan_runs(tmp_path, {"mix": "noise_mix", "camera": "camera_noise", "dark": "lowlight"})
    listed = Models(tmp_path, "cpu").for_task("denoise")
    assert [Path(p).parts[-4] for p in listed if p.endswith(".ckpt")] == ["camera", "mix"]


def test_repair_tab_lists_the_shipped_inpainter_and_runs_trained_on_any_mask_preset(tmp_path):
    fake_eagan_runs(tmp_path, {"holes": "large_holes", "mixed": "holes_and_stains", "noise": "noise"})
    listed = Models(tmp_path, "cpu").inpainters()
    assert listed[0] == "inpaint" and [Path(p).parts[-4] for p in listed[1:]] == ["holes", "mixed"]


def test_generate_tab_offers_the_shipped_generator(tmp_path, workspace):
    models = Models(tmp_path / "no_runs")
    assert models.generators()[:1] == ["grocery"]
    result = generate_images("grocery", "Banana", 0, 2, models, workspace)
    assert len(result.pairs) == 2 and "Generated 2" in result.message
    large = generate_images("grocery", "Banana", 0, 1, models, workspace, upscale=True)
    size = Image.open(result.pairs[0][1]).size
    assert Image.open(large.pairs[0][1]).size == (4 * size[0], 4 * size[1])


def fake_launch(monkeypatch) -> dict:
    """`lightning-gan app` without a server: build_app returns a stand-in whose launch() records its options."""
    import lightning_gan.app.ui as app_module

    launched = {}

    class FakeApp:
        def queue(self):
            return self

        def launch(self, **options):
            launched.update(options)

    monkeypatch.setattr(app_module, "build_app", lambda *args: (FakeApp(), None))
    monkeypatch.setattr(app_module.Workspace, "remove_on_signals", lambda self: None)
    return launched


def test_host_and_share_options_warn_when_others_can_reach_the_app(tmp_path, monkeypatch, capsys):
    import lightning_gan.commands.app as app_module

    launched = fake_launch(monkeypatch)
    monkeypatch.delenv("GRADIO_SERVER_NAME", raising=False)
    assert app_module.main(["--runs", str(tmp_path)]) == 0
    assert launched["server_name"] == "127.0.0.1" and not launched["share"]
    assert "warning" not in capsys.readouterr().err
    assert app_module.main(["--host", "0.0.0.0", "--port", "8000", "--runs", str(tmp_path)]) == 0
    assert launched["server_name"] == "0.0.0.0" and launched["server_port"] == 8000
    assert "reachable from the network" in capsys.readouterr().err
    monkeypatch.setenv("GRADIO_SERVER_NAME", "192.168.1.5")  # Gradio's own variable is respected, not overridden
    assert app_module.main(["--runs", str(tmp_path)]) == 0
    assert launched["server_name"] == "192.168.1.5" and "http://192.168.1.5:7860" in capsys.readouterr().err
    assert app_module.main(["--share", "--runs", str(tmp_path)]) == 0
    assert launched["share"] and "public" in capsys.readouterr().err


def test_restyle_box_takes_only_checkpoints_under_runs_like_the_model_box(workspace, tmp_path):
    models = Models(tmp_path / "runs", "cpu")
    (tmp_path / "secret.ckpt").write_bytes(b"x")
    answers = {restyle_files([str(PHOTO)], spec, "a2b", models, workspace, BIG).message
               for spec in (str(tmp_path / "secret.ckpt"), "/etc/shadow", str(tmp_path / "missing.ckpt"))}
    assert len(answers) == 3 and all("not a shipped model or a checkpoint under the runs folder" in a for a in answers)
    assert not any("exist" in a or "not found" in a for a in answers)  # never says whether a file is there


def test_a_png_that_pillow_refuses_with_valueerror_fails_alone(workspace, tmp_path):
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("comment", "x" * 2_000_000, zip=True)  # a zTXt chunk over Pillow's safety limit once decompressed
    bomb = tmp_path / "bomb.png"
    Image.new("RGB", (16, 16)).save(bomb, pnginfo=info)
    with pytest.raises(ValueError):  # what Pillow does with it
        Image.open(bomb).load()
    models = Models(tmp_path / "runs", "cpu")
    result = enhance_files([str(bomb), str(PHOTO)], "gray_world", models, workspace, BIG)
    assert len(result.pairs) == 1 and result.pairs[0][0] == str(PHOTO), result.message
    assert "bomb.png" in result.message


def test_old_results_are_pruned_and_new_ones_kept(tmp_path):
    workspace = Workspace(tmp_path / "app", max_age=60)
    old, uploads = workspace.job(), workspace.root / "uploads"
    (old / "a.png").write_bytes(b"x")
    uploads.mkdir()
    (uploads / "u.png").write_bytes(b"x")
    for path in (old, uploads / "u.png"):
        os.utime(path, (time.time() - 3600, time.time() - 3600))
    new = workspace.job()
    assert not old.exists() and not (uploads / "u.png").exists() and new.is_dir()


def test_upload_limit_analytics_off_and_bad_limits(tmp_path, monkeypatch, capsys):
    import lightning_gan.commands.app as app_module

    launched = fake_launch(monkeypatch)
    monkeypatch.delenv("GRADIO_ANALYTICS_ENABLED", raising=False)
    assert app_module.main(["--runs", str(tmp_path), "--max-upload-mb", "20"]) == 0
    assert launched["max_file_size"] == "20mb" and os.environ["GRADIO_ANALYTICS_ENABLED"] == "False"
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    for option in (["--max-megapixels", "nan"], ["--max-upload-mb", "-1"]):
        assert app_module.main(["--runs", str(tmp_path), *option]) == 2
        assert option[0] in capsys.readouterr().err


def test_tasks_without_a_model_are_not_offered(tmp_path):
    app, _ = build_app(tmp_path / "runs", 10, "cpu", Workspace(tmp_path / "app"))
    task_box = next(c for c in app.config["components"] if c.get("props", {}).get("label") == "Task")
    offered = [choice[0] if isinstance(choice, (list, tuple)) else choice for choice in task_box["props"]["choices"]]
    assert "enhance" in offered and "super-resolve x4" in offered
    assert "colorize" not in offered  # no shipped colorize model and no run trained on grayscale


def test_without_gradio_the_hint_fits_a_wheel_install(monkeypatch, capsys, tmp_path):
    import lightning_gan.commands.app as app_module

    monkeypatch.setitem(sys.modules, "gradio", None)  # as if the [app] extra were not installed
    assert app_module.main(["--runs", str(tmp_path)]) == 2
    assert "pip install 'lightning-gan[app]'" in capsys.readouterr().err


def test_fix_tab_does_only_what_each_photo_needs_and_shows_the_plans(workspace, tmp_path):
    from lightning_gan.app.ui import fix_files

    models = Models(tmp_path / "runs", "cpu")
    # a sample photo whose plan is empty (tests/inference/test_autofix.py); the first one, Asparagus_001, reads 4.5 levels of
    # noise in its JPEG grid and gets a denoise
    clean = Image.open(PHOTO.parents[2] / "Fruit" / "Apple" / "Golden-Delicious" / "Golden-Delicious_001.jpg").convert("RGB")
    dark = tmp_path / "dark.png"
    Image.fromarray((np.asarray(clean) * 0.3).astype(np.uint8)).save(dark)
    clean.save(tmp_path / "clean.png")
    result = fix_files([str(tmp_path / "clean.png"), str(dark)], 0, models, workspace, BIG)
    assert "Done: 2 photo(s)" in result.message and "**dark.png**: tone" in result.message
    assert "**clean.png**: nothing needed" in result.message
    before, after = result.pairs[0]
    assert np.array_equal(np.asarray(Image.open(after)), np.asarray(clean))  # a good photo is left alone
    assert "between 0 and" in fix_files([str(dark)], float("nan"), models, workspace, BIG).message
