"""Generations: submit, read one, list mine, follow one live (server-sent events), delete one.

A generation is its owner's alone: for anyone else, anonymous callers included, every route here
answers 404 exactly as for an id that does not exist. Each image in a generation shows its
current visibility, from the visibility authority.

Visibility at submit, decided by the generation service: free and basic plans generate public
images (asking for private: 403); a lapsed plan likewise, with a message that says why; a plan with
`private_generation` gets what it asks for, or when nothing is asked, the user's last choice.
"""

from collections.abc import Mapping
from datetime import UTC
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.responses import JSONResponse, StreamingResponse

from atelier.generation.v1 import generation_pb2
from glue.ids import canonical_uuid
from services.gateway.api import submission
from services.gateway.api.access import GENERATION, current_for_generations, own_generation
from services.gateway.api.event_stream import StreamTiming, generation_events
from services.gateway.api.schemas import (
    GenerationAccepted,
    GenerationCreate,
    GenerationOut,
    GenerationPage,
    IdempotencyKey,
    PendingDeletion,
    RestoredGeneration,
)
from services.gateway.api.views import generation_view
from services.gateway.auth.security import CurrentCaller, MaybeCaller, accounts_of, credential_still_valid
from services.gateway.clients.billing import billing_client
from services.gateway.clients.generation import generation_client, progress_feed
from services.gateway.clients.visibility import visibility_client
from services.gateway.plans import DELETE_GENERATION, refusal
from services.gateway.problems import Problem, not_found

router = APIRouter(prefix="/api/v1/generations", tags=["generations"])

PAGE_SIZE_DEFAULT = 20
PAGE_SIZE_MAX = 100


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=GenerationAccepted,
    summary="Start a generation",
    responses={
        402: {"description": "out of credits"},
        403: {"description": "the plan does not allow the visibility asked for; the detail says why"},
        422: {"description": "invalid input"},
        429: {"description": "as many generations in progress as the plan allows"},
    },
)
async def submit_generation(
    body: GenerationCreate,
    caller: CurrentCaller,
    request: Request,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> GenerationAccepted:
    params = generation_pb2.GenerationParams(
        prompt=body.prompt,
        negative_prompt=body.negative_prompt,
        num_images=body.num_images,
        aspect_ratio=body.aspect_ratio,
        magic_prompt=body.magic_prompt,
        color_palette=body.color_palette,
        source_image_id=str(body.source_image_id) if body.source_image_id else "",
        mode=body.mode,
        strength=body.strength or 0.0,
        style_image_id=str(body.style_image_id) if body.style_image_id else "",
        style_strength=body.style_strength or 0.0,
        model_id=str(body.model_id) if body.model_id else "",
        model_scale=body.model_scale or 0.0,
    )
    if body.seed is not None:
        params.seed = body.seed
    if body.steps is not None:
        params.steps = body.steps
    team_id = str(body.team_id) if body.team_id else ""
    if team_id:
        await submission.check_team_member(visibility_client(request), caller, team_id)
    return await submission.submit(
        caller,
        params,
        response,
        generations=generation_client(request),
        authority=visibility_client(request),
        billing=billing_client(request),
        visibility=body.visibility,
        idempotency_key=idempotency_key,
        team_id=team_id,
    )


@router.get("", response_model=GenerationPage, summary="My generations, newest first")
async def list_generations(
    caller: CurrentCaller,
    request: Request,
    cursor: Annotated[str | None, Query(max_length=500, description="next_cursor of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=PAGE_SIZE_MAX)] = PAGE_SIZE_DEFAULT,
) -> GenerationPage:
    page = await generation_client(request).list(caller.user_id, limit, cursor or "")
    # The service answers only for the owner it is asked about; checked again here because a
    # response that mixed owners would be a leak.
    mine = [g for g in page.generations if g.owner_id == caller.user_id]
    current = await current_for_generations(visibility_client(request), caller.user_id, mine)
    return GenerationPage(items=[generation_view(g, current) for g in mine], next_cursor=page.next_cursor or None)


@router.get(
    "/{generation_id}",
    response_model=GenerationOut,
    response_model_exclude_none=False,
    summary="One of my generations",
    responses={404: {"description": "no such generation of mine"}},
)
async def get_generation(generation_id: str, caller: MaybeCaller, request: Request) -> GenerationOut:
    generation = await own_generation(generation_id, caller, generation_client(request))
    assert caller is not None  # own_generation refuses anonymous callers
    current = await current_for_generations(visibility_client(request), caller.user_id, [generation])
    return generation_view(generation, current)


@router.get(
    "/{generation_id}/events",
    summary="Live progress of one of my generations (server-sent events)",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}, 404: {"description": "no such generation of mine"}},
)
async def generation_event_stream(generation_id: str, caller: MaybeCaller, request: Request) -> StreamingResponse:
    generations, authority, accounts = generation_client(request), visibility_client(request), accounts_of(request)
    generation = await own_generation(generation_id, caller, generations)  # 404 before any stream starts
    assert caller is not None  # own_generation refuses anonymous callers
    settings = request.app.state.settings
    timing = StreamTiming(settings.events_poll_interval_s, settings.events_heartbeat_s, settings.events_max_duration_s)
    owner_id = caller.user_id

    async def current(of: generation_pb2.Generation) -> Mapping[str, str]:
        return await current_for_generations(authority, owner_id, [of])

    async def credential_valid() -> bool:
        return await credential_still_valid(accounts, caller)

    events = generation_events(
        generation.generation_id, owner_id, generations, progress_feed(request), timing, current, credential_valid
    )
    return StreamingResponse(
        events,
        media_type="text/event-stream",
        headers={"Cache-Control": "private, no-store", "X-Accel-Buffering": "no"},
    )


@router.delete(
    "/{generation_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Delete one of my generations: all its images, everywhere",
    responses={
        202: {"model": PendingDeletion, "description": "`undo=true`: hidden now, removed after the undo window"},
        403: {"description": "the plan does not include delete_generation; the detail says why"},
        404: {"description": "no such generation of mine"},
        409: {"description": "still queued or running"},
    },
    description="Needs `delete_generation` (Basic plan or higher). Afterwards every read of its images "
    "answers 404 to everyone, the owner included. With `undo=true` the images are hidden the same "
    "way at once, but removed only after the undo window (the generation service's "
    "`ATELIER_DELETE_UNDO_WINDOW_S`, default 10 s): 202 with `undo_until`; "
    "`POST /api/v1/generations/{id}/restore` until then brings them back as they were.",
)
async def delete_generation(
    generation_id: str, caller: CurrentCaller, request: Request, undo: bool = False
) -> Response:
    billing = billing_client(request)
    # The plan first: a refusal then says nothing about whether the id exists.
    account = await billing.account(caller.user_id)
    if not account.has(DELETE_GENERATION):
        raise Problem(403, refusal(account, DELETE_GENERATION, await billing.plans_or_empty()))
    canonical_id = canonical_uuid(generation_id)
    if canonical_id is None:
        raise not_found(GENERATION)
    deleted = await generation_client(request).delete(canonical_id, caller.user_id, undoable=undo)
    if not deleted.HasField("undo_until"):
        return Response(status_code=status.HTTP_204_NO_CONTENT)
    pending = PendingDeletion(
        generation_id=canonical_id,
        deleted_image_ids=list(deleted.deleted_image_ids),
        undo_until=deleted.undo_until.ToDatetime(tzinfo=UTC),
    )
    return JSONResponse(pending.model_dump(mode="json"), status_code=status.HTTP_202_ACCEPTED)


@router.post(
    "/{generation_id}/restore",
    response_model=RestoredGeneration,
    summary="Undo the deletion of one of my generations, within its undo window",
    responses={404: {"description": "no such generation of mine deleted with undo, or the window has passed"}},
    description="For a deletion made with `undo=true`, until its `undo_until`: the images come back "
    "as they were (public ones public again, private ones private).",
)
async def restore_generation(generation_id: str, caller: CurrentCaller, request: Request) -> RestoredGeneration:
    canonical_id = canonical_uuid(generation_id)
    if canonical_id is None:
        raise not_found(GENERATION)
    restored = await generation_client(request).restore(canonical_id, caller.user_id)
    return RestoredGeneration(generation_id=canonical_id, restored_image_ids=restored)
