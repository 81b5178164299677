"""Inference: the `Restorer` (tiling and blending whole photos), one loader for every tool (`loading`), classical
baselines, photo files with their metadata, generation, translation, analysis and the auto-fix.

The names below are those of the former module `lightning_gan.inference`; they stay importable from here."""

from lightning_gan.inference.loading import (
                                             PRETRAINED_DIR,
                                             UPSCALE_BASELINE,
                                             baseline_restorer,
                                             check_weights,
                                             export_pretrained,
                                             load_checkpoint_model,
                                             load_pretrained_model,
                                             load_restorer,
                                             pretrained_names,
                                             shipped_with,
)
from lightning_gan.inference.restorer import INPAINT_WORKING_SIZE, ModelError, Restorer, fast_inference, global_restorer, tiled

__all__ = ["INPAINT_WORKING_SIZE", "PRETRAINED_DIR", "UPSCALE_BASELINE", "ModelError", "Restorer", "baseline_restorer",
           "check_weights", "export_pretrained", "fast_inference", "global_restorer", "load_checkpoint_model",
           "load_pretrained_model", "load_restorer", "pretrained_names", "shipped_with", "tiled"]
