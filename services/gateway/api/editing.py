"""The editor's request body (POST /api/v1/images/{id}/edit) and its wire form. Ranges are checked
here for a 422 that names the field; whether a crop lies inside the image is the generation
service's check against the stored source (also a 422, with the box and the image's size)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from atelier.generation.v1 import generation_pb2

MAX_OPERATIONS = 20
MIN_FACTOR = 0.25
MAX_FACTOR = 2.0
# Past any image the platform makes (2048 px a side at most): a larger box is a 422 here, before it
# could overflow the wire's int32.
MAX_COORDINATE = 4096


class _Operation(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


class Crop(_Operation):
    op: Literal["crop"]
    x: int = Field(ge=0, le=MAX_COORDINATE, description="left edge, px")
    y: int = Field(ge=0, le=MAX_COORDINATE, description="top edge, px")
    width: int = Field(ge=1, le=MAX_COORDINATE)
    height: int = Field(ge=1, le=MAX_COORDINATE)


class Rotate(_Operation):
    op: Literal["rotate"]
    degrees: Literal[90, 180, 270] = Field(description="clockwise")


class Flip(_Operation):
    op: Literal["flip"]
    axis: Literal["horizontal", "vertical"] = Field(description="horizontal mirrors left-right")


class Brightness(_Operation):
    op: Literal["brightness"]
    factor: float = Field(ge=MIN_FACTOR, le=MAX_FACTOR, strict=False, description="1 leaves it unchanged")


class Contrast(_Operation):
    op: Literal["contrast"]
    factor: float = Field(ge=MIN_FACTOR, le=MAX_FACTOR, strict=False, description="1 leaves it unchanged")


Operation = Annotated[Crop | Rotate | Flip | Brightness | Contrast, Field(discriminator="op")]


class EditCreate(BaseModel):
    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "operations": [
                        {"op": "crop", "x": 64, "y": 64, "width": 384, "height": 384},
                        {"op": "rotate", "degrees": 90},
                        {"op": "brightness", "factor": 1.2},
                    ]
                }
            ]
        },
    )

    operations: list[Operation] = Field(
        min_length=1,
        max_length=MAX_OPERATIONS,
        description="applied in order; a crop's box is in the pixels of the image as the operations before it left it",
    )


def operations_to_proto(operations: list[Operation]) -> list[generation_pb2.EditOperation]:
    messages = []
    for operation in operations:
        if isinstance(operation, Crop):
            box = generation_pb2.CropBox(x=operation.x, y=operation.y, width=operation.width, height=operation.height)
            messages.append(generation_pb2.EditOperation(crop=box))
        elif isinstance(operation, Rotate):
            messages.append(generation_pb2.EditOperation(rotate_degrees=operation.degrees))
        elif isinstance(operation, Flip):
            messages.append(generation_pb2.EditOperation(flip=operation.axis))
        elif isinstance(operation, Brightness):
            messages.append(generation_pb2.EditOperation(brightness=operation.factor))
        else:
            messages.append(generation_pb2.EditOperation(contrast=operation.factor))
    return messages
