"""Team operations: each one transaction over teams, memberships, images and the outbox.

Every membership change bumps the team's version and emits TeamMembershipChanged (billing
counts seats from it) in the same transaction. A member who leaves or is removed loses every
team image at the commit of that transaction, because Authorize reads membership in the same
statement as the image (repository.get_images_for_viewer); their own team images turn private
to them in that transaction too, each with its VisibilityChanged.
"""

from __future__ import annotations

import logging
import uuid
from uuid import UUID

import psycopg
from psycopg_pool import AsyncConnectionPool

from atelier.visibility.v1 import events_pb2
from contracts.visibility import TEAM_MEMBERSHIP_CHANGED
from glue.events import enqueue_event
from services.visibility import team_repository
from services.visibility.authority import emit_visibility_changed
from services.visibility.policy import Account, SubscriptionStatus
from services.visibility.team_repository import InviteRecord, TeamRecord
from services.visibility.teams import (
    INVITE_NOT_FOUND,
    MEMBER,
    NEEDS_TEAM_PLAN,
    OWNER,
    TEAM_NOT_FOUND,
    TEAMS_ENTITLEMENT,
    Refusal,
    TeamRuleBroken,
    check_deletion,
    check_invite,
    check_removal,
    check_role_change,
)

log = logging.getLogger(__name__)


async def _membership_changed(conn: psycopg.AsyncConnection, team_id: UUID) -> TeamRecord:
    team = await team_repository.bump_version(conn, team_id)
    await _emit(conn, team)
    return team


async def _emit(conn: psycopg.AsyncConnection, team: TeamRecord) -> None:
    await enqueue_event(
        conn,
        TEAM_MEMBERSHIP_CHANGED,
        events_pb2.TeamMembershipChanged(
            team_id=team.team_id,
            version=team.version,
            owner_ids=sorted(user for user, role in team.members.items() if role == OWNER),
            seats=len(team.members),
        ),
    )


async def _locked(conn: psycopg.AsyncConnection, team_id: UUID) -> TeamRecord:
    team = await team_repository.lock_team(conn, team_id)
    if team is None:
        raise TeamRuleBroken(Refusal.NOT_FOUND, TEAM_NOT_FOUND)
    return team


async def create_team(pool: AsyncConnectionPool, actor_id: str, name: str, account: Account) -> TeamRecord:
    if account.status is not SubscriptionStatus.ACTIVE or TEAMS_ENTITLEMENT not in account.entitlements:
        raise TeamRuleBroken(Refusal.FORBIDDEN, NEEDS_TEAM_PLAN)
    team_id = uuid.uuid4()
    async with pool.connection() as conn, conn.transaction():
        await team_repository.create(conn, team_id, name, actor_id)
        await team_repository.record_creator_plan(conn, actor_id)
        team = TeamRecord(str(team_id), name, 1, {actor_id: OWNER})  # version 1: the creation
        await _emit(conn, team)
    log.info("team created", extra={"team_id": team.team_id, "actor_id": actor_id})
    return team


async def invite(pool: AsyncConnectionPool, actor_id: str, team_id: UUID, invitee_id: str) -> None:
    async with pool.connection() as conn, conn.transaction():
        team = await _locked(conn, team_id)
        check_invite(team.members, actor_id, invitee_id)
        await team_repository.add_invite(conn, team_id, invitee_id, actor_id)


async def answer_invite(pool: AsyncConnectionPool, actor_id: str, team_id: UUID, accept: bool) -> TeamRecord | None:
    async with pool.connection() as conn, conn.transaction():
        team = await team_repository.lock_team(conn, team_id)
        if team is None or not await team_repository.take_invite(conn, team_id, actor_id):
            raise TeamRuleBroken(Refusal.NOT_FOUND, INVITE_NOT_FOUND)
        if not accept or actor_id in team.members:
            return None
        await team_repository.add_member(conn, team_id, actor_id, MEMBER)
        return await _membership_changed(conn, team_id)


async def set_role(pool: AsyncConnectionPool, actor_id: str, team_id: UUID, member_id: str, role: str) -> TeamRecord:
    async with pool.connection() as conn, conn.transaction():
        team = await _locked(conn, team_id)
        check_role_change(team.members, actor_id, member_id, role)
        if team.members[member_id] == role:
            return team
        await team_repository.set_role(conn, team_id, member_id, role)
        return await _membership_changed(conn, team_id)


async def remove(pool: AsyncConnectionPool, actor_id: str, team_id: UUID, member_id: str) -> list[str]:
    """The member leaves (member_id == actor_id) or is removed; answers the ids of their images that
    left the team's scope (now private to them)."""
    async with pool.connection() as conn, conn.transaction():
        team = await _locked(conn, team_id)
        check_removal(team.members, actor_id, member_id)
        privatized = await team_repository.remove_member(conn, team_id, member_id)
        for image in privatized:
            await emit_visibility_changed(conn, image)
        await _membership_changed(conn, team_id)
    log.info(
        "team member removed",
        extra={"team_id": str(team_id), "actor_id": actor_id, "member_id": member_id, "privatized": len(privatized)},
    )
    return [image.image_id for image in privatized]


async def delete(pool: AsyncConnectionPool, actor_id: str, team_id: UUID) -> list[str]:
    """An owner deletes the team: its images turn private to their makers (a VisibilityChanged
    each), its memberships end, and billing counts no seat for it (TeamMembershipChanged with none),
    all in one transaction; answers the ids of the images that left its scope."""
    async with pool.connection() as conn, conn.transaction():
        team = await _locked(conn, team_id)
        check_deletion(team.members, actor_id)
        await team_repository.lock_for_lapse(conn, team_id)  # the membership rows, as a lapse holds them
        privatized = await team_repository.lapse(conn, team_id)
        for image in privatized:
            await emit_visibility_changed(conn, image)
        await team_repository.delete(conn, team_id)
        await _emit(conn, TeamRecord(team.team_id, team.name, team.version + 1, {}))
    log.info("team deleted", extra={"team_id": str(team_id), "actor_id": actor_id, "privatized": len(privatized)})
    return [image.image_id for image in privatized]


async def teams_of(pool: AsyncConnectionPool, user_id: str) -> tuple[list[TeamRecord], list[InviteRecord]]:
    async with pool.connection() as conn, conn.transaction():
        return await team_repository.teams_of(conn, user_id), await team_repository.invites_of(conn, user_id)
