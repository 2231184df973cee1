"""Actions on an image of mine: each starts a job of the generation service on the image, watched
like any generation (GET /api/v1/generations/{id}, its events), charged the catalogue's price.

Only the owner acts on an image: another user's image, public or private, a deleted or unknown one
answers the same 404 as every image endpoint. The result inherits the image's privacy (a
derivative of a private image is private) and records it as its lineage. Refusals charge nothing:
a plan without the action 403 with the plan's words, a source over the size limit 422.
"""

from fastapi import APIRouter, Request, Response, status

from atelier.generation.v1 import generation_pb2
from services.gateway.api.access import NOT_FOUND_RESPONSE
from services.gateway.api.editing import EditCreate, operations_to_proto
from services.gateway.api.image_actions import start_action
from services.gateway.api.schemas import GenerationAccepted, IdempotencyKey
from services.gateway.api.submission import SUBMIT_RESPONSES
from services.gateway.auth.security import CurrentCaller

router = APIRouter(prefix="/api/v1", tags=["generations"])


@router.post(
    "/images/{image_id}/upscale",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=GenerationAccepted,
    summary="Upscale one of my images 2x",
    responses={
        **NOT_FOUND_RESPONSE,
        **SUBMIT_RESPONSES,
        403: {"description": "the plan does not include upscaling (basic and up); the detail says which plan does"},
        422: {"description": "the image is over 1024 px a side (an upscale of an upscale past that)"},
    },
    description="Starts a job that makes a new image of exactly twice the width and height, with the "
    "same prompt; watch it like a generation. No body. The result is as private as the image is "
    "when the job starts, and names it as `source_image_id`. `Idempotency-Key` repeats safely.",
)
async def upscale(
    image_id: str,
    caller: CurrentCaller,
    request: Request,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> GenerationAccepted:
    return await start_action(
        image_id,
        caller,
        request,
        response,
        idempotency_key,
        generation_pb2.GenerationParams(kind=generation_pb2.JOB_KIND_UPSCALE),
    )


@router.post(
    "/images/{image_id}/describe",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=GenerationAccepted,
    summary="Suggest prompts for one of my images",
    responses={**NOT_FOUND_RESPONSE, **SUBMIT_RESPONSES},
    description="Starts a job that reads the image and answers up to four prompts that would draw "
    "it, best first, in the job's `suggestions` (GET /api/v1/generations/{id}); no image is made. "
    "Every plan; the catalogue's price. No body. `Idempotency-Key` repeats safely.",
)
async def describe(
    image_id: str,
    caller: CurrentCaller,
    request: Request,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> GenerationAccepted:
    return await start_action(
        image_id,
        caller,
        request,
        response,
        idempotency_key,
        generation_pb2.GenerationParams(kind=generation_pb2.JOB_KIND_DESCRIBE),
    )


@router.post(
    "/images/{image_id}/edit",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=GenerationAccepted,
    summary="Edit one of my images: crop, rotate, flip, brightness, contrast",
    responses={
        **NOT_FOUND_RESPONSE,
        **SUBMIT_RESPONSES,
        403: {"description": "the plan does not include the editor (basic and up); the detail says which plan does"},
        422: {"description": "an unknown operation, a value out of range, or a crop outside the image"},
    },
    description="Starts a job that applies the operations in order and saves the result as a new "
    "image (the source is kept); watch it like a generation. Rotation is clockwise; brightness and "
    "contrast are factors from 0.25 to 2 (1 leaves the image unchanged). The result is as private as "
    "the image is when the job starts, and names it as `source_image_id`. `Idempotency-Key` repeats "
    "safely.",
)
async def edit(
    image_id: str,
    body: EditCreate,
    caller: CurrentCaller,
    request: Request,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> GenerationAccepted:
    params = generation_pb2.GenerationParams(
        kind=generation_pb2.JOB_KIND_EDIT, edit_operations=operations_to_proto(body.operations)
    )
    return await start_action(image_id, caller, request, response, idempotency_key, params)
