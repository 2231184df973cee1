"""Background actions on an image of mine (api/image_actions.py holds what every image action shares):
remove the background (a PNG with an alpha channel), or replace it (the object kept, the rest drawn
to a prompt)."""

from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from atelier.generation.v1 import generation_pb2
from services.gateway.api.access import NOT_FOUND_RESPONSE, OpenApiResponses
from services.gateway.api.image_actions import start_action
from services.gateway.api.schemas import GenerationAccepted, IdempotencyKey
from services.gateway.api.submission import SUBMIT_RESPONSES
from services.gateway.auth.security import CurrentCaller

router = APIRouter(prefix="/api/v1", tags=["generations"])

NEEDS_EDIT: OpenApiResponses = {
    403: {"description": "the plan does not include editing (basic and up); the detail says which plan does"}
}


@router.post(
    "/images/{image_id}/remove-background",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=GenerationAccepted,
    summary="Remove the background of one of my images",
    responses={
        **NOT_FOUND_RESPONSE,
        **SUBMIT_RESPONSES,
        **NEEDS_EDIT,
        422: {"description": "the image is over 2048 px a side"},
    },
    description="Starts a job that makes a new image of the same size: a PNG with an alpha channel, "
    "transparent (alpha 0) where the background was, the objects kept as they are. No body. Watch it "
    "like a generation. The result is as private as the image is when the job starts, and names it "
    "as `source_image_id`. `Idempotency-Key` repeats safely.",
)
async def remove_background(
    image_id: str,
    caller: CurrentCaller,
    request: Request,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> GenerationAccepted:
    params = generation_pb2.GenerationParams(kind=generation_pb2.JOB_KIND_REMOVE_BACKGROUND)
    return await start_action(image_id, caller, request, response, idempotency_key, params)


class ReplaceBackgroundRequest(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    prompt: str = Field(min_length=1, max_length=1000, description="the new background, in words")


@router.post(
    "/images/{image_id}/replace-background",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=GenerationAccepted,
    summary="Replace the background of one of my images with one drawn to a prompt",
    responses={
        **NOT_FOUND_RESPONSE,
        **SUBMIT_RESPONSES,
        **NEEDS_EDIT,
        422: {"description": "no prompt; the image is outside 64 to 1024 px a side"},
    },
    description="Starts a job that cuts the object out (as remove-background does) and draws everything "
    "else anew to the prompt: the object's pixels (where the cut-out is wholly opaque) stay exactly as "
    "they are, the result has the image's size. Watch it like a generation (progress with previews). "
    "The result is as private as the image is when the job starts, and names it as `source_image_id`. "
    "`Idempotency-Key` repeats safely.",
)
async def replace_background(
    image_id: str,
    body: ReplaceBackgroundRequest,
    caller: CurrentCaller,
    request: Request,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> GenerationAccepted:
    params = generation_pb2.GenerationParams(kind=generation_pb2.JOB_KIND_REPLACE_BACKGROUND, prompt=body.prompt)
    return await start_action(image_id, caller, request, response, idempotency_key, params)
