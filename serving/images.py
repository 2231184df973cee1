"""The check every image-taking Triton model makes before it runs its network."""

from __future__ import annotations

import numpy as np


def check_image(image: np.ndarray, min_side: int, max_side: int) -> None:
    """Raises ValueError, with words for the caller, when the image is not RGB uint8 of a size the
    model takes."""
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"IMAGE must be UINT8 [height, width, 3], got {image.dtype} {list(image.shape)}")
    height, width = image.shape[:2]
    if not (min_side <= height <= max_side and min_side <= width <= max_side):
        raise ValueError(f"IMAGE must be {min_side} to {max_side} px a side, got {width}x{height}")
