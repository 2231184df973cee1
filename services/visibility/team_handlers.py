"""VisibilityService's team methods: protobuf ↔ team_authority, and team rule refusals → gRPC
status (NOT_FOUND "team not found" for a team the actor is not in, exactly as for one that does not
exist; PERMISSION_DENIED for a role that does not allow it; FAILED_PRECONDITION for a change that
would break the team's state, such as removing its last owner)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar
from uuid import UUID

import grpc
from psycopg_pool import AsyncConnectionPool

from atelier.visibility.v1 import visibility_pb2 as pb
from glue.ids import parse_uuid
from services.visibility import team_authority
from services.visibility.policy import Account
from services.visibility.team_repository import TeamRecord
from services.visibility.teams import (
    ADMIN,
    MEMBER,
    OWNER,
    TEAM_NOT_FOUND,
    Refusal,
    TeamRuleBroken,
    clean_name,
)

T = TypeVar("T")
ROLE_TO_PROTO = {OWNER: pb.TEAM_ROLE_OWNER, ADMIN: pb.TEAM_ROLE_ADMIN, MEMBER: pb.TEAM_ROLE_MEMBER}
ROLE_FROM_PROTO = {value: name for name, value in ROLE_TO_PROTO.items()}
_STATUS = {
    Refusal.NOT_FOUND: grpc.StatusCode.NOT_FOUND,
    Refusal.FORBIDDEN: grpc.StatusCode.PERMISSION_DENIED,
    Refusal.CONFLICT: grpc.StatusCode.FAILED_PRECONDITION,
}


def team_to_proto(team: TeamRecord) -> pb.Team:
    return pb.Team(
        team_id=team.team_id,
        name=team.name,
        version=team.version,
        members=[pb.TeamMember(user_id=user, role=ROLE_TO_PROTO[role]) for user, role in team.members.items()],
        lapsed=team.lapsed,
    )


async def _team_id(context: grpc.aio.ServicerContext, value: str) -> UUID:
    team_id = parse_uuid(value)
    if team_id is None:  # names no team: answered like any team the actor is not in
        await context.abort(grpc.StatusCode.NOT_FOUND, TEAM_NOT_FOUND)
    return team_id


async def _actor(context: grpc.aio.ServicerContext, value: str, field: str = "actor_id") -> str:
    if not value:
        await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"{field}: is required")
    return value


async def _ruled(context: grpc.aio.ServicerContext, operation: Callable[[], Awaitable[T]]) -> T:
    try:
        return await operation()
    except TeamRuleBroken as broken:
        await context.abort(_STATUS[broken.kind], broken.message)
        raise  # abort raises; for the type checker


class TeamHandlers:
    """Mixed into VisibilityServicer, which provides the pool and the billing question."""

    _pool: AsyncConnectionPool

    async def _account(self, actor_id: str, context: grpc.aio.ServicerContext) -> Account:
        raise NotImplementedError

    async def CreateTeam(self, request: pb.CreateTeamRequest, context: grpc.aio.ServicerContext):
        actor = await _actor(context, request.actor_id)
        try:
            name = clean_name(request.name)
        except ValueError as error:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))
        account = await self._account(actor, context)
        team = await _ruled(context, lambda: team_authority.create_team(self._pool, actor, name, account))
        return pb.CreateTeamResponse(team=team_to_proto(team))

    async def InviteToTeam(self, request: pb.InviteToTeamRequest, context: grpc.aio.ServicerContext):
        actor = await _actor(context, request.actor_id)
        invitee = await _actor(context, request.invitee_id, "invitee_id")
        team_id = await _team_id(context, request.team_id)
        await _ruled(context, lambda: team_authority.invite(self._pool, actor, team_id, invitee))
        return pb.InviteToTeamResponse()

    async def AnswerTeamInvite(self, request: pb.AnswerTeamInviteRequest, context: grpc.aio.ServicerContext):
        actor = await _actor(context, request.actor_id)
        team_id = await _team_id(context, request.team_id)
        team = await _ruled(context, lambda: team_authority.answer_invite(self._pool, actor, team_id, request.accept))
        return pb.AnswerTeamInviteResponse(team=team_to_proto(team) if team is not None else None)

    async def SetTeamRole(self, request: pb.SetTeamRoleRequest, context: grpc.aio.ServicerContext):
        actor = await _actor(context, request.actor_id)
        team_id = await _team_id(context, request.team_id)
        role = ROLE_FROM_PROTO.get(request.role)
        if role is None:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "role: must be OWNER, ADMIN or MEMBER")
        team = await _ruled(
            context, lambda: team_authority.set_role(self._pool, actor, team_id, request.member_id, role)
        )
        return pb.SetTeamRoleResponse(team=team_to_proto(team))

    async def RemoveFromTeam(self, request: pb.RemoveFromTeamRequest, context: grpc.aio.ServicerContext):
        actor = await _actor(context, request.actor_id)
        team_id = await _team_id(context, request.team_id)
        member = request.member_id or actor
        privatized = await _ruled(context, lambda: team_authority.remove(self._pool, actor, team_id, member))
        return pb.RemoveFromTeamResponse(privatized_image_ids=privatized)

    async def DeleteTeam(self, request: pb.DeleteTeamRequest, context: grpc.aio.ServicerContext):
        actor = await _actor(context, request.actor_id)
        team_id = await _team_id(context, request.team_id)
        privatized = await _ruled(context, lambda: team_authority.delete(self._pool, actor, team_id))
        return pb.DeleteTeamResponse(privatized_image_ids=privatized)

    async def ListTeams(self, request: pb.ListTeamsRequest, context: grpc.aio.ServicerContext):
        user = await _actor(context, request.user_id, "user_id")
        teams, invites = await team_authority.teams_of(self._pool, user)
        return pb.ListTeamsResponse(
            teams=[team_to_proto(team) for team in teams],
            invites=[pb.TeamInvite(team_id=i.team_id, team_name=i.team_name, invited_by=i.invited_by) for i in invites],
        )
