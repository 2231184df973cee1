"""Canvas actions on an image of mine: magic fill (a painted mask redrawn to a prompt) and extend
(the canvas grown on one side, the new area drawn). Each starts a job of the generation service on
the image, watched like any generation, charged the catalogue's price, on every plan.

As for every action (api/image_actions.py): only the owner acts on an image, anything else is the same
404; the result inherits the image's privacy and names it as its lineage; refusals charge nothing.
The mask and the limits are checked by the generation service against the image (422 in its words).
"""

from __future__ import annotations

import base64
import binascii
from typing import Literal

from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from atelier.generation.v1 import generation_pb2
from services.gateway.api.access import NOT_FOUND_RESPONSE
from services.gateway.api.image_actions import start_action
from services.gateway.api.schemas import GenerationAccepted, IdempotencyKey
from services.gateway.api.submission import SUBMIT_RESPONSES
from services.gateway.auth.security import CurrentCaller
from services.gateway.problems import Problem

router = APIRouter(prefix="/api/v1", tags=["generations"])

DATA_URL_PREFIX = "data:image/png;base64,"


class _Request(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


class FillRequest(_Request):
    prompt: str = Field(min_length=1, max_length=1000, description="what to draw in the painted region")
    mask: str = Field(
        min_length=1,
        description="a PNG of the image's exact size, base64 (a data:image/png;base64, URL too): white (or "
        "any light, opaque pixel) where to draw, black or transparent where the image is kept",
    )


class ExtendRequest(_Request):
    direction: Literal["left", "right", "up", "down"] = Field(description="the side the canvas grows on")
    pixels: int = Field(
        default=0,
        ge=0,
        le=1024,  # the result's limit a side: anything more is refused here, before it overflows the wire's int32
        description="by how many px, a multiple of 8, at most the image's side that way (2x); the result at "
        "most 1024 px a side. 0: half the image's side",
    )
    prompt: str = Field(default="", max_length=1000, description="what the new area shows; empty: the image's prompt")


def mask_bytes(mask: str) -> bytes:
    text = mask.removeprefix(DATA_URL_PREFIX)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise Problem(422, "mask: is not base64: send a PNG, base64-encoded") from None


@router.post(
    "/images/{image_id}/fill",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=GenerationAccepted,
    summary="Magic fill: redraw a painted region of one of my images to a prompt",
    responses={
        **NOT_FOUND_RESPONSE,
        **SUBMIT_RESPONSES,
        422: {"description": "no prompt; the mask is not an image, is empty or not the image's size"},
    },
    description="Starts a job that draws the prompt in the mask's white region and keeps every other "
    "pixel exactly; the result has the image's size. Watch it like a generation (progress with "
    "previews). The result is as private as the image is when the job starts, and names it as "
    "`source_image_id`. `Idempotency-Key` repeats safely.",
)
async def fill(
    image_id: str,
    body: FillRequest,
    caller: CurrentCaller,
    request: Request,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> GenerationAccepted:
    params = generation_pb2.GenerationParams(
        kind=generation_pb2.JOB_KIND_FILL, prompt=body.prompt, mask_png=mask_bytes(body.mask)
    )
    return await start_action(image_id, caller, request, response, idempotency_key, params)


@router.post(
    "/images/{image_id}/extend",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=GenerationAccepted,
    summary="Extend one of my images: grow the canvas on one side and draw the new area",
    responses={
        **NOT_FOUND_RESPONSE,
        **SUBMIT_RESPONSES,
        422: {"description": "a direction or size beyond the limit (the image's side, 1024 px a side)"},
    },
    description="Starts a job that makes a larger image: the original unchanged at its offset, the new "
    "strip drawn to the prompt (the image's own by default). Watched, private and idempotent as fill.",
)
async def extend(
    image_id: str,
    body: ExtendRequest,
    caller: CurrentCaller,
    request: Request,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> GenerationAccepted:
    params = generation_pb2.GenerationParams(
        kind=generation_pb2.JOB_KIND_EXTEND,
        prompt=body.prompt,
        extend_direction=body.direction,
        extend_pixels=body.pixels,
    )
    return await start_action(image_id, caller, request, response, idempotency_key, params)
