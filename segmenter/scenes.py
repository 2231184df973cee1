"""World scenes with their foreground masks: what the segmenter learns from and is scored on.

The mask is drawn exactly as imagemodel.world.render draws the image (same geometry, same 4x
supersampling and box filter), so its soft edge is each pixel's true object coverage.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from imagemodel import world

SIZE = 64  # the segmenter's working size (network.WORK_SIZE): world renders at it directly


def render_mask(scene: world.Scene, size: int = SIZE) -> np.ndarray:
    """float32 (size, size) in [0, 1]: how much of each pixel the scene's objects cover."""
    big = size * world.SUPERSAMPLE
    mask = Image.new("L", (big, big), 0)
    draw = ImageDraw.Draw(mask)
    jitter = scene.jitter or (0.0,) * (3 * len(scene.objects))
    for index, obj in enumerate(scene.objects):
        dx, dy, dsize = jitter[3 * index : 3 * index + 3]
        cx, cy, extent = world.object_geometry(obj, (dx, dy, dsize))
        if obj.shape == "circle":
            half = extent / 2
            draw.ellipse([(cx - half) * big, (cy - half) * big, (cx + half) * big, (cy + half) * big], fill=255)
        else:
            draw.polygon([(x * big, y * big) for x, y in world.shape_polygon(obj.shape, cx, cy, extent)], fill=255)
    small = mask.resize((size, size), Image.Resampling.BOX)
    return np.asarray(small, dtype=np.float32) / 255.0


def samples(seed: int, count: int, size: int = SIZE) -> list[tuple[np.ndarray, np.ndarray]]:
    """count (image uint8 (size, size, 3), mask float32 (size, size)) pairs; the same seed, the same pairs."""
    rng = np.random.default_rng(seed)
    scenes = [world.sample_scene(rng) for _ in range(count)]
    return [(world.render(scene, size), render_mask(scene, size)) for scene in scenes]
