"""What the image-model tests share: an init image for remixes, how far an image is from one, and a
generation that records its previews."""

import numpy as np


def mean_abs_difference(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(float) - b.astype(float)).mean())


def two_halves(width: int = 64, height: int = 64) -> np.ndarray:
    """An init image no prompt would draw: orange left half, cyan right half."""
    image = np.zeros((height, width, 3), np.uint8)
    image[:, : width // 2] = (250, 140, 20)
    image[:, width // 2 :] = (20, 200, 210)
    return image


def generate_with_previews(pipeline, seeds, steps=10, width=64, height=48):
    """The images of one prompt and the previews seen on the way: (step, total, batch) each."""
    previews = []
    images = pipeline.generate(
        "a red circle on a blue background",
        "",
        seeds,
        steps,
        3.0,
        width,
        height,
        on_preview=lambda step, total, batch: previews.append((step, total, batch)),
    )
    return images, previews
