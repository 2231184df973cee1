"""The studio's advanced options each user left last time, so that the prompt box opens as they
left it on any device. Owner only (there is no way to name another user), never cached
(`Cache-Control: private, no-store`, the API's default): they may hold a private image's negative
prompt, seed or palette, put there by "Use …" in the image panel."""

from fastapi import APIRouter, Request

from services.gateway.api.studio_schemas import StudioOptions
from services.gateway.auth.security import CurrentCaller
from services.gateway.dependencies import StudioOptionsKeeper, deps_of
from services.gateway.problems import Problem

router = APIRouter(prefix="/api/v1", tags=["account"])


def _store(request: Request) -> StudioOptionsKeeper:
    store = deps_of(request).studio_options
    if store is None:
        raise Problem(503, "Studio options cannot be kept right now; the prompt box works without them.")
    return store


@router.get(
    "/me/studio-options",
    response_model=StudioOptions,
    summary="My studio options as I left them (the defaults until I change one)",
)
async def get_studio_options(caller: CurrentCaller, request: Request) -> StudioOptions:
    saved = await _store(request).get(caller.user.id)
    if saved is None:
        return StudioOptions()
    # Kept as validated, but rules may tighten later: what no longer passes falls back to defaults.
    try:
        return StudioOptions.model_validate(saved, strict=False)
    except ValueError:
        return StudioOptions()


@router.put("/me/studio-options", response_model=StudioOptions, summary="Keep my studio options for next time")
async def put_studio_options(options: StudioOptions, caller: CurrentCaller, request: Request) -> StudioOptions:
    kept = options.model_copy(update={"seed": options.seed if options.seed_locked else None})
    await _store(request).put(caller.user.id, kept.model_dump())
    return kept
