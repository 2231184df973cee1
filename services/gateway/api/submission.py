"""Starting a generation, the one way every route does it (new, remix, retry): a source image must
be visible to the requester now (own or public, asked of the authority: anything else is "not
found"), then GenerationService.Submit with what the user asked for. The generation service
decides (visibility from the plan and the last choice, concurrency, credits); the gateway only
words its refusals, reading the plan (GetAccount, ListPlans) on that path alone."""

from __future__ import annotations

from fastapi import Response
from prometheus_client import Counter

from atelier.common.v1.visibility_pb2 import VISIBILITY_UNSPECIFIED
from atelier.generation.v1 import generation_pb2
from services.gateway.api.access import OpenApiResponses
from services.gateway.api.schemas import GenerationAccepted
from services.gateway.api.views import status_name
from services.gateway.auth.security import Caller
from services.gateway.clients.billing import BillingClient
from services.gateway.clients.generation import ActionRefused, GenerationClient, PrivateRefused
from services.gateway.clients.visibility import SCOPE_BY_NAME, VISIBILITY_BY_NAME, VisibilityClient
from services.gateway.plans import EDIT, UPSCALE, private_generation_refusal, refusal
from services.gateway.problems import Problem

SOURCE_NOT_FOUND = "Source image not found."
# As the teams routes word it (clients/teams.py), kept off the generation's path.
TEAM_NOT_FOUND = "Team not found."
GENERATIONS_SUBMITTED = Counter(
    "atelier_generations_submitted_total", "Generations accepted through the gateway (idempotent repeats excluded)"
)
# How every route that starts a generation documents its refusals.
SUBMIT_RESPONSES: OpenApiResponses = {
    401: {"description": "log in or send an API key"},
    402: {"description": "out of credits"},
    403: {"description": "the plan does not allow the visibility asked for; the detail says why"},
    422: {"description": "invalid input"},
    429: {"description": "as many generations in progress as the plan allows"},
}
# The entitlement each image action needs (billing's names), to word a refusal.
ACTION_ENTITLEMENTS = {
    generation_pb2.JOB_KIND_UPSCALE: UPSCALE,
    generation_pb2.JOB_KIND_REMOVE_BACKGROUND: EDIT,
    generation_pb2.JOB_KIND_EDIT: EDIT,
    generation_pb2.JOB_KIND_REPLACE_BACKGROUND: EDIT,
}


def born_as(visibility: str) -> str:
    """What a copied visibility may be born as: a copy of a team image's visibility (an action's
    result, a retry) is private to whoever made it; a team scope at birth is asked for with its
    team (submit's team_id), never copied."""
    return "private" if visibility == "team" else visibility


async def check_team_member(authority: VisibilityClient, caller: Caller, team_id: str) -> None:
    """A team the caller is not a current member of answers as one that does not exist (404). The
    visibility authority checks again when it registers the images (private if no longer a member)."""
    if not await authority.is_team_member(caller.user_id, team_id):
        raise Problem(404, TEAM_NOT_FOUND)


async def check_source_image(authority: VisibilityClient, caller: Caller, image_id: str) -> None:
    # Own images and public ones may be a source; anything else is "not found", asked of the
    # authority now (fail closed, and existence is not revealed).
    if image_id not in await authority.authorize(caller.user_id, [image_id]):
        raise Problem(404, SOURCE_NOT_FOUND)


async def submit(
    caller: Caller,
    params: generation_pb2.GenerationParams,
    response: Response,
    *,
    generations: GenerationClient,
    authority: VisibilityClient,
    billing: BillingClient,
    visibility: str | None,
    idempotency_key: str | None,
    visibility_copied: bool = False,
    team_id: str = "",
) -> GenerationAccepted:
    """`visibility`: what the user asked for (None: nothing); `visibility_copied`: it is a retry's
    copy of the original's, not a choice to remember for later generations. A seed in `params` is
    the user's choice (a retry of the generation keeps it)."""
    for image_id in (params.source_image_id, params.style_image_id):
        if image_id:
            await check_source_image(authority, caller, image_id)
    if team_id:
        scope = SCOPE_BY_NAME["team"]
    else:
        scope = VISIBILITY_BY_NAME[born_as(visibility)] if visibility else VISIBILITY_UNSPECIFIED
    request = generation_pb2.SubmitRequest(
        owner_id=caller.user_id,
        idempotency_key=idempotency_key or "",
        params=params,
        visibility=scope,
        visibility_copied=visibility_copied,
        team_id=team_id,
        api_key_id=str(caller.api_key_id) if caller.api_key_id else "",
    )
    try:
        submitted = await generations.submit(request)
    except PrivateRefused as refused:
        account = await billing.account(caller.user_id)
        reason = private_generation_refusal(account, await billing.plans_or_empty(), refused.remembered)
        raise Problem(403, reason) from None
    except ActionRefused:
        account = await billing.account(caller.user_id)
        plans = await billing.plans_or_empty()
        raise Problem(403, refusal(account, ACTION_ENTITLEMENTS[params.kind], plans)) from None
    generation_id = submitted.generation.generation_id
    if submitted.created:
        GENERATIONS_SUBMITTED.inc()
    response.headers["Location"] = f"/api/v1/generations/{generation_id}"
    return GenerationAccepted(generation_id=generation_id, status=status_name(submitted.generation.status))
