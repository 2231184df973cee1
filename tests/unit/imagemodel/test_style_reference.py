"""The style reference's palette transfer: colours move toward the reference's by the strength, and
the shape the prompt asked for stays readable (every edge is kept)."""

from __future__ import annotations

import numpy as np

from imagemodel import captions, evaluate, style


def test_the_palette_moves_toward_the_reference_with_the_strength_and_the_shape_stays() -> None:
    image = evaluate.remix_source("circle", "red", "blue", "centre", size=64)
    reference = evaluate.remix_source("square", "yellow", "purple", "left", size=64)
    spec = captions.parse("a red circle on a blue background")

    distances = [style.palette_distance(style.transfer_palette(image, reference, s), reference) for s in (0, 0.5, 1)]

    assert distances[0] > distances[1] > distances[2]
    assert distances[2] < 0.5 * distances[0]
    for strength in (0.5, 1.0):
        moved = style.transfer_palette(image, reference, strength)
        assert evaluate.score(evaluate.measure(moved), spec)["shape"]


def test_a_flat_reference_moves_the_background_and_keeps_the_shape() -> None:
    image = evaluate.remix_source("star", "white", "green", "centre", size=64)
    flat = np.full((16, 16, 3), 90, dtype=np.uint8)
    moved = style.transfer_palette(image, flat, 1.0)
    assert evaluate.measure(moved).shape == "star"
    assert np.array_equal(moved[0, 0], [90, 90, 90])


def test_a_stronger_style_redraws_less_of_the_schedule() -> None:
    assert style.composition_strength(0.0) == style.MOST_REDRAWN
    assert style.composition_strength(1.0) == style.LEAST_REDRAWN
    assert style.composition_strength(0.5) > style.composition_strength(0.8)
