"""The gateway's client of the visibility authority's team methods. Teams live with the authority
because membership decides who sees `team` images (services/visibility/teams.py); the gateway
only turns usernames into user ids and back."""

from __future__ import annotations

from dataclasses import dataclass

import grpc
from fastapi import Request

from atelier.visibility.v1 import visibility_pb2, visibility_pb2_grpc
from services.gateway.clients import rpc
from services.gateway.problems import available

TEAM_NOT_FOUND = "Team not found."
INVITATION_NOT_FOUND = "Invitation not found."
MEMBER_NOT_FOUND = "Team or member not found."
ROLE_BY_NAME = {
    "owner": visibility_pb2.TEAM_ROLE_OWNER,
    "admin": visibility_pb2.TEAM_ROLE_ADMIN,
    "member": visibility_pb2.TEAM_ROLE_MEMBER,
}
ROLE_NAME = {value: name for name, value in ROLE_BY_NAME.items()}


@dataclass(frozen=True)
class Team:
    team_id: str
    name: str
    version: int
    # user_id -> role, in the order they joined
    members: dict[str, str]
    lapsed: bool = False


@dataclass(frozen=True)
class Invitation:
    team_id: str
    team_name: str
    invited_by: str


def _team(team: visibility_pb2.Team) -> Team:
    return Team(
        team.team_id,
        team.name,
        team.version,
        {m.user_id: ROLE_NAME.get(m.role, "member") for m in team.members},
        team.lapsed,
    )


class TeamsClient:
    def __init__(self, channel: grpc.aio.Channel, timeout_s: float, user_tokens: rpc.UserTokens | None = None):
        self._stub = visibility_pb2_grpc.VisibilityServiceStub(channel)
        self._team_call = rpc.UserCalls("visibility", TEAM_NOT_FOUND, timeout_s, user_tokens)
        self._invite_call = rpc.UserCalls("visibility", INVITATION_NOT_FOUND, timeout_s, user_tokens)
        self._member_call = rpc.UserCalls("visibility", MEMBER_NOT_FOUND, timeout_s, user_tokens)

    async def create(self, actor_id: str, name: str) -> Team:
        request = visibility_pb2.CreateTeamRequest(actor_id=actor_id, name=name)
        return _team((await self._team_call(self._stub.CreateTeam, request, actor_id)).team)

    async def invite(self, actor_id: str, team_id: str, invitee_id: str) -> None:
        request = visibility_pb2.InviteToTeamRequest(actor_id=actor_id, team_id=team_id, invitee_id=invitee_id)
        await self._team_call(self._stub.InviteToTeam, request, actor_id)

    async def answer(self, actor_id: str, team_id: str, accept: bool) -> Team | None:
        request = visibility_pb2.AnswerTeamInviteRequest(actor_id=actor_id, team_id=team_id, accept=accept)
        reply = await self._invite_call(self._stub.AnswerTeamInvite, request, actor_id)
        return _team(reply.team) if reply.HasField("team") else None

    async def set_role(self, actor_id: str, team_id: str, member_id: str, role: str) -> Team:
        request = visibility_pb2.SetTeamRoleRequest(
            actor_id=actor_id, team_id=team_id, member_id=member_id, role=ROLE_BY_NAME[role]
        )
        return _team((await self._member_call(self._stub.SetTeamRole, request, actor_id)).team)

    async def remove(self, actor_id: str, team_id: str, member_id: str) -> list[str]:
        request = visibility_pb2.RemoveFromTeamRequest(actor_id=actor_id, team_id=team_id, member_id=member_id)
        return list((await self._member_call(self._stub.RemoveFromTeam, request, actor_id)).privatized_image_ids)

    async def delete(self, actor_id: str, team_id: str) -> list[str]:
        request = visibility_pb2.DeleteTeamRequest(actor_id=actor_id, team_id=team_id)
        return list((await self._team_call(self._stub.DeleteTeam, request, actor_id)).privatized_image_ids)

    async def of_user(self, user_id: str) -> tuple[list[Team], list[Invitation]]:
        reply = await self._team_call(self._stub.ListTeams, visibility_pb2.ListTeamsRequest(user_id=user_id), user_id)
        invites = [Invitation(i.team_id, i.team_name, i.invited_by) for i in reply.invites]
        return [_team(team) for team in reply.teams], invites


def teams_client(request: Request) -> TeamsClient:
    """The app's client; 503 when this server runs without one (create_app keeps the GatewayDeps on app.state)."""
    return available(request.app.state.deps.teams, TeamsClient, "Teams")
