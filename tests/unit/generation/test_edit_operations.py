"""The editor's operations: checked from the wire with words naming the rule, sizes followed through
the operations, and pixels exactly Pillow's."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageEnhance

from atelier.generation.v1 import generation_pb2
from services.generation import edit_operations
from services.generation.requests import InvalidRequest

Op = generation_pb2.EditOperation


def test_operations_round_trip_through_the_wire_and_storage() -> None:
    wire = [
        Op(crop=generation_pb2.CropBox(x=1, y=2, width=3, height=4)),
        Op(rotate_degrees=270),
        Op(flip="vertical"),
        Op(brightness=1.2),
        Op(contrast=0.5),
    ]
    stored = edit_operations.from_proto(wire)
    assert stored == (
        {"crop": [1, 2, 3, 4]},
        {"rotate": 270},
        {"flip": "vertical"},
        {"brightness": 1.2},
        {"contrast": 0.5},
    )
    assert edit_operations.from_proto(edit_operations.to_proto(stored)) == stored


@pytest.mark.parametrize(
    ("operation", "words"),
    [
        (Op(), "unknown operation"),
        (Op(rotate_degrees=45), "90, 180 or 270"),
        (Op(flip="diagonal"), "'horizontal' or 'vertical'"),
        (Op(brightness=2.5), "brightness must be between 0.25 and 2.0"),
        (Op(contrast=0.1), "contrast must be between 0.25 and 2.0"),
        (Op(crop=generation_pb2.CropBox(x=-1, y=0, width=3, height=3)), "x, y >= 0"),
    ],
)
def test_each_bad_operation_is_refused_naming_the_rule(operation: Op, words: str) -> None:
    with pytest.raises(InvalidRequest, match="edit_operations\\[0\\]") as refused:
        edit_operations.from_proto([operation])
    assert words in str(refused.value)


def test_no_operations_or_too_many_are_refused() -> None:
    with pytest.raises(InvalidRequest, match="at least one"):
        edit_operations.from_proto([])
    with pytest.raises(InvalidRequest, match="at most 20"):
        edit_operations.from_proto([Op(rotate_degrees=90)] * 21)


def test_sizes_follow_the_operations_and_a_crop_must_lie_inside_the_image_as_it_is_then() -> None:
    assert edit_operations.result_size(512, 288, [{"rotate": 90}]) == (288, 512)
    assert edit_operations.result_size(512, 288, [{"rotate": 90}, {"crop": [0, 0, 288, 500]}]) == (288, 500)
    with pytest.raises(InvalidRequest, match="goes outside the 512x288 px image"):
        edit_operations.result_size(512, 288, [{"crop": [0, 0, 288, 500]}])


def test_pixels_are_pillows_and_rotation_is_clockwise() -> None:
    rng = np.random.default_rng(3)
    source = rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)
    operations = [
        {"crop": [1, 1, 6, 4]},
        {"rotate": 90},
        {"flip": "horizontal"},
        {"brightness": 1.3},
        {"contrast": 0.7},
    ]

    result = edit_operations.apply(source, operations)

    expected = Image.fromarray(source).crop((1, 1, 7, 5)).rotate(-90, expand=True)
    expected = expected.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    expected = ImageEnhance.Contrast(ImageEnhance.Brightness(expected).enhance(1.3)).enhance(0.7)
    assert result.shape == (6, 4, 3)
    assert np.array_equal(result, np.asarray(expected))
    # Clockwise: the top-left pixel ends top-right.
    assert np.array_equal(edit_operations.apply(source, [{"rotate": 90}])[0, -1], source[0, 0])
