"""Starting a generation, the one way every route does it (new, remix, retry): the plan decides the
visibility (plans.visibility_for_submit), a source image must be visible to the requester now (own
or public, asked of the authority: anything else is "not found"), then GenerationService.Submit
with the plan's privacy entitlement and concurrency limit; credits are reserved by the service."""

from __future__ import annotations

from fastapi import Response

from atelier.generation.v1 import generation_pb2
from services.gateway.api.schemas import GenerationAccepted
from services.gateway.api.views import status_name
from services.gateway.auth.security import Caller
from services.gateway.clients.visibility import VISIBILITY_BY_NAME
from services.gateway.dependencies import GatewayDeps
from services.gateway.metrics import GENERATIONS_SUBMITTED
from services.gateway.plans import PRIVATE_GENERATION, VisibilityChoiceRefused, visibility_for_submit
from services.gateway.problems import Problem

SOURCE_NOT_FOUND = "Source image not found."


async def check_source_image(deps: GatewayDeps, caller: Caller, image_id: str) -> None:
    # Own images and public ones may be a source; anything else is "not found", asked of the
    # authority now (fail closed, and existence is not revealed).
    if image_id not in await deps.visibility.authorize(caller.user_id, [image_id]):
        raise Problem(404, SOURCE_NOT_FOUND)


async def submit(
    deps: GatewayDeps,
    caller: Caller,
    params: generation_pb2.GenerationParams,
    response: Response,
    *,
    visibility: str | None,
    idempotency_key: str | None,
    remember_choice: bool,
) -> GenerationAccepted:
    """`visibility`: what the user asked for (None: nothing); `remember_choice`: whether that is a
    choice to remember for later generations (an explicit one, not a retry's copy)."""
    account = await deps.billing.account(caller.user_id)
    last_choice = await deps.accounts.last_visibility(caller.user)
    try:
        chosen = visibility_for_submit(account, visibility, last_choice, await deps.billing.plans_or_empty())
    except VisibilityChoiceRefused as refused:
        raise Problem(403, str(refused)) from None
    if params.source_image_id:
        await check_source_image(deps, caller, params.source_image_id)
    submitted = await deps.generations.submit(
        generation_pb2.SubmitRequest(
            owner_id=caller.user_id,
            idempotency_key=idempotency_key or "",
            params=params,
            visibility=VISIBILITY_BY_NAME[chosen],
            privacy_entitled=account.has(PRIVATE_GENERATION),
            max_concurrent_generations=account.max_concurrent_generations,
        )
    )
    if remember_choice and visibility is not None and visibility != last_choice:
        await deps.accounts.remember_visibility(caller.user, visibility)
    generation_id = submitted.generation.generation_id
    if submitted.created:
        GENERATIONS_SUBMITTED.inc()
        if params.HasField("seed"):
            await deps.accounts.remember_fixed_seed(caller.user, generation_id)
    response.headers["Location"] = f"/api/v1/generations/{generation_id}"
    return GenerationAccepted(generation_id=generation_id, status=status_name(submitted.generation.status))
