"""The editor's operations: checked from the wire, stored as plain JSON in a generation's params,
and applied to pixels with Pillow, deterministically (the same source and operations give the
same bytes, which is what the API test compares against Pillow itself).

Stored form, one dict per operation, in order: {"crop": [x, y, width, height]}, {"rotate": 90},
{"flip": "horizontal"}, {"brightness": 1.2}, {"contrast": 0.8}. A crop's box and every later
operation are in the pixels of the image as the operations before it left it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from PIL import Image, ImageEnhance

from atelier.generation.v1 import generation_pb2
from services.generation.requests import InvalidRequest

FIELD = "edit_operations"
MAX_OPERATIONS = 20
ROTATIONS = (90, 180, 270)  # clockwise, as CSS rotate() turns the preview
FLIPS = ("horizontal", "vertical")
MIN_FACTOR = 0.25
MAX_FACTOR = 2.0
# Pillow's transpose turns counter-clockwise: a clockwise quarter turn is its ROTATE_270.
_CLOCKWISE = {
    90: Image.Transpose.ROTATE_270,
    180: Image.Transpose.ROTATE_180,
    270: Image.Transpose.ROTATE_90,
}
_FLIP = {"horizontal": Image.Transpose.FLIP_LEFT_RIGHT, "vertical": Image.Transpose.FLIP_TOP_BOTTOM}
_ENHANCERS = {"brightness": ImageEnhance.Brightness, "contrast": ImageEnhance.Contrast}

Operation = dict[str, Any]


def from_proto(operations: Sequence[generation_pb2.EditOperation]) -> tuple[Operation, ...]:
    """The operations as stored; InvalidRequest naming the operation and the rule it breaks (sizes
    are checked against the source by `result_size`)."""
    if not operations:
        raise InvalidRequest(FIELD, "at least one operation is needed (crop, rotate, flip, brightness, contrast)")
    if len(operations) > MAX_OPERATIONS:
        raise InvalidRequest(FIELD, f"at most {MAX_OPERATIONS} operations")
    return tuple(_one(index, operation) for index, operation in enumerate(operations))


def _one(index: int, operation: generation_pb2.EditOperation) -> Operation:
    where = f"{FIELD}[{index}]"
    which = operation.WhichOneof("operation")
    if which == "crop":
        box = operation.crop
        if box.x < 0 or box.y < 0 or box.width < 1 or box.height < 1:
            raise InvalidRequest(where, "a crop needs x, y >= 0 and a width and height of at least 1 px")
        return {"crop": [box.x, box.y, box.width, box.height]}
    if which == "rotate_degrees":
        if operation.rotate_degrees not in ROTATIONS:
            raise InvalidRequest(where, f"rotate takes 90, 180 or 270 degrees, not {operation.rotate_degrees}")
        return {"rotate": operation.rotate_degrees}
    if which == "flip":
        if operation.flip not in FLIPS:
            raise InvalidRequest(where, f"flip is 'horizontal' or 'vertical', not {operation.flip!r}")
        return {"flip": operation.flip}
    if which in _ENHANCERS:
        factor = round(float(getattr(operation, which)), 6)  # float32 on the wire: keep what was meant
        if not (math.isfinite(factor) and MIN_FACTOR <= factor <= MAX_FACTOR):
            raise InvalidRequest(where, f"{which} must be between {MIN_FACTOR} and {MAX_FACTOR} (got {factor:g})")
        return {which: factor}
    raise InvalidRequest(where, "unknown operation: use crop, rotate, flip, brightness or contrast")


def to_proto(operations: Iterable[Operation]) -> list[generation_pb2.EditOperation]:
    messages = []
    for operation in operations:
        [(name, value)] = operation.items()
        if name == "crop":
            x, y, width, height = value
            messages.append(
                generation_pb2.EditOperation(crop=generation_pb2.CropBox(x=x, y=y, width=width, height=height))
            )
        elif name == "rotate":
            messages.append(generation_pb2.EditOperation(rotate_degrees=value))
        else:
            messages.append(generation_pb2.EditOperation(**{name: value}))
    return messages


def result_size(width: int, height: int, operations: Iterable[Operation]) -> tuple[int, int]:
    """The size the operations leave; InvalidRequest for a crop that does not lie inside the image
    as it is at that point."""
    for index, operation in enumerate(operations):
        if "crop" in operation:
            x, y, crop_width, crop_height = operation["crop"]
            if x + crop_width > width or y + crop_height > height:
                raise InvalidRequest(
                    f"{FIELD}[{index}]",
                    f"the crop box {crop_width}x{crop_height} at ({x}, {y}) goes outside the {width}x{height} px image",
                )
            width, height = crop_width, crop_height
        elif operation.get("rotate") in (90, 270):
            width, height = height, width
    return width, height


def apply(pixels: np.ndarray, operations: Iterable[Operation]) -> np.ndarray:
    """uint8 [h, w, 3] in, the edited uint8 [h', w', 3] out."""
    image = Image.fromarray(pixels).convert("RGB")
    for operation in operations:
        [(name, value)] = operation.items()
        if name == "crop":
            x, y, width, height = value
            image = image.crop((x, y, x + width, y + height))
        elif name == "rotate":
            image = image.transpose(_CLOCKWISE[value])
        elif name == "flip":
            image = image.transpose(_FLIP[value])
        else:
            image = _ENHANCERS[name](image).enhance(value)
    return np.asarray(image, dtype=np.uint8)
