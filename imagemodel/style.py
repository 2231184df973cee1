"""Style reference: a reference image's palette and composition conditioning a generation.

Composition: the generation starts from the reference noised to `composition_strength(style)` (the
remix path of every pipeline, `init_image`/`strength`), so its layout shows through where the prompt
leaves room. Palette: the result's dominant colours are moved toward the reference's, largest to
largest, by the style strength (`transfer_palette`): one shift per colour keeps every edge, so the
shape the prompt asked for stays readable.

`palette_distance` is the figure the evaluator and the tests use: the symmetric mean distance, in RGB
units, between the two images' dominant colours, weighted by how much of each image they cover.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

PALETTE_COLOURS = 6
# The image-to-image strength at style strength 1 and 0: even the strongest style leaves the prompt
# most of the schedule. At 0.6 (the remix default) the procedural pipeline's blend still shows the
# reference's shape, which the evaluator then reads instead of the prompt's; from 0.8 it reads the
# prompt's at every style strength, and the palette does the rest (README, "Style reference").
LEAST_REDRAWN = 0.8
MOST_REDRAWN = 1.0
# Colours of an image nearer than this (RGB units) are one colour of its palette (a noisy background).
SAME_COLOUR = 48.0


def composition_strength(style_strength: float) -> float:
    """The image-to-image strength the generation starts from the reference with."""
    return round(MOST_REDRAWN - (MOST_REDRAWN - LEAST_REDRAWN) * style_strength, 6)


def transfer_palette(images: np.ndarray, reference: np.ndarray, amount: float) -> np.ndarray:
    """images uint8 (n, h, w, 3) (or one (h, w, 3)) with their colours moved `amount` (0..1) of the way
    to the reference's palette: each image's dominant colours, largest first, take the reference's,
    largest first (background to background, object to object); a colour near one already matched
    moves with it, so a noisy background moves as one. A shift per colour keeps every edge."""
    if images.ndim == 3:
        return transfer_palette(images[np.newaxis], reference, amount)[0]
    targets, _ = dominant_colours(reference)
    return np.stack([_moved(image, targets, amount) for image in images])


def _moved(image: np.ndarray, targets: np.ndarray, amount: float) -> np.ndarray:
    quantised = Image.fromarray(image).quantize(colors=PALETTE_COLOURS, method=Image.Quantize.MEDIANCUT)
    palette = np.asarray((quantised.getpalette() or [])[: 3 * PALETTE_COLOURS], dtype=np.float32).reshape(-1, 3)
    index = np.asarray(quantised)
    counts = np.bincount(index.ravel(), minlength=len(palette))
    shifts = np.zeros_like(palette)
    matched: list[int] = []
    next_target = 0
    for colour in np.argsort(-counts, kind="stable"):
        if counts[colour] == 0:
            break
        near = [m for m in matched if np.linalg.norm(palette[m] - palette[colour]) < SAME_COLOUR]
        if near:
            shifts[colour] = shifts[near[0]]
        elif next_target < len(targets):
            shifts[colour] = targets[next_target] - palette[colour]
            next_target += 1
        matched.append(int(colour))
    moved = image.astype(np.float32) + amount * shifts[index]
    return np.clip(np.round(moved), 0, 255).astype(np.uint8)


def dominant_colours(image: np.ndarray, count: int = PALETTE_COLOURS) -> tuple[np.ndarray, np.ndarray]:
    """(colours float (k, 3), weights (k,) summing to 1), largest first: the image quantised to `count`
    colours."""
    quantised = Image.fromarray(image).quantize(colors=count, method=Image.Quantize.MEDIANCUT)
    palette = np.asarray((quantised.getpalette() or [])[: 3 * count], dtype=np.float32).reshape(-1, 3)
    counts = np.bincount(np.asarray(quantised).ravel(), minlength=len(palette)).astype(np.float32)
    order = [colour for colour in np.argsort(-counts, kind="stable") if counts[colour] > 0]
    return palette[order], counts[order] / counts.sum()


def palette_distance(image: np.ndarray, reference: np.ndarray) -> float:
    """Symmetric, coverage-weighted mean RGB distance between the two images' dominant colours."""
    colours, weights = dominant_colours(image)
    ref_colours, ref_weights = dominant_colours(reference)
    distances = np.linalg.norm(colours[:, None, :] - ref_colours[None, :, :], axis=2)
    there = float((distances.min(axis=1) * weights).sum())
    back = float((distances.min(axis=0) * ref_weights).sum())
    return (there + back) / 2
