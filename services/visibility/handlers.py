"""VisibilityService gRPC handlers: protobuf ↔ domain, and domain outcomes → gRPC status.

Status codes callers rely on:
- NOT_FOUND "image not found": another user's image, a deleted one, an unknown or malformed id —
  the same code and message for all, so the answer never tells that an image exists.
- PERMISSION_DENIED with a sentence for the user: the plan or the operator policy forbids the change.
- UNAVAILABLE: billing could not be asked; nothing was changed (fail closed).
- INVALID_ARGUMENT: a request that can never succeed (missing actor, more than 500 ids, ...).
- FAILED_PRECONDITION: images registered again under another owner or generation (ERRORS); a team
  change that would leave a team without an owner.
- UNAVAILABLE also when the database is unreachable (glue.grpc_errors): callers deny (P3).
"""

from __future__ import annotations

import time
from uuid import UUID

import grpc
from psycopg_pool import AsyncConnectionPool

from atelier.visibility.v1 import visibility_pb2 as pb
from atelier.visibility.v1 import visibility_pb2_grpc
from contracts.common import SCOPE_FROM_PROTO, SCOPE_TO_PROTO
from glue.grpc_errors import ErrorMapping
from glue.ids import parse_uuid
from services.visibility import authority, metrics
from services.visibility.authority import parse_ids
from services.visibility.billing import UNAVAILABLE_MESSAGE, BillingClient, BillingUnavailable
from services.visibility.policy import NOT_FOUND, TEAM, Account, ImageState
from services.visibility.team_handlers import TeamHandlers

MAX_IDS = 500
ERRORS = ErrorMapping(
    {authority.RegistrationConflict: grpc.StatusCode.FAILED_PRECONDITION},
    unavailable_message="visibility: the database is unavailable; try again",
)


def image_to_proto(image: ImageState) -> pb.ImageVisibility:
    return pb.ImageVisibility(
        image_id=image.image_id,
        owner_id=image.owner_id,
        visibility=SCOPE_TO_PROTO[image.visibility],
        version=image.version,
        deleted=image.deleted,
        made_with_privacy_entitlement=image.made_with_privacy_entitlement,
        team_id=image.team_id,
    )


async def _check_count(context: grpc.aio.ServicerContext, ids, field: str = "image_ids") -> None:
    if len(ids) > MAX_IDS:
        await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"{field}: at most {MAX_IDS} per call, got {len(ids)}")


async def _change_target(context: grpc.aio.ServicerContext, value: int, team_id: str) -> tuple[str, UUID | None]:
    """A change's visibility and, with TEAM (and only then), its team."""
    target = SCOPE_FROM_PROTO.get(value)
    if target is None:
        await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "visibility: must be PUBLIC, PRIVATE or TEAM")
    if target != TEAM:
        if team_id:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "team_id: only with the TEAM visibility")
        return target, None
    team = parse_uuid(team_id)
    if team is None:
        await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "team_id: a team's id is required with TEAM")
    return target, team


class VisibilityServicer(TeamHandlers, visibility_pb2_grpc.VisibilityServiceServicer):
    def __init__(self, pool: AsyncConnectionPool, billing: BillingClient, *, retroactive_privacy: bool):
        self._pool = pool
        self._billing = billing
        self._retroactive_privacy = retroactive_privacy

    async def RegisterImages(self, request: pb.RegisterImagesRequest, context: grpc.aio.ServicerContext):
        if not request.owner_id:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "owner_id: is required")
        if not request.image_ids:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "image_ids: at least one is required")
        await _check_count(context, request.image_ids)
        visibility, team_id = await _change_target(context, request.visibility, request.team_id)
        ids, malformed = parse_ids(list(request.image_ids))
        if malformed:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"image_ids: not UUIDs: {malformed[:5]}")
        generation_id = parse_uuid(request.generation_id) if request.generation_id else None
        if request.generation_id and generation_id is None:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "generation_id: not a UUID")
        images = await authority.register_images(
            self._pool,
            request.owner_id,
            generation_id,
            ids,
            visibility,
            request.made_with_privacy_entitlement,
            authoritative=True,
            team_id=team_id,
        )
        return pb.RegisterImagesResponse(images=[image_to_proto(i) for i in images])

    async def _account(self, actor_id: str, context: grpc.aio.ServicerContext) -> Account:
        try:
            return await self._billing.account(actor_id)
        except BillingUnavailable:
            metrics.BILLING_UNAVAILABLE.inc()
            await context.abort(grpc.StatusCode.UNAVAILABLE, UNAVAILABLE_MESSAGE)

    async def SetVisibility(self, request: pb.SetVisibilityRequest, context: grpc.aio.ServicerContext):
        if not request.actor_id:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "actor_id: is required")
        target, team_id = await _change_target(context, request.visibility, request.team_id)
        ids, malformed = parse_ids([request.image_id])
        if malformed:
            await context.abort(grpc.StatusCode.NOT_FOUND, NOT_FOUND)
        account = await self._account(request.actor_id, context)
        result = await authority.change_visibility(
            self._pool,
            request.actor_id,
            ids,
            [],
            target,
            account,
            retroactive_privacy=self._retroactive_privacy,
            team_id=team_id,
        )
        if result.refused:
            reason = next(iter(result.refused.values()))
            code = grpc.StatusCode.NOT_FOUND if reason == NOT_FOUND else grpc.StatusCode.PERMISSION_DENIED
            await context.abort(code, reason)
        return pb.SetVisibilityResponse(image=image_to_proto(result.images[0]))

    async def BatchSetVisibility(self, request: pb.BatchSetVisibilityRequest, context: grpc.aio.ServicerContext):
        """One transaction for the whole batch (rows locked in id order): one round trip for up to
        500 images, and a crash leaves either every allowed change with its event or none, so
        the caller can simply retry (images already at the target are answered unchanged)."""
        if not request.actor_id:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "actor_id: is required")
        await _check_count(context, request.image_ids)
        target, team_id = await _change_target(context, request.visibility, request.team_id)
        ids, malformed = parse_ids(list(request.image_ids))
        account = await self._account(request.actor_id, context)
        result = await authority.change_visibility(
            self._pool,
            request.actor_id,
            ids,
            malformed,
            target,
            account,
            retroactive_privacy=self._retroactive_privacy,
            team_id=team_id,
        )
        return pb.BatchSetVisibilityResponse(
            updated=[image_to_proto(i) for i in result.images],
            refused=[pb.Refusal(image_id=image_id, reason=reason) for image_id, reason in result.refused.items()],
        )

    async def Authorize(self, request: pb.AuthorizeRequest, context: grpc.aio.ServicerContext):
        started = time.perf_counter()
        await _check_count(context, request.image_ids)
        # Malformed ids name nothing: denied. The answer echoes the caller's own spelling of each id.
        requested = {value: image_id for value in request.image_ids if (image_id := parse_uuid(value)) is not None}
        decided = await authority.authorize(self._pool, request.viewer_id, list(dict.fromkeys(requested.values())))
        permitted = set(decided.allowed)
        allowed = [value for value, image_id in requested.items() if str(image_id) in permitted]
        through_team = [value for value, image_id in requested.items() if str(image_id) in decided.through_team]
        metrics.AUTHORIZE_CALLS.inc()
        metrics.AUTHORIZE_IMAGES.inc(len(request.image_ids))
        metrics.AUTHORIZE_DENIED.inc(len(request.image_ids) - len(allowed))
        metrics.AUTHORIZE_SECONDS.observe(time.perf_counter() - started)
        return pb.AuthorizeResponse(allowed_image_ids=allowed, team_image_ids=through_team)

    async def BatchGetVisibility(self, request: pb.BatchGetVisibilityRequest, context: grpc.aio.ServicerContext):
        if not request.owner_id:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "owner_id: is required")
        await _check_count(context, request.image_ids)
        ids, _malformed = parse_ids(list(request.image_ids))
        images = await authority.owned_images(self._pool, request.owner_id, ids)
        return pb.BatchGetVisibilityResponse(images=[image_to_proto(i) for i in images])

    async def MarkDeleted(self, request: pb.MarkDeletedRequest, context: grpc.aio.ServicerContext):
        if not request.actor_id:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "actor_id: is required")
        await _check_count(context, request.image_ids)
        ids, _malformed = parse_ids(list(request.image_ids))
        deleted = await authority.mark_deleted(self._pool, request.actor_id, ids)
        return pb.MarkDeletedResponse(deleted_image_ids=deleted)

    async def RestoreImages(self, request: pb.RestoreImagesRequest, context: grpc.aio.ServicerContext):
        if not request.actor_id:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "actor_id: is required")
        await _check_count(context, request.image_ids)
        ids, _malformed = parse_ids(list(request.image_ids))
        restored = await authority.restore(self._pool, request.actor_id, ids)
        return pb.RestoreImagesResponse(restored_image_ids=restored)
