"""Resizing image batches (uint8 [n, h, w, 3])."""

from __future__ import annotations

import numpy as np
from PIL import Image


def resize_batch(images: np.ndarray, width: int, height: int) -> np.ndarray:
    if images.shape[1:3] == (height, width):
        return images
    return np.stack([np.asarray(Image.fromarray(image).resize((width, height), Image.LANCZOS)) for image in images])


def shrink_to_fit(images: np.ndarray, max_side: int) -> np.ndarray:
    """Keeps the aspect ratio; never enlarges."""
    height, width = images.shape[1:3]
    scale = max_side / max(height, width)
    if scale >= 1.0:
        return images
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return np.stack([np.asarray(Image.fromarray(image).resize(size, Image.BOX)) for image in images])
