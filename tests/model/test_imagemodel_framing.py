"""Wide and tall frames composed in the trained square (imagemodel.framing): the square placed by the
side the prompt asks for, the frame drawn around it, previews counted as one run."""

import numpy as np
import pytest

from imagemodel import pipelines
from imagemodel.evaluate import ASPECT_SIZES, at_evaluation_scale, measure
from imagemodel.framing import Framing, TwoPassProgress, in_frame, settled_offset, square_offset

SHIPPED_WEIGHTS = pipelines.DEFAULT_WEIGHTS / "model.safetensors"
needs_weights = pytest.mark.skipif(not SHIPPED_WEIGHTS.exists(), reason=f"no shipped weights at {SHIPPED_WEIGHTS}")


@pytest.mark.parametrize(
    ("places", "frame", "offset"),
    [
        (["left"], (56, 32), (0, 0)),
        (["right"], (56, 32), (24, 0)),
        (["centre"], (56, 32), (12, 0)),
        ([None], (56, 32), (12, 0)),
        (["top"], (56, 32), (12, 0)),  # along the short axis the square fills the frame already
        (["left", "right"], (56, 32), (12, 0)),  # two objects: the square's own left and right
        (["top"], (32, 56), (0, 0)),
        (["bottom"], (32, 56), (0, 24)),
        (["right"], (32, 56), (0, 12)),
        (["bottom", "top"], (32, 56), (0, 12)),
        (["right"], (44, 32), (12, 0)),
    ],
)
def test_the_square_sits_at_the_side_the_prompt_asks_for(places, frame, offset) -> None:
    assert square_offset(places, 32, *frame) == offset


def test_a_square_is_shown_at_its_place_on_its_background_not_its_edge_carried_out() -> None:
    square = np.full((2, 4, 4, 3), 50, np.uint8)
    square[0, 1:3, 3] = 200  # an object touching the right edge
    square[1] = 90

    framed = in_frame(square, left=3, top=0, width=10, height=4)

    assert framed.shape == (2, 4, 10, 3)
    assert np.array_equal(framed[:, :, 3:7], square)
    assert (framed[0, :, 7:] == 50).all() and (framed[0, :, :3] == 50).all()
    assert (framed[1] == 90).all()


def test_the_frame_starts_from_its_squares_and_draws_only_around_them() -> None:
    squares = np.stack([np.full((32, 32, 3), value, np.uint8) for value in (0, 255)])
    frame = Framing(squares, ((24, 0), (12, 0)))

    pixels, fill = frame.pixels(56, 32), frame.fill(56, 32)

    assert pixels.shape == (2, 3, 32, 56) and fill.shape == (2, 1, 32, 56)
    assert (pixels[0] == -1).all() and (pixels[1] == 1).all()  # each seed its own square, on its background
    assert (fill[0, :, :, 24:] == 0).all() and (fill[0, :, :, :24] == 1).all()
    assert (fill[1, :, :, 12:44] == 0).all() and (fill[1, :, :, :12] == 1).all() and (fill[1, :, :, 44:] == 1).all()


@pytest.mark.parametrize(
    ("frame", "rows", "columns", "planned", "settled"),
    [
        ((56, 32), slice(12, 20), slice(0, 20), (12, 0), (0, 0)),  # reaches the left: against the left edge
        ((56, 32), slice(12, 20), slice(14, 32), (0, 0), (24, 0)),  # reaches the right, whatever was planned
        ((56, 32), slice(0, 32), slice(8, 24), (24, 0), (24, 0)),  # reaches neither side: as planned
        ((56, 32), slice(12, 20), slice(0, 32), (12, 0), (12, 0)),  # reaches both: as planned
        ((32, 56), slice(20, 32), slice(0, 32), (0, 12), (0, 24)),  # tall: reaches the bottom
        ((32, 56), slice(0, 9), slice(8, 24), (0, 24), (0, 0)),  # tall: reaches the top
    ],
)
def test_a_square_whose_object_reaches_a_side_goes_against_the_frames_edge(
    frame, rows, columns, planned, settled
) -> None:
    square = np.full((32, 32, 3), 30, np.uint8)
    square[rows, columns] = 220
    assert settled_offset(square, planned, *frame) == settled


def test_two_passes_preview_as_one_run_counted_out_of_the_callers_steps() -> None:
    seen: list[tuple[int, int]] = []
    progress = TwoPassProgress(lambda step, total, previews: seen.append((step, total)), 10, 10, 5)
    first, second = progress.first(lambda previews: previews), progress.second()
    assert first is not None and second is not None

    for step in range(1, 10):
        first(step, 10, np.zeros(1))
    for step in range(1, 5):
        second(step, 5, np.zeros(1))

    steps = [step for step, _ in seen]
    assert steps == sorted(set(steps)) and 1 <= steps[0] and steps[-1] == 9  # 14 of 15 passes' steps
    assert {total for _, total in seen} == {10}
    assert TwoPassProgress(None, 10, 10, 5).first(lambda previews: previews) is None


@needs_weights
@pytest.mark.parametrize(
    ("aspect_ratio", "prompts"),
    [
        (
            "16:9",
            [
                "a medium red star in the centre on a white background",
                "a big blue circle at the top on a yellow background",
                "a green square at the bottom, black backdrop",
            ],
        ),
        (
            "9:16",
            [
                "a small orange triangle in the middle of a purple background",
                "a purple circle on the left on a white background",
                "a large white star on the right on blue",
            ],
        ),
    ],
)
def test_a_place_asked_for_in_a_wide_or_tall_frame_is_where_the_object_is(aspect_ratio, prompts) -> None:
    pipeline = pipelines.load_pipeline("tiny-diffusion")
    width, height = ASPECT_SIZES[aspect_ratio]
    right = []
    for prompt in prompts:
        asked = pipeline.places(prompt)[0]
        images = pipeline.generate(prompt, "", [3, 4], 20, 1.25, width, height)
        right += [measure(at_evaluation_scale(image)).position == asked for image in images]
    # Sampled at the frame's shape directly, the model draws where it would in a square at one end of
    # the long axis: these read 2 (16:9) and 1 (9:16) of 6 at the place asked for.
    assert sum(right) >= 5, right


@needs_weights
def test_the_frame_keeps_the_square_as_composed_and_previews_at_the_frames_shape() -> None:
    pipeline = pipelines.load_pipeline("tiny-diffusion")
    prompt, seeds, previews = "a green triangle on the right on a white background", [8, 9], []

    framed = pipeline.generate(prompt, "", seeds, 10, 1.25, 56, 32, on_preview=lambda *call: previews.append(call))
    square = pipeline.generate(prompt, "", seeds, 10, 1.25, 32, 32)

    assert framed.shape == (2, 32, 56, 3)
    assert np.array_equal(framed[:, :, 24:], square)
    assert all(shown.shape == (2, 32, 56, 3) and total == 10 for _, total, shown in previews)
    assert [step for step, _, _ in previews] == sorted({step for step, _, _ in previews})
    assert [measure(image).position for image in framed] == ["right", "right"]
