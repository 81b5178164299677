"""`EnhancementGAN`: what every image-to-image variant shares (enhance, denoise, inpaint, super-resolve, colorize)."""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torchvision.utils import make_grid

from lightning_gan.evaluation.metrics import fidelity_metrics, lpips_metric
from lightning_gan.inference.families import RestorationRules
from lightning_gan.models.base import AdversarialModule
from lightning_gan.models.warm_start import generator_weights, load_grown, trainable_generator, warm_start  # noqa: F401  (the first two: old import path)
from lightning_gan.nets.cascade import Cascade
from lightning_gan.nets.io import estimate_noise, to_signed  # noqa: F401  (estimate_noise: its old import path)
from lightning_gan.training.losses import feature_matching_loss, weighted_l1


def enlarge(image: Tensor, size: tuple[int, int]) -> Tensor:
    """Bicubic resize to `size` (no-op when already there): puts a low-resolution input beside its target."""
    if tuple(image.shape[-2:]) == tuple(size):
        return image
    return F.interpolate(image, size=size, mode="bicubic", align_corners=False)


class EnhancementGAN(RestorationRules, AdversarialModule):
    """A generator that takes the degraded photo (plus the damage mask when `use_mask`) and a conditional patch
    discriminator that judges (degraded, candidate) pairs, as in pix2pix. Loss G = adversarial_weight * adversarial
    + l1_weight * L1 (hole pixels count 1 + hole_weight) + the variant's `extra_losses`.

    Validation logs PSNR/SSIM of the output (`val/psnr`, `val/ssim`) and of the degraded input, bicubically enlarged
    for super-resolution (`val/psnr_input`, `val/ssim_input`), and a degraded / enhanced / clean grid.

    Args:
        scale: output size / input size (super-resolution: match the downscale preset).
        use_mask: the damage mask is a fourth input channel (inpainting).
        prefill_holes: with a mask, the generator refines a diffusion fill of the hole instead of the raw stain.
        noise_map: a fifth input channel holds the photo's noise level, estimated from the photo itself (FFDNet,
            Zhang et al., TIP 2018, with a blind estimate): one model covers weak and strong noise, and
            `noise_strength` (`enhance --strength`) turns the denoising down or up.
        noise_estimator: how the noise map's level is estimated, in training and at inference (on the whole photo):
            "haar" (`nets.io.estimate_noise`, the finest wavelet detail: fur and foliage read as 5-12 levels of
            noise) or "blind" (`nets.io.estimate_noise_blind`: flat areas and low-frequency PCA, 1-4 levels on
            clean textured photos, right on JPEG-compressed noise).
        noise_floor: inference, noise-map models: a photo whose estimated level (on the whole photo) is under this
            many 8-bit levels is returned unchanged, a guarantee that clean photos are left alone (0 = off; set in
            the shipped card, chosen on validation photos).
        l1_weight: weight of the L1 reconstruction loss.
        hole_weight: extra L1 weight inside the mask (pixel weight 1 + hole_weight).
        adversarial_weight: weight of the adversarial loss.
        feature_matching_weight: weight of the L1 between the discriminator's features of the output and of the
            clean photo (needs the `patch` discriminator; 0 = off).
        grid_images: images in the validation grid.
        monitor: the metric that picks the best checkpoint (val/lpips needs the AlexNet weights in the hub cache).
        jpeg_consistency: inference: move the output's luma back into the JPEG quantisation cells of the input,
            whose quality is read from its pixels (`lightning_gan.nets.jpeg`; JPEG repair): the result is one the
            file could have come from, and a high-quality JPEG can barely be changed. Inputs that are not JPEGs as
            saved are left to the network.
        init_from: warm start (fresh runs only; a resume restores its checkpoint instead): the generator weights of
            a shipped model name, an exported .safetensors, or a checkpoint. A tensor whose input channels grew (the
            head conv, when a noise map or mask channel is added) keeps the source's weights in its leading channels
            and zeros in the new ones, so the warm-started generator computes exactly what the source did.
        input_model: a shipped model name or exported file that every degraded input (training, validation, test)
            goes through first, frozen and never saved with this model: the stage before this one in a cascade
            (`dejpeg` before `sr2x` in `fix`), so the model learns the inputs it will be given there. The loaded
            model runs it first too (`Restorer.before`); `fix`, which repairs a JPEG itself, runs the model alone.
        train_input_model: train `input_model`'s network together with this one instead of keeping it frozen (a
            `Cascade`, end to end: the final output's loss reaches the earlier stage, so the repair keeps what the
            upscaler needs). Its fine-tuned weights are saved with this model and are the earlier stage it runs when
            loaded; the shipped `input_model` gives only its starting weights (and the card its architecture).
    """

    def __init__(self, scale: int = 1, use_mask: bool = False, prefill_holes: bool = True, noise_map: bool = False,
                 noise_estimator: Literal["haar", "blind"] = "haar", noise_floor: float = 0.0, l1_weight: float = 100.0,
                 hole_weight: float = 0.0, adversarial_weight: float = 1.0, feature_matching_weight: float = 0.0,
                 grid_images: int = 8,
                 monitor: Literal["val/psnr", "val/ssim", "val/lpips"] = "val/psnr", init_from: str | None = None,
                 jpeg_consistency: bool = False, input_model: str | None = None, train_input_model: bool = False,
                 **kwargs):
        super().__init__(**kwargs)
        if train_input_model and not input_model:
            raise ValueError("--model.train_input_model needs --model.input_model (the stage to train with this model)")
        self.init_from, self.jpeg_consistency, self.input_model = init_from, jpeg_consistency, input_model
        self.train_input_model = train_input_model
        self._input_restorer: list = []  # the loaded input model; kept out of the state dict and the optimizers
        self.monitor = (monitor, "min" if monitor == "val/lpips" else "max")
        self._lpips: list = []  # LPIPS network when monitored; kept out of the state dict
        if monitor == "val/lpips":
            lpips, note = lpips_metric()
            if lpips is None:
                raise ValueError(f"--model.monitor val/lpips: {note}")
            self._lpips.append(lpips)
        self.scale, self.use_mask, self.prefill_holes, self.noise_map = scale, use_mask, prefill_holes, noise_map
        self.noise_estimator, self.noise_floor = noise_estimator, noise_floor
        self.noise_strength = 1.0  # inference only: multiplies the estimated noise level
        self.noise_level: float | None = None  # inference only: a measured level (sigma, 0-1 units) for the estimate
        self.l1_weight, self.hole_weight, self.adversarial_weight = l1_weight, hole_weight, adversarial_weight
        self.feature_matching_weight = feature_matching_weight
        self.grid_images = grid_images
        self.val_output = fidelity_metrics()
        self.val_input = fidelity_metrics("_input")

    def set_networks(self, generator: nn.Module, discriminator: nn.Module) -> None:
        if self.train_input_model:
            generator = Cascade(trainable_generator(self.input_model), generator)
        if self.feature_matching_weight and not hasattr(discriminator, "features"):
            raise ValueError("--model.feature_matching_weight needs a discriminator with features (patch), "
                             f"not {type(discriminator).__name__}")
        super().set_networks(generator, discriminator)

    def on_fit_start(self) -> None:
        if self.init_from and self.trainer.ckpt_path is None:
            warm_start(self, self.init_from)
        super().on_fit_start()

    def through_input_model(self, batch: dict) -> dict:
        """The batch with its degraded images passed through `input_model` (loaded on first use), or as it is."""
        if self.input_model is None or self.train_input_model:  # a trained earlier stage is in the generator
            return batch
        degraded = batch["degraded"]
        if not self._input_restorer:
            from lightning_gan.inference.loading import load_restorer  # inference imports models: load late

            self._input_restorer.append(load_restorer(self.input_model, degraded.device, half=False))
        restored = self._input_restorer[0](degraded.float(), tile=max(degraded.shape[-2:]))
        return {**batch, "degraded": restored.to(degraded.dtype)}  # training_step sets the memory format after this

    def training_step(self, batch: dict, batch_idx: int) -> None:
        return super().training_step(self.through_input_model(batch), batch_idx)

    def generate(self, batch: dict) -> Tensor:
        return self.generator(self.network_input(batch["degraded"], batch.get("mask")))

    def _pair(self, batch: dict, image: Tensor) -> Tensor:
        return torch.cat([enlarge(to_signed(batch["degraded"]), image.shape[-2:]), image], dim=1)

    @property
    def trains_discriminator(self) -> bool:
        return bool(self.adversarial_weight or self.feature_matching_weight)

    def _judge(self, batch: dict, image: Tensor) -> Tensor:
        return self.discriminator(self._pair(batch, image))

    # --- losses ------------------------------------------------------------------------------------
    def d_loss(self, batch: dict, fake: Tensor) -> tuple[Tensor, dict]:
        return self.adversarial_d(self._judge(batch, to_signed(batch["clean"])), self._judge(batch, fake))

    def extra_losses(self, fake: Tensor, real: Tensor) -> dict[str, Tensor]:
        """Weighted extra generator loss terms of a variant, by name."""
        return {}

    def g_loss(self, batch: dict, fake: Tensor) -> tuple[Tensor, dict]:
        real = to_signed(batch["clean"])
        mask = batch.get("mask")
        weight = None if mask is None or not self.hole_weight else 1 + self.hole_weight * mask
        terms = {"g_l1": self.l1_weight * weighted_l1(fake, real, weight), **self.extra_losses(fake, real)}
        if self.feature_matching_weight:
            logits, fake_features = self.discriminator.features(self._pair(batch, fake))
            with torch.no_grad():
                _, real_features = self.discriminator.features(self._pair(batch, real))
            terms["g_fm"] = self.feature_matching_weight * feature_matching_loss(fake_features, real_features)
        elif self.adversarial_weight:
            logits = self._judge(batch, fake)
        if self.adversarial_weight:
            terms["g_adv"] = self.adversarial_weight * self.g_criterion(logits)
        return sum(terms.values()), {k: v.detach() for k, v in terms.items()}

    # --- evaluation --------------------------------------------------------------------------------
    def validation_step(self, batch: dict, batch_idx: int) -> None:
        self._evaluate(batch, batch_idx, "val")

    def test_step(self, batch: dict, batch_idx: int) -> None:
        self._evaluate(batch, batch_idx, "test")

    def on_validation_epoch_end(self) -> None:
        self._log_fidelity("val")

    def on_test_epoch_end(self) -> None:
        self._log_fidelity("test")

    def _evaluate(self, batch: dict, batch_idx: int, stage: str) -> None:
        batch = self.through_input_model(batch)
        clean = batch["clean"]
        enhanced = self.enhance(batch["degraded"], batch.get("mask"))
        if enhanced.shape != clean.shape:
            raise ValueError(f"output {tuple(enhanced.shape)} does not match the clean images {tuple(clean.shape)}: "
                             f"does --model.scale ({self.scale}) match the degradation preset?")
        before = enlarge(batch["degraded"], clean.shape[-2:]).clamp(0, 1)
        _, logs = self.adversarial_d(self._judge(batch, to_signed(clean)), self._judge(batch, to_signed(enhanced)))
        self.log_dict({f"{stage}/{k}": v for k, v in logs.items()}, batch_size=len(clean))
        self.val_output.update(enhanced, clean)
        if self._lpips:
            self._lpips[0].to(clean.device).update(to_signed(enhanced), to_signed(clean))
        self.val_input.update(before, clean)
        if batch_idx == 0:
            n = min(self.grid_images, len(clean))
            self.log_grid(f"{stage}_degraded_enhanced_clean", make_grid(torch.cat([before[:n], enhanced[:n], clean[:n]]), nrow=n))

    def _log_fidelity(self, stage: str) -> None:
        self.log_dict({f"{stage}/{k}": v for k, v in self.val_output.compute().items()}, prog_bar=True)
        self.log_dict({f"{stage}/{k}": v for k, v in self.val_input.compute().items()})
        self.val_output.reset()
        self.val_input.reset()
        if self._lpips:
            self.log(f"{stage}/lpips", self._lpips[0].compute())
            self._lpips[0].reset()
