"""Two image-to-image generators trained end to end as one (a tool's pipeline of stages)."""

from __future__ import annotations

from torch import Tensor, nn


class Cascade(nn.Module):
    """(B, 3, H, W) in [-1, 1] -> `second(first(x))`: an earlier stage of a pipeline (e.g. `dejpeg`'s network, JPEG
    repair at the small size) and the model after it (e.g. `sr2x`), trained together so that the final output's
    loss reaches the earlier stage too: the repair learns to keep what the upscaler needs instead of what scores at
    the small size. The first stage's output is clamped to [-1, 1] as a whole photo between two restorers would be.
    Loaded for inference, the two run as separate restorers (`Restorer.before`), so a pipeline such as `fix` can put
    other stages (tone, denoise) between them."""

    def __init__(self, first: nn.Module, second: nn.Module):
        super().__init__()
        self.first, self.second = first, second

    def forward(self, x: Tensor) -> Tensor:
        if x.shape[1] != 3:
            raise ValueError(f"a cascade takes the photo's 3 channels, got {x.shape[1]} (no mask or noise map)")
        return self.second(self.first(x).clamp(-1, 1))
