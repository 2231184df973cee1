"""New generations from old ones: remix an image (own or public) with a new prompt, retry one of my
generations with the same prompt and options.

Both follow the rules of POST /api/v1/generations (submission.py): the plan decides the visibility,
credits are reserved, the concurrency limit holds, `Idempotency-Key` repeats safely.

Remix: the source must be visible to the requester now (asked of the authority); another user's
private image, a deleted or unknown one answers the same 404 as every image endpoint. The new
generation records the source as its lineage, which GET /api/v1/images/{id} shows to a viewer only
while the source is visible to that viewer.

Retry: the owner's generation only (404 for anyone else); same prompt, negative prompt, size,
palette, magic prompt, steps and visibility as asked then; a new random seed unless the original's
seed was chosen by the user. A retried remix needs its source to be visible still.
"""

from fastapi import APIRouter, Request, Response, status

from atelier.generation.v1 import generation_pb2
from services.gateway.api import submission
from services.gateway.api.access import NOT_FOUND_RESPONSE, own_generation, visible_image
from services.gateway.api.feed_schemas import RemixCreate
from services.gateway.api.schemas import GenerationAccepted, IdempotencyKey
from services.gateway.api.submission import SUBMIT_RESPONSES
from services.gateway.auth.security import CurrentCaller
from services.gateway.clients.visibility import visibility_name
from services.gateway.dependencies import deps_of

router = APIRouter(prefix="/api/v1", tags=["generations"])

# The generation service's sizes: width / height of each aspect ratio.
_RATIOS = {"1:1": 1.0, "16:9": 16 / 9, "9:16": 9 / 16, "4:3": 4 / 3, "3:4": 3 / 4}


def aspect_ratio_of(width: int, height: int) -> str:
    """The listed aspect ratio closest to an image's size."""
    if width <= 0 or height <= 0:
        return "1:1"
    ratio = width / height
    return min(_RATIOS, key=lambda name: abs(_RATIOS[name] - ratio))


@router.post(
    "/images/{image_id}/remix",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=GenerationAccepted,
    summary="Remix an image (own or public) with a new prompt",
    responses={**NOT_FOUND_RESPONSE, **SUBMIT_RESPONSES},
    description="Starts a generation from the image: `prompt` (1–1000), `strength` (0 < s ≤ 1: how far "
    "the new images move away from the source; absent: 0.6), and any option of POST "
    "/api/v1/generations. The aspect ratio defaults to the source's. 202 like a generation.",
)
async def remix(
    image_id: str,
    body: RemixCreate,
    caller: CurrentCaller,
    request: Request,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> GenerationAccepted:
    deps = deps_of(request)
    source = await visible_image(image_id, caller, deps.visibility, deps.generations)  # 404 unless own or public, now
    params = generation_pb2.GenerationParams(
        prompt=body.prompt,
        negative_prompt=body.negative_prompt,
        num_images=body.num_images,
        aspect_ratio=body.aspect_ratio or aspect_ratio_of(source.image.width, source.image.height),
        magic_prompt=body.magic_prompt,
        color_palette=body.color_palette,
        source_image_id=source.image.image_id,
        strength=body.strength or 0.0,
    )
    if body.seed is not None:
        params.seed = body.seed
    if body.steps is not None:
        params.steps = body.steps
    return await submission.submit(
        caller,
        params,
        response,
        generations=deps.generations,
        authority=deps.visibility,
        billing=deps.billing,
        visibility=body.visibility,
        idempotency_key=idempotency_key,
    )


@router.post(
    "/generations/{generation_id}/retry",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=GenerationAccepted,
    summary="Run one of my generations again",
    responses={
        404: {"description": "no such generation of mine (or a remix whose source is no longer visible to me)"},
        **SUBMIT_RESPONSES,
    },
    description="Same prompt and options as the original; a new seed unless the original's seed was "
    "chosen. The visibility is the original's, under the plan's current rules (a lapsed "
    "plan cannot retry a private generation privately: 403). 202 like a generation.",
)
async def retry(
    generation_id: str,
    caller: CurrentCaller,
    request: Request,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> GenerationAccepted:
    deps = deps_of(request)
    original = await own_generation(generation_id, caller, deps.generations)
    params = generation_pb2.GenerationParams()
    params.CopyFrom(original.params)
    if not original.seed_chosen:
        params.ClearField("seed")
    return await submission.submit(
        caller,
        params,
        response,
        generations=deps.generations,
        authority=deps.visibility,
        billing=deps.billing,
        visibility=visibility_name(original.visibility),
        idempotency_key=idempotency_key,
        visibility_copied=True,
    )
