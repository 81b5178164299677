"""The web app's page and handlers: fix photos, enhance, repair, generate, restyle (`lightning-gan app`, whose
options, defaults and network warnings are in `commands/app.py`).

The handlers below are plain functions (unit-tested without a browser); `build_app` wires them to the page. Photos
go through the same code as `lightning-gan enhance` / `translate` (`photos.process_files`), so alpha, EXIF
orientation and format are kept. Uploads and results live in one temporary folder, removed when the app stops
(normal exit, Ctrl-C or SIGTERM); nothing is written anywhere else. The Model box takes shipped models, baselines
and checkpoints under `--runs` only. Models load once and are reused; the GPU is used when there is one.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import tempfile
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from lightning_gan.data.images import IMAGE_SUFFIXES, UNREADABLE
from lightning_gan.files import OVERLAP, TILE, first_line, read_run_config, resolve_device
from lightning_gan.inference import ModelError, load_checkpoint_model, load_pretrained_model, load_restorer, pretrained_names, shipped_with
from lightning_gan.inference.baselines import BASELINES
from lightning_gan.inference.photos import process_files, restore_rgb, too_large, write_image

Progress = Callable[[int, int], None] | None
# task shown in the page -> (shipped model name(s), the degradation preset(s) a run of that task trains on)
TASKS = {"enhance": ("enhance", "mixed"), "denoise": ("denoise", ("noise", "noise_mix", "camera_noise")),
         "super-resolve x2": ("sr2x", ("real_sr2x_mix", "downscale2")),
         "super-resolve x4": (("sr4x", "sr4x-clean"), ("real_sr4x", "real_sr4x_mix", "downscale4")),
         "JPEG repair": ("dejpeg", ("jpeg", "jpeg_repair")),
         "colorize": ("colorize", "grayscale")}


@dataclass
class Result:
    """What a handler gives the page: (before, after) image paths, a zip of the results, and a message."""

    pairs: list[tuple[str, str]]
    archive: str | None
    message: str


class Workspace:
    """One temporary folder for the app's uploads and results, removed at exit; results and uploads older than
    `max_age` seconds are removed as new jobs come, so a long-running app does not fill the disk."""

    def __init__(self, root: Path | None = None, max_age: float = 3600.0):
        self.root = Path(root) if root else Path(tempfile.mkdtemp(prefix="lightning-gan-app-"))
        self.root.mkdir(parents=True, exist_ok=True)
        self.max_age = max_age  # seconds a result stays downloadable
        atexit.register(self.cleanup)

    def job(self) -> Path:
        self.prune()
        folder = self.root / "results" / uuid.uuid4().hex[:12]
        folder.mkdir(parents=True)
        return folder

    def prune(self) -> None:
        """Remove result folders and uploads last changed more than `max_age` seconds ago."""
        import time

        limit = time.time() - self.max_age
        for parent in (self.root / "results", self.root / "uploads"):
            for entry in parent.glob("*") if parent.is_dir() else []:
                try:
                    if entry.stat().st_mtime < limit:
                        shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
                except OSError:
                    continue  # in use or gone: the next job tries again

    def cleanup(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def remove_on_signals(self) -> None:
        """Also remove the folder when the app is stopped with SIGTERM (services, containers) or SIGINT (Ctrl-C):
        atexit alone runs only at a normal interpreter exit, and the folder holds the users' photos."""

        def stop(signum, frame):
            self.cleanup()
            raise SystemExit(128 + signum)

        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, stop)

    def hide(self, text: str) -> str:
        """A message without the server's temporary paths."""
        return text.replace(str(self.root) + os.sep, "").replace(str(self.root), "")


class Models:
    """Shipped models and the checkpoints under `runs_dir`, each loaded once."""

    def __init__(self, runs_dir: Path, device: str = "auto"):
        self.runs_dir = Path(runs_dir)
        self.device = resolve_device(device)
        self._loaded: dict[tuple[str, str], object] = {}

    def runs(self, capability: str, degradation: str | tuple[str, ...] | None = None) -> list[str]:
        """Checkpoints of runs whose model class has the method `capability` (`restorer`, `render`, `translator`:
        what the tab will call), and, if given, trained on `degradation`. A new variant shows up by having it."""
        from lightning_gan.models.base import model_class

        found = []
        for config_path in sorted(self.runs_dir.glob("*/version_*/config.yaml")):
            config = read_run_config(config_path.parent)
            try:
                cls = model_class(config.class_path)
            except ValueError:
                continue
            wanted = (degradation,) if isinstance(degradation, str) else degradation
            if callable(getattr(cls, capability, None)) and (wanted is None or config.degradation in wanted):
                found += [str(p) for p in sorted((config_path.parent / "checkpoints").glob("*.ckpt"))]
        return found

    def for_task(self, task: str) -> list[str]:
        return self.restorers(*TASKS[task])

    def restorers(self, shipped: str | tuple[str, ...], degradation: str | tuple[str, ...]) -> list[str]:
        """The shipped model(s) `shipped` that are installed, then restorer checkpoints trained on `degradation`."""
        names = (shipped,) if isinstance(shipped, str) else shipped
        return [n for n in names if n in pretrained_names()] + self.runs("restorer", degradation)

    def cached(self, kind: str, spec: str, load: Callable[[], object]):
        """The object loaded for (kind, spec), loading it on first use."""
        if (kind, spec) not in self._loaded:
            self._loaded[(kind, spec)] = load()
        return self._loaded[(kind, spec)]

    def allowed(self, spec: str) -> None:
        """Only shipped names, baselines and checkpoints under the runs folder: the Model box must not open (or
        reveal the existence of) any other file on the server."""
        if spec in pretrained_names() or spec in BASELINES:
            return
        path = Path(spec)
        if path.suffix != ".ckpt" or not path.resolve().is_relative_to(self.runs_dir.resolve()):
            raise ModelError(f"{spec!r} is not a shipped model or a checkpoint under the runs folder")

    def restorer(self, spec: str):
        self.allowed(spec)
        return self.cached("restorer", spec, lambda: load_restorer(spec, self.device))

    def checkpoint(self, spec: str):
        """A run's checkpoint, or a shipped model by name (its generator weights and card)."""
        self.allowed(spec)
        if spec in pretrained_names():
            return self.cached("checkpoint", spec, lambda: load_pretrained_model(spec).to(self.device).eval())
        if not Path(spec).is_file():
            raise FileNotFoundError(f"checkpoint not found: {spec}")
        return self.cached("checkpoint", spec, lambda: load_checkpoint_model(Path(spec)).to(self.device).eval())

    def fixer(self):
        """The auto-fix pipeline (`lightning_gan.inference.autofix.Fixer`) over the shipped models, loaded once."""
        from lightning_gan.inference.autofix import Fixer

        return self.cached("fixer", "shipped", lambda: Fixer(self.device))

    def generators(self) -> list[str]:
        """Shipped generators (`grocery`), then generator checkpoints under the runs folder."""
        return shipped_with("render") + self.runs("render")

    def inpainters(self) -> list[str]:
        """The shipped `inpaint`, then restorer checkpoints trained on any mask preset."""
        from lightning_gan.data.degradations import MASK_PRESETS  # here: the page need not import kornia to start

        return self.restorers("inpaint", MASK_PRESETS)


def _archive(files: list[Path], folder: Path) -> str | None:
    if not files:
        return None
    path = folder / "results.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for file in files:
            archive.write(file, file.name)
    return str(path)


def _check_uploads(paths: list[str], max_pixels: int) -> tuple[list[Path], list[str]]:
    """Uploads that are images of an allowed size, and messages for the others (no decoding of the pixels)."""
    good, bad = [], []
    for path in map(Path, paths or []):
        if path.suffix.lower() not in IMAGE_SUFFIXES:
            bad.append(f"{path.name}: unsupported format (use {', '.join(sorted(IMAGE_SUFFIXES))})")
            continue
        try:
            refused = too_large(path, max_pixels)  # the header only: the `enhance` command's check
        except UNREADABLE as error:  # ValueError too: Pillow refuses huge text chunks and ICC profiles with it
            bad.append(f"{path.name}: not a readable image ({str(error).replace(str(path), path.name)})")
            continue
        if refused:
            bad.append(f"{path.name}: {refused}")
            continue
        good.append(path)
    return good, bad


def _message(done: str, problems: list[str]) -> str:
    return done + ("\n\n**Skipped:**\n" + "\n".join(f"- {p}" for p in problems) if problems else "")


def _run_files(paths: list[str], workspace: Workspace, max_pixels: int, convert, desc: str, progress: Progress) -> Result:
    good, bad = _check_uploads(paths, max_pixels)
    if not good:
        return Result([], None, _message("No result." if bad else "Nothing to do: upload one or more photos.", bad))
    folder = workspace.job()
    jobs, used = [], set()
    for source in good:
        jobs.append((source, folder / unique_name(source.name, used)))

    def each(source: Path, rgb: Image.Image) -> np.ndarray:
        try:
            return convert(source, rgb)
        except Exception as error:  # noqa: BLE001 - one photo's failure is reported for that photo, never the upload's
            raise ValueError(f"{type(error).__name__}: {first_line(error)}") from error

    report = process_files(jobs, each, overwrite=False, desc=desc, progress=progress)
    pairs = [(str(s), str(t)) for s, t in jobs if t in report.written]
    archive = _archive(report.written, folder)
    problems = bad + [workspace.hide(f.replace(str(folder), "")) for f in report.failed + report.notes]
    return Result(pairs, archive, _message(f"Done: {len(report.written)} photo(s).", problems))


def unique_name(name: str, used: set[str]) -> str:
    """`name`, or `stem_k.suffix` with the smallest k >= 2 not taken yet (case-insensitive); records the choice.
    Uploads keep their names, and two uploads never share a result file (`a_2.jpg`, `a.jpg`, `a.jpg` give
    `a_2.jpg`, `a.jpg`, `a_3.jpg`)."""
    path, k, chosen = Path(name), 2, name
    while chosen.lower() in used:
        chosen = f"{path.stem}_{k}{path.suffix}"
        k += 1
    used.add(chosen.lower())
    return chosen


def enhance_files(paths: list[str], model: str, models: Models, workspace: Workspace, max_pixels: int,
                  progress: Progress = None) -> Result:
    """Restore uploaded photos with a shipped model or a checkpoint (the `enhance` command's code path)."""
    if not model:
        return Result([], None, "No model for this task: train one (README, Experiments) or pick another task.")
    try:
        restorer = models.restorer(model)
    except (ModelError, FileNotFoundError, ValueError) as error:
        return Result([], None, f"Cannot load the model: {error}")
    if restorer.use_mask:
        return Result([], None, f"{model} inpaints: use the Repair tab, where you paint the area to fill.")
    return _run_files(paths, workspace, max_pixels, lambda source, rgb: restore_rgb(restorer, rgb, None, TILE, OVERLAP),
                      f"enhance ({restorer.name})", progress)


def fix_files(paths: list[str], min_size: float | None, models: Models, workspace: Workspace, max_pixels: int,
              progress: Progress = None) -> Result:
    """Auto-fix uploaded photos (the `fix` command's code path): each photo analysed, only the stages it needs run,
    and the plan of each (found, done, skipped and why) in the message."""
    from lightning_gan.inference.autofix import file_quality, fix_rgb

    if min_size is not None and not (min_size >= 0 and min_size <= 100_000):  # NaN fails both
        return Result([], None, f"Minimum size must be between 0 and 100000 pixels, got {min_size}.")
    fixer = models.fixer()
    fixer.min_size = int(min_size) if min_size else None
    plans: list[str] = []

    def convert(source: Path, rgb: Image.Image) -> np.ndarray:
        array, report = fix_rgb(fixer, rgb, file_quality(source))
        steps = "; ".join(f"{'done' if s.done else 'skipped'} {s.stage}: {s.why}" for s in report.steps)
        plans.append(f"- **{source.name}**: {report.summary()}" + (f" ({steps})" if steps else ""))
        return array

    result = _run_files(paths, workspace, max_pixels, convert, "fix", progress)
    if plans:
        result.message = result.message.replace("photo(s).", "photo(s).\n\n" + "\n".join(plans), 1)
    return result


def repair_photo(editor: dict | None, model: str, models: Models, workspace: Workspace, max_pixels: int) -> Result:
    """Fill the painted area of the photo (ImageEditor value: background + brush layers) with an inpainting model."""
    if not editor or editor.get("background") is None:
        return Result([], None, "Upload a photo, then paint over the damaged area.")
    try:
        background = _editor_image(editor["background"], max_pixels)
        layers = [_editor_image(layer, max_pixels) for layer in editor.get("layers") or []]
    except ValueError as error:
        return Result([], None, str(error))
    painted = np.zeros(background.shape[:2], dtype=bool)
    for layer in layers:
        if layer.shape[:2] != painted.shape:
            return Result([], None, "The painted layer does not match the photo's size; paint on the photo again.")
        painted |= (layer[..., 3] > 0) if layer.ndim == 3 and layer.shape[2] == 4 else (layer.max(axis=-1) > 0)
    if not painted.any():
        return Result([], None, "Paint over the area to repair first (the brush tool).")
    try:
        restorer = models.restorer(model)
    except (ModelError, FileNotFoundError, ValueError) as error:
        return Result([], None, f"Cannot load the model: {error}")
    if not restorer.use_mask:
        return Result([], None, f"{model} is not an inpainting model.")
    rgb = Image.fromarray(background[..., :3].astype(np.uint8), "RGB")
    mask = torch.from_numpy(painted).float()[None, None]
    folder = workspace.job()
    before, after = folder / "photo.png", folder / "repaired.png"
    rgb.save(before)
    write_image(after, restore_rgb(restorer, rgb, mask, TILE, OVERLAP))
    return Result([(str(before), str(after))], _archive([after], folder), "Repaired.")


def _editor_image(value, max_pixels: int) -> np.ndarray:
    """An ImageEditor value (a file path, or an array) as an array; a file's size is checked before it is decoded."""
    if not isinstance(value, (str, Path)):
        array = np.asarray(value)
        if array.shape[0] * array.shape[1] > max_pixels:
            raise ValueError(f"The photo is over the limit of {max_pixels / 1e6:.0f} megapixels.")
        return array
    try:
        with Image.open(value) as image:
            too_big = image.width * image.height > max_pixels
            array = None if too_big else np.asarray(image.convert("RGBA"))
    except UNREADABLE as error:
        raise ValueError("The photo is not a readable image (JPEG, PNG, WebP or BMP).") from error
    if too_big:
        raise ValueError(f"The photo is over the limit of {max_pixels / 1e6:.0f} megapixels.")
    return array


GENERATE_UPSCALER = "sr4x-clean"  # samples are clean renderings, not compressed photos: the clean-trained x4 model


def generate_images(checkpoint: str, label: str | None, seed: int, count: int, models: Models, workspace: Workspace,
                    upscale: bool = False) -> Result:
    """`count` images from a DCGAN / cGAN checkpoint (`label` for cGAN), the same for the same seed; `upscale`:
    each enlarged x4 by the shipped `sr4x-clean` (64 px samples to catalogue size), as `generate --upscale`."""
    from lightning_gan.inference.generation import enlarged, images, labels_for, save_png

    if not checkpoint:
        return Result([], None, "No generator: the shipped `grocery` model is missing and no run has one (`make train EXP=cgan_generate`).")
    if not 1 <= int(count) <= 64:
        return Result([], None, "Choose between 1 and 64 images.")
    try:
        model = models.checkpoint(checkpoint)
        if not callable(getattr(model, "render", None)):
            raise ModelError(f"{checkpoint} holds a {type(model).__name__}, not a generator (DCGAN, cGAN)")
        batch = images(model, int(count), int(seed), labels_for(model, label or None, int(count)), False)
        if upscale:
            batch = enlarged(batch, models.restorer(GENERATE_UPSCALER))
    except (ModelError, FileNotFoundError, ValueError) as error:
        return Result([], None, f"Cannot generate: {error}")
    folder = workspace.job()
    files = []
    for i, image in enumerate(batch):
        path = folder / f"{label or 'sample'}_{int(seed)}_{i:03d}.png"
        save_png(image, path)  # the `generate` command's writer
        files.append(path)
    return Result([(str(f), str(f)) for f in files], _archive(files, folder), f"Generated {len(files)} image(s), seed {int(seed)}.")


def labels_of(checkpoint: str, models: Models) -> list[str]:
    try:
        return list(getattr(models.checkpoint(checkpoint), "classes", None) or [])
    except (ModelError, FileNotFoundError, ValueError):
        return []


def restyle_files(paths: list[str], checkpoint: str, direction: str, models: Models, workspace: Workspace, max_pixels: int,
                  progress: Progress = None) -> Result:
    """Store photo -> catalogue style (or back) with a CycleGAN checkpoint (the `translate` command's code path)."""
    from lightning_gan.inference.translation import load_translator, translate_rgb

    if not checkpoint:
        return Result([], None, "No CycleGAN checkpoint under the runs folder: `make train EXP=cyclegan_catalog` first.")
    try:
        models.allowed(checkpoint)  # as the Model box: nothing outside the runs folder is opened or reported on
        translator, size = models.cached("translator", f"{checkpoint}:{direction}",
                                          lambda: load_translator(Path(checkpoint), direction, models.device))
    except (ModelError, FileNotFoundError, ValueError) as error:
        return Result([], None, f"Cannot load the model: {error}")
    return _run_files(paths, workspace, max_pixels, lambda source, rgb: translate_rgb(translator, rgb, size, TILE, OVERLAP),
                      f"restyle ({direction})", progress)


# --- the page --------------------------------------------------------------------------------------------------------


def build_app(runs_dir: Path = Path("runs"), max_megapixels: float = 40.0, device: str = "auto", workspace: Workspace | None = None):
    import gradio as gr

    models, workspace = Models(runs_dir, device), workspace or Workspace()
    max_pixels = int(max_megapixels * 1e6)

    def bar(progress):
        return lambda done, total: progress(done / total, desc=f"{done}/{total} photos")

    def show(result: Result):
        first = result.pairs[0] if result.pairs else None
        gallery = [after for _, after in result.pairs]
        return first, gallery, result.archive, result.message

    def fix_ui(files, min_size, progress=gr.Progress()):
        return show(fix_files(files or [], min_size, models, workspace, max_pixels, bar(progress)))

    def enhance_ui(files, model, progress=gr.Progress()):
        return show(enhance_files(files or [], model, models, workspace, max_pixels, bar(progress)))

    def restyle_ui(files, checkpoint, direction, progress=gr.Progress()):
        return show(restyle_files(files or [], checkpoint, direction, models, workspace, max_pixels, bar(progress)))

    def repair_ui(editor, model):
        result = repair_photo(editor, model, models, workspace, max_pixels)
        return (result.pairs[0] if result.pairs else None), result.archive, result.message

    def generate_ui(checkpoint, label, seed, count, size):
        result = generate_images(checkpoint, None if label == "(none)" else label, seed, count, models, workspace,
                                 upscale=size != "as generated")
        return [after for _, after in result.pairs], result.archive, result.message

    def label_choices(checkpoint):
        return gr.update(choices=["(none)"] + labels_of(checkpoint, models), value="(none)")

    def task_models(task):
        choices = models.for_task(task)
        return gr.update(choices=choices, value=choices[0] if choices else None)

    generators = models.generators()
    translators = models.runs("translator")
    tasks = [task for task in TASKS if models.for_task(task)] or list(TASKS)[:1]  # no model behind it: not offered
    with gr.Blocks(title="lightning-gan: product photos", delete_cache=(3600, 3600), analytics_enabled=False) as app:
        gr.Markdown("# lightning-gan · product photos\nFix, enhance, repair, generate and restyle product photos. "
                    f"Models run on **{models.device}**; results stay in a temporary folder until the app stops.")
        with gr.Tab("Fix photos"):
            gr.Markdown("Drop a folder of photos: each is analysed and gets only what it needs (JPEG repair, exposure, "
                        "noise, upscaling); good photos come back unchanged. The plan of each photo is shown below.")
            with gr.Row():
                fix_input = gr.File(label="Photos (or a folder)", file_count="multiple", file_types=sorted(IMAGE_SUFFIXES),
                                    elem_id="fix-input")
                with gr.Column():
                    min_size = gr.Number(0, label="Minimum size (short side, px; 0 = no upscaling)", precision=0,
                                         minimum=0, maximum=100_000)
                    fix_run = gr.Button("Fix photos", variant="primary", elem_id="fix-button")
            fix_status = gr.Markdown(elem_id="fix-status")
            fix_slider = gr.ImageSlider(label="Before / after (first photo)", type="filepath", elem_id="fix-compare")
            fix_gallery = gr.Gallery(label="Results", elem_id="fix-results", columns=4, height=320, object_fit="contain")
            fix_archive = gr.File(label="Download all (zip)", elem_id="fix-download")
            fix_run.click(fix_ui, [fix_input, min_size], [fix_slider, fix_gallery, fix_archive, fix_status])
        with gr.Tab("Enhance"):
            with gr.Row():
                files = gr.File(label="Photos", file_count="multiple", file_types=sorted(IMAGE_SUFFIXES), elem_id="enhance-input")
                with gr.Column():
                    task = gr.Dropdown(tasks, value=tasks[0], label="Task")
                    first_models = models.for_task(tasks[0])
                    model = gr.Dropdown(first_models, value=first_models[0] if first_models else None, label="Model",
                                        allow_custom_value=True)
                    run = gr.Button("Enhance", variant="primary", elem_id="enhance-button")
            status = gr.Markdown(elem_id="enhance-status")
            slider = gr.ImageSlider(label="Before / after (first photo)", type="filepath", elem_id="enhance-compare")
            gallery = gr.Gallery(label="Results", elem_id="enhance-results", columns=4, height=320, object_fit="contain")
            archive = gr.File(label="Download all (zip)", elem_id="enhance-download")
            task.change(task_models, task, model)
            run.click(enhance_ui, [files, model], [slider, gallery, archive, status])
        with gr.Tab("Repair"):
            inpainters = models.inpainters()
            editor = gr.ImageEditor(label="Photo: paint the damaged area with the brush", type="filepath", image_mode="RGBA",
                                    brush=gr.Brush(colors=["#ff00ff"], default_size=24), layers=False)
            repair_model = gr.Dropdown(inpainters, value=inpainters[0] if inpainters else None, label="Inpainting model",
                                       allow_custom_value=True)
            repair = gr.Button("Repair", variant="primary")
            repair_status = gr.Markdown()
            repaired = gr.ImageSlider(label="Before / after", type="filepath")
            repair_file = gr.File(label="Download")
            repair.click(repair_ui, [editor, repair_model], [repaired, repair_file, repair_status])
        with gr.Tab("Generate"):
            checkpoint = gr.Dropdown(generators, value=generators[0] if generators else None,
                                     label="Generator (shipped or a DCGAN / cGAN run)",
                                     allow_custom_value=True)
            first_labels = labels_of(generators[0], models) if generators else []
            label = gr.Dropdown(["(none)"] + first_labels, value="(none)", label="Product class (cGAN)")
            with gr.Row():
                seed = gr.Number(0, label="Seed", precision=0)
                count = gr.Slider(1, 64, value=8, step=1, label="Count")
                sizes = ["as generated"] + (["x4 (sr4x-clean)"] if GENERATE_UPSCALER in pretrained_names() else [])
                size = gr.Radio(sizes, value=sizes[-1], label="Size (x4: 64 px samples to 256 px)")
            generate = gr.Button("Generate", variant="primary")
            generate_status = gr.Markdown()
            samples = gr.Gallery(label="Samples", columns=8)
            samples_zip = gr.File(label="Download (zip)")
            checkpoint.change(label_choices, checkpoint, label)
            generate.click(generate_ui, [checkpoint, label, seed, count, size], [samples, samples_zip, generate_status])
        with gr.Tab("Restyle"):
            with gr.Row():
                style_files = gr.File(label="Store photos", file_count="multiple", file_types=sorted(IMAGE_SUFFIXES))
                with gr.Column():
                    translator = gr.Dropdown(translators, value=translators[0] if translators else None,
                                             label="CycleGAN checkpoint", allow_custom_value=True)
                    direction = gr.Radio(["a2b", "b2a"], value="a2b", label="Direction (a2b: store photo → catalogue)")
                    restyle = gr.Button("Restyle", variant="primary")
            restyle_status = gr.Markdown()
            restyle_slider = gr.ImageSlider(label="Before / after (first photo)", type="filepath")
            restyle_gallery = gr.Gallery(label="Results", columns=4, height=320, object_fit="contain")
            restyle_zip = gr.File(label="Download all (zip)")
            restyle.click(restyle_ui, [style_files, translator, direction], [restyle_slider, restyle_gallery, restyle_zip, restyle_status])
    return app, workspace


