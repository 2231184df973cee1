"""Generations: submit, read one, list mine, and follow one live (server-sent events).

A generation is its owner's alone: for anyone else, anonymous callers included, every route here
answers 404 exactly as for an id that does not exist.
"""

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response, status
from fastapi.responses import StreamingResponse

from atelier.generation.v1 import generation_pb2
from services.gateway.dependencies import GatewayDeps, deps_of
from services.gateway.event_stream import StreamTiming, generation_events
from services.gateway.metrics import GENERATIONS_SUBMITTED
from services.gateway.plans import GENERATE_PRIVATE, placeholder_plan_for
from services.gateway.problems import Problem, not_found
from services.gateway.schemas import GenerationAccepted, GenerationCreate, GenerationOut, GenerationPage
from services.gateway.security import Caller, CurrentCaller, MaybeCaller
from services.gateway.views import VISIBILITY_BY_NAME, generation_view, status_name

router = APIRouter(prefix="/api/v1/generations", tags=["generations"])

IDEMPOTENCY_KEY_MAX_LENGTH = 200
PAGE_SIZE_DEFAULT = 20
PAGE_SIZE_MAX = 100
NOT_FOUND = "Generation"


async def _own_generation(generation_id: str, caller: Caller | None, deps: GatewayDeps) -> generation_pb2.Generation:
    """The caller's generation; 404 (exactly as for an id that does not exist) for anyone else."""
    if caller is None:
        raise not_found(NOT_FOUND)
    try:
        canonical_id = str(uuid.UUID(generation_id))
    except ValueError:
        raise not_found(NOT_FOUND) from None
    generation = await deps.generations.get(canonical_id, caller.user_id)
    # The service already answers NOT_FOUND to non-owners; checked again because a wrong answer
    # here would be a leak.
    if generation.owner_id != caller.user_id:
        raise not_found(NOT_FOUND)
    return generation


async def _check_source_image(request: Request, caller: Caller, image_id: str) -> None:
    # Until the visibility authority answers for others' public images, only own images may be
    # used as a source; anything else is "not found" (fail closed, and existence is not revealed).
    image = await deps_of(request).generations.image(image_id)
    if image is None or image.owner_id != caller.user_id:
        raise Problem(404, "Source image not found.")


@router.post("", status_code=status.HTTP_202_ACCEPTED, response_model=GenerationAccepted,
             summary="Start a generation",
             responses={402: {"description": "out of credits"}, 403: {"description": "plan forbids the visibility"},
                        422: {"description": "invalid input"}})
async def submit_generation(
    body: GenerationCreate,
    caller: CurrentCaller,
    request: Request,
    response: Response,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=IDEMPOTENCY_KEY_MAX_LENGTH,
                                                  description="repeat a request safely: same key, same generation")
                               ] = None,
) -> GenerationAccepted:
    plan = placeholder_plan_for(caller.user.id)
    if body.visibility == "private" and GENERATE_PRIVATE not in plan.entitlements:
        raise Problem(403, f"Private generations need a Plus, Pro or Team plan; your plan is {plan.plan}. "
                           "Generate with visibility \"public\" or upgrade.")
    if body.source_image_id is not None:
        await _check_source_image(request, caller, str(body.source_image_id))
    params = generation_pb2.GenerationParams(
        prompt=body.prompt,
        negative_prompt=body.negative_prompt,
        num_images=body.num_images,
        aspect_ratio=body.aspect_ratio,
        magic_prompt=body.magic_prompt,
        color_palette=body.color_palette,
        source_image_id=str(body.source_image_id) if body.source_image_id else "",
        mode=body.mode,
    )
    if body.seed is not None:
        params.seed = body.seed
    submitted = await deps_of(request).generations.submit(generation_pb2.SubmitRequest(
        owner_id=caller.user_id,
        idempotency_key=idempotency_key or "",
        params=params,
        visibility=VISIBILITY_BY_NAME[body.visibility],
    ))
    if submitted.created:
        GENERATIONS_SUBMITTED.inc()
    generation_id = submitted.generation.generation_id
    response.headers["Location"] = f"/api/v1/generations/{generation_id}"
    return GenerationAccepted(generation_id=generation_id, status=status_name(submitted.generation.status))


@router.get("", response_model=GenerationPage, summary="My generations, newest first")
async def list_generations(
    caller: CurrentCaller,
    request: Request,
    cursor: Annotated[str | None, Query(max_length=500, description="next_cursor of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=PAGE_SIZE_MAX)] = PAGE_SIZE_DEFAULT,
) -> GenerationPage:
    page = await deps_of(request).generations.list(caller.user_id, limit, cursor or "")
    # The service answers only for the owner it is asked about; checked again here because a
    # response that mixed owners would be a leak.
    items = [generation_view(g) for g in page.generations if g.owner_id == caller.user_id]
    return GenerationPage(items=items, next_cursor=page.next_cursor or None)


@router.get("/{generation_id}", response_model=GenerationOut, response_model_exclude_none=False,
            summary="One of my generations", responses={404: {"description": "no such generation of mine"}})
async def get_generation(generation_id: str, caller: MaybeCaller, request: Request) -> GenerationOut:
    return generation_view(await _own_generation(generation_id, caller, deps_of(request)))


@router.get("/{generation_id}/events", summary="Live progress of one of my generations (server-sent events)",
            response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {}}}, 404: {"description": "no such generation of mine"}})
async def generation_event_stream(generation_id: str, caller: MaybeCaller, request: Request) -> StreamingResponse:
    deps = deps_of(request)
    generation = await _own_generation(generation_id, caller, deps)  # 404 before any stream starts
    assert caller is not None  # _own_generation refuses anonymous callers
    settings = request.app.state.settings
    timing = StreamTiming(settings.events_poll_interval_s, settings.events_heartbeat_s,
                          settings.events_max_duration_s)
    events = generation_events(generation.generation_id, caller.user_id, deps.generations, deps.progress, timing)
    return StreamingResponse(events, media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
