"""Image quality figures: PSNR and SSIM (Gaussian window, as Wang et al. 2004), on uint8 RGB."""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter


def psnr(reference: np.ndarray, image: np.ndarray) -> float:
    mse = float(np.mean((reference.astype(np.float64) - image.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10.0 * np.log10(255.0**2 / mse)


def ssim(reference: np.ndarray, image: np.ndarray) -> float:
    """Mean SSIM over channels (sigma 1.5, K1 0.01, K2 0.03)."""
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    scores = []
    for channel in range(reference.shape[2]):
        x = reference[..., channel].astype(np.float64)
        y = image[..., channel].astype(np.float64)
        mx, my = gaussian_filter(x, 1.5), gaussian_filter(y, 1.5)
        vx = gaussian_filter(x * x, 1.5) - mx * mx
        vy = gaussian_filter(y * y, 1.5) - my * my
        cov = gaussian_filter(x * y, 1.5) - mx * my
        score = ((2 * mx * my + c1) * (2 * cov + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
        scores.append(float(score.mean()))
    return float(np.mean(scores))
