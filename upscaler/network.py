"""The 2x super-resolution network: an ESPCN-style residual over bicubic, and how to run it.

Three convolutions in low resolution, then a pixel shuffle to 2x; the network only learns the
correction to a bicubic upsample, so an untrained network is already bicubic. Replicate padding
keeps the borders free of dark seams.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import load_file
from torch import nn

SCALE = 2
WEIGHTS_FILE = Path(__file__).parent / "weights" / "upscaler.safetensors"


class Upscaler(nn.Module):
    def __init__(self, channels: int = 48) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(3, channels, 5, padding=2, padding_mode="replicate"),
            nn.PReLU(channels),
            nn.Conv2d(channels, channels, 3, padding=1, padding_mode="replicate"),
            nn.PReLU(channels),
            nn.Conv2d(channels, 3 * SCALE * SCALE, 3, padding=1, padding_mode="replicate"),
        )
        correction = self.body[-1]
        assert isinstance(correction, nn.Conv2d) and correction.bias is not None
        nn.init.zeros_(correction.weight)
        nn.init.zeros_(correction.bias)
        self.shuffle = nn.PixelShuffle(SCALE)

    def forward(self, low: torch.Tensor) -> torch.Tensor:
        """low: (n, 3, h, w) in [0, 1] -> (n, 3, 2h, 2w), not clipped (training wants the gradient)."""
        base = F.interpolate(low, scale_factor=SCALE, mode="bicubic", align_corners=False)
        return base + self.shuffle(self.body(low))


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def load(weights: Path = WEIGHTS_FILE) -> Upscaler:
    """The shipped (or given) weights, in eval mode. Offline: reads one local file."""
    model = Upscaler()
    model.load_state_dict(load_file(str(weights)))
    return model.eval()


def upscale(model: Upscaler, image: np.ndarray) -> np.ndarray:
    """uint8 (h, w, 3) -> uint8 (2h, 2w, 3)."""
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"the image must be uint8 of shape (height, width, 3), got {image.dtype} {image.shape}")
    low = torch.from_numpy(np.array(image)).permute(2, 0, 1)[None].float() / 255.0
    with torch.inference_mode():
        high = model(low).clamp(0.0, 1.0)
    return (high[0].permute(1, 2, 0) * 255.0).round().to(torch.uint8).numpy()
