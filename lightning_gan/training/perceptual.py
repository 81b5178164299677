"""Perceptual loss on VGG19 features, with weights read from the local torch hub cache only (nothing is downloaded)."""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
import torchvision
from torch import Tensor, nn

VGG19_FILE = "vgg19-dcbb9e9d.pth"  # torchvision's IMAGENET1K_V1 weights
VGG19_URL = f"https://download.pytorch.org/models/{VGG19_FILE}"
RELU3_4 = 18  # vgg19.features[:18] ends at relu3_4 (SRGAN/ESRGAN use deeper layers; at 64x64 crops relu3_4 keeps 16x16 maps)


class MissingWeightsError(FileNotFoundError):
    pass


def vgg19_path() -> Path:
    return Path(torch.hub.get_dir()) / "checkpoints" / VGG19_FILE


def load_vgg19_features(layers: int = RELU3_4) -> nn.Sequential:
    """The first `layers` modules of VGG19's feature extractor, ImageNet weights from the hub cache, frozen."""
    path = vgg19_path()
    if not path.is_file():
        raise MissingWeightsError(
            f"perceptual loss needs torchvision's VGG19 weights at {path}, and nothing is downloaded at run time. "
            f"Copy {VGG19_URL} there (e.g. on a machine with internet: python -c \"import torchvision; "
            f"torchvision.models.vgg19(weights='IMAGENET1K_V1')\", then copy ~/.cache/torch/hub/checkpoints/{VGG19_FILE}), "
            "or train without it: --model.perceptual_weight 0"
        )
    features = torchvision.models.vgg19(weights=None).features[:layers]
    state = torch.load(path, map_location="cpu", weights_only=True)
    wanted = {k.removeprefix("features."): v for k, v in state.items() if k.startswith("features.")}
    missing = set(features.state_dict()) - set(wanted)
    if missing:
        raise MissingWeightsError(f"{path} lacks VGG19 feature weights {sorted(missing)}; re-download {VGG19_URL}")
    features.load_state_dict({k: wanted[k] for k in features.state_dict()})
    return features.eval().requires_grad_(False)


class PerceptualLoss(nn.Module):
    """L1 between VGG19 features of two images in [-1, 1] (Johnson et al., "Perceptual Losses for Real-Time Style
    Transfer and Super-Resolution", ECCV 2016)."""

    def __init__(self, layers: int = RELU3_4):
        super().__init__()
        self.features = load_vgg19_features(layers)
        self.register_buffer("mean", torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1))

    def train(self, mode: bool = True) -> PerceptualLoss:
        super().train(mode)
        self.features.eval()  # frozen feature extractor: always inference mode
        return self

    def forward(self, fake: Tensor, real: Tensor) -> Tensor:
        def embed(x: Tensor) -> Tensor:
            return self.features(((x + 1) / 2 - self.mean) / self.std)

        return F.l1_loss(embed(fake), embed(real).detach())
