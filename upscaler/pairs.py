"""(low, high) training and evaluation pairs drawn from the procedural world.

The high image is a world render at twice the size; the low one is its 2x2 area average, the filter
the image pipeline shrinks with (imagemodel.pipelines.resize_rgb), so the model learns to undo the
degradation it will actually meet.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from imagemodel import world

LOW_SIZES = (24, 32, 48, 64)


def shrink(high: np.ndarray) -> np.ndarray:
    height, width = high.shape[:2]
    return np.asarray(Image.fromarray(high).resize((width // 2, height // 2), Image.Resampling.BOX))


def pair(rng: np.random.Generator, low_size: int) -> tuple[np.ndarray, np.ndarray]:
    high = world.render(world.sample_scene(rng), size=2 * low_size)
    return shrink(high), high


def pairs(seed: int, count: int, low_sizes: tuple[int, ...] = LOW_SIZES) -> list[tuple[np.ndarray, np.ndarray]]:
    """count pairs, cycling through low_sizes; the same seed gives the same pairs."""
    rng = np.random.default_rng(seed)
    return [pair(rng, low_sizes[i % len(low_sizes)]) for i in range(count)]
