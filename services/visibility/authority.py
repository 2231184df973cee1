"""The authority's operations: each one transaction over the images table and the outbox, or one
autocommit read.

Handlers parse and validate protobuf requests, then call these; the rules themselves are in
policy.py.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from uuid import UUID

import psycopg
from psycopg_pool import AsyncConnectionPool

from atelier.visibility.v1 import events_pb2
from contracts.common import SCOPE_TO_PROTO
from glue.events import enqueue_event
from glue.ids import parse_uuid
from services.visibility import metrics, repository, team_repository
from services.visibility.events import VISIBILITY_CHANGED
from services.visibility.policy import (
    NEEDS_PLAN,
    NOT_A_MEMBER,
    NOT_FOUND,
    PLAN_LAPSED,
    PRIVATE,
    STAYS_PUBLIC,
    TEAM,
    Account,
    ImageState,
    Outcome,
    changed,
    decide_change,
    is_owned_by,
    may_view,
    seen_as_team_member,
)
from services.visibility.teams import TEAM_LAPSED

log = logging.getLogger(__name__)

_REFUSAL_LABEL = {
    NEEDS_PLAN: "needs_plan",
    PLAN_LAPSED: "plan_lapsed",
    STAYS_PUBLIC: "stays_public",
    NOT_A_MEMBER: "not_a_member",
    TEAM_LAPSED: "team_lapsed",
}


async def emit_visibility_changed(conn: psycopg.AsyncConnection, image: ImageState) -> None:
    """VisibilityChanged for a change written in the caller's transaction (the outbox row commits with it)."""
    await enqueue_event(
        conn,
        VISIBILITY_CHANGED,
        events_pb2.VisibilityChanged(
            image_id=image.image_id,
            owner_id=image.owner_id,
            visibility=SCOPE_TO_PROTO[image.visibility],
            version=image.version,
        ),
    )


def parse_ids(values: list[str]) -> tuple[list[UUID], list[str]]:
    """(unique valid ids in request order, malformed ones). Malformed ids name no image: they are
    denied by Authorize and answered as not found elsewhere, never an error that crashes a call."""
    valid: dict[UUID, None] = {}
    malformed = []
    for value in values:
        image_id = parse_uuid(value)
        if image_id is None:
            malformed.append(value)
        else:
            valid[image_id] = None
    return list(valid), malformed


class RegistrationConflict(Exception):
    """An image id is already registered to another owner."""


async def register_images(
    pool: AsyncConnectionPool,
    owner_id: str,
    generation_id: UUID | None,
    image_ids: list[UUID],
    visibility: str,
    made_with_privacy_entitlement: bool,
    *,
    authoritative: bool,
    team_id: UUID | None = None,
) -> list[ImageState]:
    """Registers new images (known ones keep their state). Born in a team's scope (team_id) only
    while the owner is a member of it, with the membership row held (as a change to a team holds
    it) and the team not lapsed; otherwise private (fail closed: never public)."""
    async with pool.connection() as conn, conn.transaction():
        if team_id is not None and not await _may_share_with(conn, team_id, owner_id):
            log.info("team registration made private", extra={"owner_id": owner_id, "team_id": str(team_id)})
            visibility, team_id = PRIVATE, None
        await repository.register(
            conn,
            owner_id,
            generation_id,
            image_ids,
            visibility,
            made_with_privacy_entitlement,
            authoritative=authoritative,
            team_id=team_id,
        )
        rows = await repository.get_images(conn, image_ids)
    foreign = [i for i, row in rows.items() if row.owner_id != owner_id]
    if foreign:
        raise RegistrationConflict(f"image {foreign[0]} is registered to another owner")
    metrics.REGISTERED.labels("rpc" if authoritative else "images_ready").inc(len(image_ids))
    return [rows[str(i)] for i in image_ids]


async def _may_share_with(conn: psycopg.AsyncConnection, team_id: UUID, user_id: str) -> bool:
    """Whether the user is a member of the team (membership row held until the transaction ends)
    and the team has not lapsed."""
    return await team_repository.lock_membership(conn, team_id, user_id) and not await team_repository.is_lapsed(
        conn, team_id
    )


@asynccontextmanager
async def single_statement(pool: AsyncConnectionPool) -> AsyncIterator[psycopg.AsyncConnection]:
    """A pooled connection in autocommit for one read: one round trip instead of BEGIN, SELECT,
    COMMIT. Reads at READ COMMITTED either way, so a change committed before the read starts is
    always seen (P2). The connection goes back to the pool as it came (not autocommit)."""
    async with pool.connection() as conn:
        await conn.set_autocommit(True)
        try:
            yield conn
        finally:
            await conn.set_autocommit(False)


@dataclass(frozen=True)
class Authorized:
    # In request order.
    allowed: list[str]
    # Those of `allowed` the viewer sees only as a member of the image's team.
    through_team: set[str]


async def authorize(pool: AsyncConnectionPool, viewer_id: str, image_ids: list[UUID]) -> Authorized:
    """The subset of image_ids the viewer may see: one statement reads each image and the viewer's
    membership of its team together (P1, P2)."""
    async with single_statement(pool) as conn:
        rows = await repository.get_images_for_viewer(conn, image_ids, viewer_id)
    allowed, through_team = [], set()
    for image_id in image_ids:
        image, in_team = rows.get(str(image_id), (None, False))
        if may_view(viewer_id, image, viewer_in_team=in_team):
            allowed.append(str(image_id))
            if seen_as_team_member(viewer_id, image, viewer_in_team=in_team):
                through_team.add(str(image_id))
    return Authorized(allowed, through_team)


async def owned_images(pool: AsyncConnectionPool, owner_id: str, image_ids: list[UUID]) -> list[ImageState]:
    async with single_statement(pool) as conn:
        rows = await repository.get_images(conn, image_ids)
    return [rows[str(i)] for i in image_ids if is_owned_by(owner_id, rows.get(str(i)))]


@dataclass
class ChangeResult:
    # Every requested image of the actor's now at the asked visibility (changed or already so).
    images: list[ImageState] = field(default_factory=list)
    # image_id -> the sentence the user reads.
    refused: dict[str, str] = field(default_factory=dict)


async def change_visibility(
    pool: AsyncConnectionPool,
    actor_id: str,
    image_ids: list[UUID],
    malformed: list[str],
    target: str,
    account: Account,
    *,
    retroactive_privacy: bool,
    team_id: UUID | None = None,
) -> ChangeResult:
    """Decides every image and commits the allowed changes together with one VisibilityChanged
    each, in one transaction with the rows locked (FOR UPDATE, in id order): a change is visible
    to every later Authorize the moment this returns (P2), and its event cannot be lost or sent
    for a change that did not commit. To a team (team_id): the actor's membership row is held
    first (locking order of team_repository), so the actor cannot leave halfway and leave an
    image shared with a team they are no longer in."""
    result = ChangeResult()
    for value in malformed:
        result.refused[value] = NOT_FOUND
    scope_team = str(team_id) if target == TEAM and team_id is not None else ""
    async with pool.connection() as conn, conn.transaction():
        member = target != TEAM or (
            team_id is not None and await team_repository.lock_membership(conn, team_id, actor_id)
        )
        lapsed = member and team_id is not None and await team_repository.is_lapsed(conn, team_id)
        rows = await repository.get_images(conn, image_ids, for_update=True)
        for image_id in image_ids:
            key = str(image_id)
            image = rows.get(key)
            if image is None or not is_owned_by(actor_id, image):  # `is None` for the type checker
                result.refused[key] = NOT_FOUND
                continue
            if not member:
                result.refused[key] = NOT_A_MEMBER
                metrics.REFUSALS.labels("not_a_member").inc()
                continue
            if lapsed:
                result.refused[key] = TEAM_LAPSED
                metrics.REFUSALS.labels("team_lapsed").inc()
                continue
            decision = decide_change(
                account, image, target, retroactive_privacy=retroactive_privacy, team_id=scope_team
            )
            if decision.outcome is Outcome.REFUSED:
                result.refused[key] = decision.reason
                metrics.REFUSALS.labels(_REFUSAL_LABEL.get(decision.reason, "other")).inc()
                continue
            if decision.outcome is Outcome.CHANGE:
                image = changed(image, target, scope_team)
                await repository.set_visibility(conn, image)
                await emit_visibility_changed(conn, image)
            result.images.append(image)
    changes = [image for image in result.images if image.version != rows[image.image_id].version]
    for image in changes:
        metrics.CHANGES.labels(image.visibility).inc()
    if changes or result.refused:
        log.info(
            "visibility change",
            extra={
                "actor_id": actor_id,
                "visibility": target,
                "changed": [(i.image_id, i.version) for i in changes][:50],
                "unchanged": len(result.images) - len(changes),
                "refused": len(result.refused),
            },
        )
    return result


async def mark_deleted(pool: AsyncConnectionPool, actor_id: str, image_ids: list[UUID]) -> list[str]:
    async with pool.connection() as conn, conn.transaction():
        return await repository.mark_deleted(conn, image_ids, actor_id)


async def restore(pool: AsyncConnectionPool, actor_id: str, image_ids: list[UUID]) -> list[str]:
    """An undone deletion (the generation service's undo window): the images as they were before."""
    async with pool.connection() as conn, conn.transaction():
        return await repository.restore(conn, image_ids, actor_id)


async def record_deletion(
    pool: AsyncConnectionPool, owner_id: str, generation_id: UUID | None, image_ids: list[UUID]
) -> None:
    async with pool.connection() as conn, conn.transaction():
        await repository.delete_or_tombstone(conn, owner_id, generation_id, image_ids)
