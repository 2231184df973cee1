"""Background actions on an image of mine (api/image_actions.py holds what every image action shares):
remove the background, a PNG with an alpha channel."""

from fastapi import APIRouter, Request, Response, status

from atelier.generation.v1 import generation_pb2
from services.gateway.api.access import NOT_FOUND_RESPONSE
from services.gateway.api.image_actions import start_action
from services.gateway.api.schemas import GenerationAccepted, IdempotencyKey
from services.gateway.api.submission import SUBMIT_RESPONSES
from services.gateway.auth.security import CurrentCaller

router = APIRouter(prefix="/api/v1", tags=["generations"])


@router.post(
    "/images/{image_id}/remove-background",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=GenerationAccepted,
    summary="Remove the background of one of my images",
    responses={
        **NOT_FOUND_RESPONSE,
        **SUBMIT_RESPONSES,
        403: {"description": "the plan does not include editing (basic and up); the detail says which plan does"},
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
