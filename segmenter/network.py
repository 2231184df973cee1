"""The foreground segmenter: a small U-Net at a fixed working size, and how to cut an image out.

Any image is resized to WORK_SIZE square, the network gives a foreground probability per pixel,
and the probability is resized back to the image: the world's images are drawn at 32-64 px and
served upsampled, so the working size loses nothing they hold. Alpha is a ramp on the probability
(0 below ALPHA_FLOOR, 255 above ALPHA_CEILING) so that the background is exactly transparent and
the edge stays anti-aliased.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import load_file
from torch import nn

WORK_SIZE = 64
WEIGHTS_FILE = Path(__file__).parent / "weights" / "segmenter.safetensors"
ALPHA_FLOOR = 0.3
ALPHA_CEILING = 0.7


def block(inputs: int, outputs: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(inputs, outputs, 3, padding=1, padding_mode="replicate"),
        nn.BatchNorm2d(outputs),
        nn.ReLU(inplace=True),
        nn.Conv2d(outputs, outputs, 3, padding=1, padding_mode="replicate"),
        nn.BatchNorm2d(outputs),
        nn.ReLU(inplace=True),
    )


class Segmenter(nn.Module):
    """Three scales (64, 32, 16 px at the working size), skip connections, one logit per pixel."""

    def __init__(self, width: int = 8) -> None:
        super().__init__()
        self.down1 = block(3, width)
        self.down2 = block(width, 2 * width)
        self.bottom = block(2 * width, 3 * width)
        self.up2 = block(3 * width + 2 * width, 2 * width)
        self.up1 = block(2 * width + width, width)
        self.head = nn.Conv2d(width, 1, 1)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """image: (n, 3, h, w) in [0, 1], h and w multiples of 4 -> logits (n, 1, h, w)."""
        first = self.down1(image)
        second = self.down2(F.max_pool2d(first, 2))
        bottom = self.bottom(F.max_pool2d(second, 2))
        second = self.up2(torch.cat([F.interpolate(bottom, scale_factor=2.0), second], dim=1))
        first = self.up1(torch.cat([F.interpolate(second, scale_factor=2.0), first], dim=1))
        return self.head(first)


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def load(weights: Path = WEIGHTS_FILE) -> Segmenter:
    """The shipped (or given) weights, in eval mode. Offline: reads one local file."""
    model = Segmenter()
    model.load_state_dict(load_file(str(weights)))
    return model.eval()


def check_rgb(image: np.ndarray) -> None:
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"the image must be uint8 of shape (height, width, 3), got {image.dtype} {image.shape}")


def foreground(model: nn.Module, image: np.ndarray) -> np.ndarray:
    """uint8 (h, w, 3) -> float32 (h, w): the probability that each pixel belongs to an object."""
    check_rgb(image)
    height, width = image.shape[:2]
    pixels = torch.from_numpy(np.array(image)).permute(2, 0, 1)[None].float() / 255.0
    with torch.inference_mode():
        small = F.interpolate(pixels, size=(WORK_SIZE, WORK_SIZE), mode="area")
        probability = torch.sigmoid(model(small))
        full = F.interpolate(probability, size=(height, width), mode="bilinear", align_corners=False)
    return full[0, 0].numpy()


def alpha_from(probability: np.ndarray) -> np.ndarray:
    """float (h, w) probability -> uint8 (h, w) alpha: 0 for background, 255 for the object."""
    ramp = np.clip((probability - ALPHA_FLOOR) / (ALPHA_CEILING - ALPHA_FLOOR), 0.0, 1.0)
    return np.round(ramp * 255.0).astype(np.uint8)


def cut_out(image: np.ndarray, probability: np.ndarray) -> np.ndarray:
    """uint8 (h, w, 3) and its foreground probability -> uint8 (h, w, 4) RGBA, the background transparent."""
    return np.concatenate([image, alpha_from(probability)[..., None]], axis=2)


def remove_background(model: nn.Module, image: np.ndarray) -> np.ndarray:
    """uint8 (h, w, 3) -> uint8 (h, w, 4): the image with alpha 0 where its background was."""
    return cut_out(image, foreground(model, image))
