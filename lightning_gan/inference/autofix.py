"""Auto-fix: analyse a photo without a reference, then run only the stages it needs, and keep each stage only when a
no-reference check says it did no harm. The library behind `lightning-gan fix`, `load_model("fix")` and the app's
"Fix photos" tab.

    fixer = Fixer(min_size=800)
    fixed, report = fixer.fix(photo)          # (3, H, W) in [0, 1] -> fixed photo, FixReport (found, done, skipped)

Stages, in this order (each one's model is a shipped name, `MODELS`; a stage whose model is not shipped is skipped
and says so, and a better model shipped under the same name is used without change):
1. `dejpeg` (JPEG repair) of visible damage (`JPEG_QUALITY`, or `JPEG_QUALITY_ENLARGED` before an enlargement):
   first, while the blocking still sits on the file's 8 x 8 grid at the values the encoder quantised; brightening
   would scale the artefacts away from what the model was trained on. It also removes noise that was compressed
   with the photo (it was trained on noisy JPEGs), so `denoise` is not planned after it.
2. `tone` (`enhance`): exposure, only for clearly underexposed photos (`DARK`). A colour cast alone is reported, not
   corrected: without a reference a warm scene and a cast look alike, and correcting casts harmed clean photos.
3. `denoise`: at the noise level measured after tone (the analysis' level times the tone's gain, measured again on
   the toned photo rather than modelled), given to the noise-level-aware denoiser instead of its blind estimate.
4. `upscale` (for enlargements by 2 or less `sr2x-jpeg` for a JPEG of quality 90 or less and `sr2x` for other
   photos, each when shipped; else `sr4x`): last, when the short side is under
   `min_size`, so that no defect is enlarged; the model's result is resized to the size asked for and
   back-projected onto the photo (uncompressed) or onto its JPEG file's quantisation cells (`BACK_PROJECTION_STEPS`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

import torch
import torch.nn.functional as F
from torch import Tensor

from lightning_gan.files import OVERLAP, TILE
from lightning_gan.inference import ModelError, Restorer, load_restorer, pretrained_names
from lightning_gan.inference.analysis import Findings, analyse, blockiness
from lightning_gan.nets.io import estimate_noise_flat, estimate_noise_lowfreq, estimate_noise_pca, gaussian_blur
from lightning_gan.nets.jpeg import ON_GRID, estimate_quality, jpeg_consistent
from lightning_gan.nets.tone import luma_of

STAGES = ("dejpeg", "tone", "denoise", "upscale")
MODELS = {"dejpeg": "dejpeg", "tone": "enhance", "denoise": "denoise", "upscale": "sr4x"}
# Enlargements by 2 or less (a thumbnail to a listing's size) use the x2 model when it is shipped: trained on halved
# photos, JPEG-saved ones among them, it repairs and enlarges at once; `sr4x` shrunk to x2 gained 0.6 dB less.
UPSCALE_X2 = "sr2x"
# A JPEG saved at JPEG_QUALITY_ENLARGED or less goes to the x2 model trained on such files alone when it is shipped
# (`sr2x`'s own mix spends 60 % of its training on other inputs): Kodak24 halved + JPEG 30, docs/results.md.
UPSCALE_X2_JPEG = "sr2x-jpeg"

DARK = 0.60  # luma of the brightest 1 % under this: underexposed by about 1 EV or more (Kodak24 at -2 EV: 0.40-0.56;
# clean Kodak24 photos 0.69-1.0, dim but intended ones among them: those are left alone)
NOISY = 4.0  # noise level in 8-bit levels above which `denoise` is planned (barely visible; it was trained from 5;
# clean compressed Kodak24 photos read up to 3.8)
JPEG_QUALITY = 60  # a JPEG file saved at this quality or lower gets JPEG repair: damage visible at 1:1. Shops'
# photos are mostly 75-90 (Grocery Store photos 75, its studio shots 80-88) and are left as they are
JPEG_QUALITY_ENLARGED = 90  # the same for a photo about to be enlarged, whose artefacts would be enlarged too
BLOCKY = 1.3  # blockiness above which a photo without the file's tables counts as a JPEG to repair (quality 30:
# 1.4-2.1 on Kodak24; clean photos 0.98-1.01)
COMPRESSED = 1.05  # blockiness above which a photo was lightly compressed (a phone's JPEG at quality 85 reads
# 1.07-1.15): its noise is measured in flat areas, since compression empties the spectrum tail the PCA estimate reads
MAX_UPSCALE = 4  # the shipped upscaler's factor; a photo needing more is enlarged x4 and says so
NEW_CLIPPING = 0.1  # percentage points of pixels newly at white that make a tone result count as harm
BACK_PROJECTION_DB = 30.0  # an upscaled result shrunk back must match the photo this well (PSNR), else bicubic
# Back-projection steps after upscaling (Irani & Peleg 1991): what the result, shrunk back, misses of the photo is
# enlarged and added, so its coarse content is the photo's. Onto the pixels only for photos that were not
# compressed: back-projecting onto a JPEG's pixels (even repaired ones) brings its errors back. Grocery val (photos
# halved, enlarged x2): with `sr4x` on JPEG 30, 0 / 1 / 3 steps gave 28.37 / 28.46 / 28.33 dB (30 photos); with
# `sr2x` (10 photos) one step gave 29.92 -> 29.66 on JPEG 30 and 37.35 -> 38.18 on clean halvings. A JPEG is
# back-projected onto its file's quantisation cells instead (`jpeg_consistent`: the result, shrunk back, may be
# anything the file could have been decoded from): Kodak24 halved, JPEG 30, `dejpeg` then `sr2x` (first 6
# photos) 26.99 -> 27.03 dB, better on each photo.
BACK_PROJECTION_STEPS = 1
DENOISE_GAIN = 2.0  # the denoiser gets this x the flattest areas' noise level after tone: those areas are often the
# darkest, where brightened noise is weakest. Chosen on Grocery Store val (10 photos, -2 EV + a phone's noise):
# 1.0 / 1.5 / 2.0 / 2.5 x gave 22.50 / 22.67 / 22.81 / 22.72 dB
ENSEMBLE = 4  # self-ensemble copies (Restorer.ensemble) of the local stages for a photo to be enlarged: on
# Grocery val thumbnails (174 px, JPEG 30, to 348 px) 1 / 4 / 8 copies gave 28.844 / 28.892 / 28.893 dB
ENSEMBLE_PIXELS = 500_000  # ... when the photo has at most this many pixels: four times the model time is seconds there
ENSEMBLE_STAGES = ("dejpeg", "upscale", "denoise")  # the stages whose models are local and gain from it (tone is
# global); denoise at sigma 25 on Grocery val: 31.25 / 31.49 / 31.53 dB with 1 / 4 / 8 copies
DETAIL_KEPT = 0.5  # share of the textured areas' detail (high-pass variance less the noise's) a denoise must keep


@dataclass
class Step:
    stage: str
    done: bool
    why: str  # what was measured: why it ran and what its check found, or why it was skipped
    planned: bool = False  # only planned (`plan_only`): nothing was run


@dataclass
class FixReport:
    """What `fix` found in a photo, what it did and what it skipped, with the measurements behind each."""

    found: dict
    steps: list[Step] = field(default_factory=list)
    size_in: tuple[int, int] = (0, 0)  # width, height
    size_out: tuple[int, int] = (0, 0)

    @property
    def done(self) -> list[str]:
        return [s.stage for s in self.steps if s.done]

    @property
    def skipped(self) -> list[Step]:
        return [s for s in self.steps if not s.done]

    def summary(self) -> str:
        """One line: the stages done (or planned), or that nothing was needed."""
        if self.steps and all(s.planned for s in self.steps):
            return "plan: " + " -> ".join(s.stage for s in self.steps)
        if self.done:
            return " -> ".join(self.done)
        return "nothing done" if self.steps else "nothing needed"

    def found_text(self) -> str:
        """The findings a plan is made from, in a few words."""
        f = self.found
        quality = f"JPEG quality {f['jpeg_quality']}" if f.get("jpeg_quality") else f"blocking {f['blockiness']:.2f}"
        return (f"{f['width']}x{f['height']}, brightest 1 % at {f['brightest']:.2f}, noise {f['noise']:.1f} levels "
                f"({f['noise_method']}), {quality}")

    def as_dict(self) -> dict:
        return {"found": self.found, "done": self.done, "steps": [asdict(s) for s in self.steps],
                "size_in": list(self.size_in), "size_out": list(self.size_out)}


@dataclass
class Plan:
    findings: Findings
    noise: float  # 8-bit levels
    noise_method: str  # "PCA", "flat" or "low-frequency PCA" (`measure_noise`)
    stages: list[tuple[str, str]]  # (stage, why), in the order they run
    notes: list[str]  # found but deliberately not acted on
    compressed: bool = False  # a JPEG (file quality or blocking): its pixels are not the scene's exactly
    grid_quality: int | None = None  # the quality the pixels sit on the grid of (saved once, not resized since)


def measure_noise(photo: Tensor, compressed: bool) -> tuple[float, str]:
    """Noise level of (3, H, W) in 8-bit levels, and how it was measured. Uncompressed: PCA of the patch spectrum
    (`estimate_noise_pca`: texture cannot raise it). Compressed: JPEG empties the spectrum's tail, so the lower of
    the flattest areas' level (texture raises it when the photo has no flat area) and the low-frequency PCA (texture
    raises it a little): Kodak24 at -2 EV with a phone's noise reads 6-7.5, clean Kodak24 photos 1-3.8, a frame
    filled with limes 2.8 (the flat level alone read 9.3 there). Known gap: a gray photo's colour directions hold
    no variance, so both PCA estimates read 0 and its noise is not found (measured on one channel instead, the PCA
    read texture as 3-13 levels on clean gray Kodak24 photos: a miss is the harmless error)."""
    if compressed:
        flat, low = (float(f(photo[None])) * 255 for f in (estimate_noise_flat, estimate_noise_lowfreq))
        return min(flat, low), "flat" if flat <= low else "low-frequency PCA"
    return float(estimate_noise_pca(photo[None])) * 255, "PCA"


def make_plan(photo: Tensor, quality: int | None = None, min_size: int | None = None) -> Plan:
    """The stages a (3, H, W) photo in [0, 1] needs; `quality`: its JPEG file's quality when it came from one (else
    read from the pixels, `nets.jpeg.estimate_quality`, when they sit on a JPEG grid)."""
    found = analyse(photo)
    estimated, score = estimate_quality(photo[None])
    grid_quality = estimated if score < ON_GRID and estimated < 100 else None
    quality = grid_quality if quality is None else quality  # no file: read it from the pixels
    found.jpeg_quality = quality
    compressed = quality is not None or found.blockiness > COMPRESSED
    noise, method = measure_noise(photo, compressed)
    stages, notes = [], []
    short = min(found.width, found.height)
    enlarged = bool(min_size and short < min_size)
    if quality is not None and quality <= (JPEG_QUALITY_ENLARGED if enlarged else JPEG_QUALITY):
        stages.append(("dejpeg", f"a JPEG saved at quality {quality}" + (" (to be enlarged)" if enlarged else "")))
    elif found.blockiness > BLOCKY:
        stages.append(("dejpeg", f"JPEG blocking {found.blockiness:.2f} (1 = none)"))
    if found.brightest < DARK:
        stages.append(("tone", f"underexposed: brightest 1 % at {found.brightest:.2f} of white"))
    if noise > NOISY and not any(s == "dejpeg" for s, _ in stages):
        stages.append(("denoise", f"noise {noise:.1f} levels ({method})"))
    if enlarged:
        factor = min(MAX_UPSCALE, min_size / short)
        stages.append(("upscale", f"short side {short} px under --min-size {min_size}: x{factor:.2f}"))
        if min_size / short > MAX_UPSCALE:
            notes.append(f"x{min_size / short:.1f} needed for --min-size {min_size}; enlarged x{MAX_UPSCALE}, the most the model does")
    return Plan(found, noise, method, stages, notes, compressed, grid_quality)


def psnr(a: Tensor, b: Tensor) -> float:
    return float(10 * torch.log10(1 / F.mse_loss(a, b).clamp_min(1e-10)))


def block_detail(photo: Tensor, block: int = 16) -> Tensor:
    """(h, w) high-pass variance (8-bit units) of each 16 px block of a (3, H, W) photo."""
    high = photo - gaussian_blur(photo[None], 2.0)[0]
    h, w = photo.shape[1] // block, photo.shape[2] // block
    blocks = high[:, : h * block, : w * block].unfold(1, block, block).unfold(2, block, block)
    return blocks.flatten(-2).var(-1).mean(0) * 255 ** 2


class Fixer:
    """Runs plans (`make_plan`) with the shipped models, loaded on first use. `models` overrides the model of a stage
    (a shipped name, an exported .safetensors, a checkpoint, or a `Restorer`); `min_size`: the short side wanted, in
    pixels (None: no upscaling); `ensemble`: self-ensemble copies for JPEG repair and upscaling (1, 2, 4 or 8;
    None: ENSEMBLE for small photos to be enlarged, `ensemble_for`)."""

    def __init__(self, device: str | torch.device = "cpu", min_size: int | None = None,
                 models: dict[str, str | Restorer] | None = None,
                 tile: int = TILE, overlap: int = OVERLAP, half: bool | None = None, ensemble: int | None = None):
        unknown = set(models or {}) - set(STAGES)
        if unknown:
            raise ValueError(f"unknown fix stage(s) {', '.join(sorted(unknown))}; stages: {', '.join(STAGES)}")
        if min_size is not None and min_size < 1:
            raise ValueError(f"--min-size must be a positive number of pixels, got {min_size}")
        if ensemble not in (None, 1, 2, 4, 8):
            raise ValueError(f"--ensemble must be 1, 2, 4 or 8 copies, got {ensemble}")
        self.ensemble = ensemble
        self.device, self.min_size, self.tile, self.overlap, self.half = torch.device(device), min_size, tile, overlap, half
        self.models = {**MODELS, **(models or {})}
        self._loaded: dict[str, Restorer | str] = {}  # a restorer, or why there is none
        self.quality: int | None = None  # the JPEG quality of the photos `__call__` gets (the API reads a file's)
        self.reports: list[FixReport] = []  # what `__call__` did, one report per photo, newest last

    # what `lightning_gan.api.Model` needs of a restorer
    name = "fix"
    scale = 1
    use_mask = False

    def restorer(self, stage: str, spec: str | Restorer | None = None) -> Restorer | str:
        """The stage's restorer (or `spec`'s, for that stage), loaded on first use, or why there is none."""
        spec = self.models[stage] if spec is None else spec
        key = stage if spec is self.models[stage] else f"{stage}:{spec}"
        if key not in self._loaded:
            if isinstance(spec, Restorer):
                self._loaded[key] = spec
            elif spec in (*MODELS.values(), UPSCALE_X2, UPSCALE_X2_JPEG) and spec not in pretrained_names():
                self._loaded[key] = f"no `{spec}` model is shipped with this version"
            else:
                try:
                    self._loaded[key] = load_restorer(spec, self.device, half=self.half)
                except ModelError as error:
                    self._loaded[key] = str(error)
        return self._loaded[key]

    def upscaler(self, x: Tensor, quality: int | None = None) -> str | Restorer:
        """The model that enlarges (3, H, W) `x` to `min_size`, when no other upscaler was asked for: for a factor of
        2 or less the x2 one trained on JPEGs when `x` is a JPEG of `quality` JPEG_QUALITY_ENLARGED or less, else the
        x2 one, each when it is shipped; else the stage's."""
        if self.models["upscale"] != MODELS["upscale"] or not self.min_size or self.min_size / min(x.shape[1:]) > 2:
            return self.models["upscale"]
        shipped = pretrained_names()
        if quality is not None and quality <= JPEG_QUALITY_ENLARGED and UPSCALE_X2_JPEG in shipped:
            return UPSCALE_X2_JPEG
        return UPSCALE_X2 if UPSCALE_X2 in shipped else self.models["upscale"]

    def __call__(self, photos: Tensor, mask: Tensor | None = None, tile: int | None = None, overlap: int | None = None) -> Tensor:
        """(B, 3, H, W) -> fixed photos (the Python API's restorer interface); photos that end at different sizes
        are refused in one batch."""
        if mask is not None:
            raise ModelError("fix does not inpaint: use --model inpaint with a mask")
        fixed = []
        for photo in photos:
            out, report = self.fix(photo, self.quality)
            fixed.append(out.to(photos.device))
            self.reports.append(report)
        if len({tuple(f.shape) for f in fixed}) > 1:
            raise ModelError("fix enlarged these photos to different sizes: give them one at a time")
        return torch.stack(fixed)

    def fix(self, photo: Tensor, quality: int | None = None, plan_only: bool = False) -> tuple[Tensor, FixReport]:
        """One (3, H, W) photo in [0, 1] -> the fixed photo and its report; `quality`: its JPEG file's quality."""
        photo = photo.float().clamp(0, 1).cpu()
        plan = make_plan(photo, quality, self.min_size)
        found = {**plan.findings.as_dict(), "noise": round(plan.noise, 2), "noise_method": plan.noise_method,
                 "notes": plan.notes}
        report = FixReport(found, size_in=(photo.shape[2], photo.shape[1]))
        x = photo
        planned = [stage for stage, _ in plan.stages]
        for stage, why in plan.stages:
            if plan_only:
                report.steps.append(Step(stage, False, why, planned=True))
                continue
            upscaler = self.upscaler(x, plan.findings.jpeg_quality) if "upscale" in planned else None
            restorer = self.restorer(stage, upscaler if stage == "upscale" else None)
            if stage == "dejpeg" and "upscale" in planned:  # a repair trained with the upscaler repairs what it enlarges
                own = self.repair_of(self.restorer("upscale", upscaler))
                if own is not None and own.name != self.dejpeg_name:
                    restorer, why = own, f"{why}; with {own.name}"
            if isinstance(restorer, str):
                report.steps.append(Step(stage, False, f"{why}; skipped: {restorer}"))
                continue
            if stage == "upscale" and "dejpeg" in report.done and self.repair_of(restorer) is not None:
                restorer = restorer.alone()  # an upscaler trained behind JPEG repair: the repair is not done twice
            copies = self.ensemble_for(photo, planned) if stage in ENSEMBLE_STAGES else 1
            if copies > 1 and restorer.can_ensemble:
                restorer = replace(restorer, ensemble=copies)
            extra = {"exact": not plan.compressed, "jpeg": file_cells(photo, plan, report)} if stage == "upscale" else {}
            x, step = getattr(self, f"_{stage}")(x, restorer, why, **extra)
            if step.done and restorer.ensemble > 1:
                step.why += f"; mean of {restorer.ensemble} flipped copies"
            report.steps.append(step)
        report.size_out = (x.shape[2], x.shape[1])
        return x, report

    def ensemble_for(self, photo: Tensor, planned: list[str]) -> int:
        """Self-ensemble copies for this photo's JPEG repair and upscaling: the `ensemble` asked for, else ENSEMBLE
        for a photo of at most ENSEMBLE_PIXELS that will be enlarged (its model time is small, and every gain is
        enlarged with it), else 1."""
        if self.ensemble is not None:
            return self.ensemble
        small = photo.shape[-2] * photo.shape[-1] <= ENSEMBLE_PIXELS
        return ENSEMBLE if "upscale" in planned and small else 1

    def repair_of(self, upscaler: Restorer | str) -> Restorer | None:
        """The JPEG repair `upscaler` was trained behind (its `before`): the `dejpeg` stage's model, or a copy of it
        trained with the upscaler (named `upscaler/dejpeg`), which then repairs the photos it will enlarge."""
        before, dejpeg = getattr(upscaler, "before", None), self.dejpeg_name
        if before is None or not (before.name == dejpeg or before.name.endswith(f"/{dejpeg}")):
            return None
        return before

    @property
    def dejpeg_name(self) -> str:
        spec = self.models["dejpeg"]
        return spec.name if isinstance(spec, Restorer) else spec

    def _run(self, restorer: Restorer, x: Tensor) -> Tensor:
        out = restorer(x[None], tile=self.tile, overlap=self.overlap)[0].cpu()
        if not torch.isfinite(out).all():
            raise ModelError(f"{restorer.name} produced NaN or infinite values for this image; nothing was written")
        return out

    def _dejpeg(self, x: Tensor, restorer: Restorer, why: str) -> tuple[Tensor, Step]:
        out = self._run(restorer, x)
        before, after = blockiness(x), blockiness(out)
        if after > max(before, 1.05):
            return x, Step("dejpeg", False, f"{why}; undone: blocking rose {before:.2f} -> {after:.2f}")
        return out, Step("dejpeg", True, f"{why}; blocking {before:.2f} -> {after:.2f}")

    def _tone(self, x: Tensor, restorer: Restorer, why: str) -> tuple[Tensor, Step]:
        out = self._run(restorer, x)
        gain = float(luma_of(out[None]).mean() / luma_of(x[None]).mean().clamp_min(1e-4))
        clipped_in, clipped_out = ((t.amax(0) >= 254.5 / 255).float().mean() * 100 for t in (x, out))
        if clipped_out - clipped_in > NEW_CLIPPING:
            return x, Step("tone", False, f"{why}; undone: {clipped_out - clipped_in:.2f} % of pixels newly clipped")
        if gain < 1.02:
            return x, Step("tone", False, f"{why}; undone: the model did not brighten it (x{gain:.2f})")
        return out, Step("tone", True, f"{why}; brightness x{gain:.2f}")

    def _denoise(self, x: Tensor, restorer: Restorer, why: str) -> tuple[Tensor, Step]:
        noise = float(estimate_noise_flat(x[None])) * 255  # after tone
        method = f"{DENOISE_GAIN:g} x the flat areas' level"
        if noise <= NOISY:
            return x, Step("denoise", False, f"{why}; skipped: {noise:.1f} levels after the earlier stages")
        if restorer.set_noise_level is not None:
            restorer.set_noise_level(DENOISE_GAIN * noise / 255)
        try:
            out = self._run(restorer, x)
        finally:
            if restorer.set_noise_level is not None:
                restorer.set_noise_level(None)
        before = block_detail(x)
        textured = before >= torch.quantile(before.flatten(), 0.75)  # the most detailed quarter of the blocks
        wanted = DETAIL_KEPT * max(float(before[textured].mean()) - noise ** 2, 0.0)
        kept = float(block_detail(out)[textured].mean())
        if kept < wanted:
            return x, Step("denoise", False, f"{why}; undone: it removed detail, not only noise "
                                             f"(textured variance {kept:.0f}, wanted >= {wanted:.0f})")
        return out, Step("denoise", True, f"{why}; given {DENOISE_GAIN * noise:.1f} levels ({method} after tone)")

    def _upscale(self, x: Tensor, restorer: Restorer, why: str, exact: bool = True,
                 jpeg: tuple[Tensor, int] | None = None) -> tuple[Tensor, Step]:
        """`exact`: the photo's pixels are the scene's (not a JPEG), so the result is back-projected onto them.
        `jpeg`: the file's pixels and quality (`file_cells`), onto whose quantisation cells a compressed photo's
        result is back-projected instead."""
        height, width = x.shape[1:]
        factor = min(MAX_UPSCALE, self.min_size / min(height, width))
        size = (round(height * factor), round(width * factor))
        bicubic = enlarge(x, size).clamp(0, 1)
        out = self._run(restorer, x)
        if out.shape[1:] != size:
            out = shrink(out, size)  # the model's x4 down to the size asked for (factor <= MAX_UPSCALE)
        agreement = psnr(shrink(out, (height, width)), x)
        if agreement < BACK_PROJECTION_DB:
            return bicubic, Step("upscale", True, f"{why}; bicubic: {restorer.name} shrunk back matched the photo "
                                                   f"only to {agreement:.1f} dB")
        steps = BACK_PROJECTION_STEPS if exact or jpeg else 0
        for _ in range(steps):
            small = shrink(out, (height, width))
            target = x if exact else jpeg_consistent(small[None], jpeg[0][None], jpeg[1])[0]
            out = (out + enlarge(target - small, size)).clamp(0, 1)
        projected = (f"{steps} back-projection step(s)" if exact else
                     f"{steps} back-projection step(s) onto the quantisation cells of its JPEG (quality {jpeg[1]})" if jpeg
                     else "not back-projected onto a compressed photo")
        return out, Step("upscale", True, f"{why}; {restorer.name}, shrunk back {agreement:.1f} dB from the photo, {projected}")


def file_cells(photo: Tensor, plan: Plan, report: FixReport) -> tuple[Tensor, int] | None:
    """The photo's pixels and the quality they were saved at, when an upscale may be projected onto that file's
    quantisation cells: they sit on a JPEG grid (saved once, not resized or cropped since) and no stage but JPEG
    repair changed them (tone moves every value off the file's)."""
    if plan.grid_quality is None or any(stage != "dejpeg" for stage in report.done):
        return None
    return photo, plan.grid_quality


def enlarge(x: Tensor, size: tuple[int, int]) -> Tensor:
    """(3, H, W) resized up to `size` with bicubic (the classical enlargement)."""
    return F.interpolate(x[None], size=size, mode="bicubic", align_corners=False)[0]


def shrink(x: Tensor, size: tuple[int, int]) -> Tensor:
    """(3, H, W) resized down to `size` with antialiased bicubic (how a photo is made small)."""
    return F.interpolate(x[None], size=size, mode="bicubic", antialias=True, align_corners=False)[0].clamp(0, 1)


def file_quality(path) -> int | None:
    """The JPEG quality a file was saved at (its quantisation tables; only the header is read), or None."""
    from PIL import Image

    from lightning_gan.inference.analysis import jpeg_quality

    try:
        with Image.open(path) as image:
            return jpeg_quality(image) if image.format == "JPEG" else None
    except OSError:
        return None


def fix_rgb(fixer: Fixer, rgb, quality: int | None = None):
    """An RGB PIL photo through `fixer`: (uint8 H x W x 3 array, FixReport)."""
    import numpy as np

    photo = torch.from_numpy(np.asarray(rgb).copy()).permute(2, 0, 1).float() / 255
    fixed, report = fixer.fix(photo, quality)
    return (fixed.permute(1, 2, 0).numpy() * 255 + 0.5).clip(0, 255).astype(np.uint8), report
