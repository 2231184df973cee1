"""Init images for remix tests, and how far an image is from one."""

import numpy as np


def mean_abs_difference(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(float) - b.astype(float)).mean())


def two_halves(width: int = 64, height: int = 64) -> np.ndarray:
    """An init image no prompt would draw: orange left half, cyan right half."""
    image = np.zeros((height, width, 3), np.uint8)
    image[:, : width // 2] = (250, 140, 20)
    image[:, width // 2 :] = (20, 200, 210)
    return image
