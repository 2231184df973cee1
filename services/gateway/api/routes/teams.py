"""Teams: create (Team plan), invite by username, accept or decline, roles, leave, remove, list.

The visibility authority owns teams (membership decides who sees `team` images, read in the same
statement as each image: a removed member is denied from the moment the removal answers). The
gateway turns usernames into user ids and back. A team the caller is not a member of answers the
same 404 as one that does not exist.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response, status

from services.gateway.api.access import PRIVATE_NO_STORE, OpenApiResponses
from services.gateway.api.team_schemas import (
    TeamCreate,
    TeamDeleted,
    TeamInvitationOut,
    TeamInviteCreate,
    TeamInvited,
    TeamList,
    TeamMemberOut,
    TeamMemberRemoved,
    TeamOut,
    TeamRoleChange,
)
from services.gateway.auth.security import CurrentCaller
from services.gateway.clients.teams import MEMBER_NOT_FOUND, TEAM_NOT_FOUND, Team, TeamsClient, teams_client
from services.gateway.dependencies import GatewayDeps, deps_of
from services.gateway.problems import Problem, uuid_or_404

router = APIRouter(prefix="/api/v1/teams", tags=["teams"])

USER_NOT_FOUND = "User not found."
NOT_FOUND: OpenApiResponses = {404: {"description": "no such team of yours (or no such member in it)"}}


def _client(request: Request) -> TeamsClient:
    return teams_client(request)


def _id(value: str, not_found: str = TEAM_NOT_FOUND) -> str:
    return uuid_or_404(value, not_found)


async def _team_out(deps: GatewayDeps, team: Team, caller_id: str) -> TeamOut:
    names = await deps.accounts.usernames(list(team.members))
    return TeamOut(
        team_id=uuid.UUID(team.team_id),
        name=team.name,
        version=team.version,
        your_role=team.members.get(caller_id, "member"),
        lapsed=team.lapsed,
        members=[
            TeamMemberOut(user_id=uuid.UUID(user), username=names.get(user), role=role)
            for user, role in team.members.items()
        ],
    )


@router.get("", response_model=TeamList, summary="My teams, with their members, and my pending invitations")
async def list_teams(caller: CurrentCaller, request: Request, response: Response) -> TeamList:
    deps = deps_of(request)
    teams, invitations = await _client(request).of_user(caller.user_id)
    inviters = await deps.accounts.usernames([i.invited_by for i in invitations])
    response.headers["Cache-Control"] = PRIVATE_NO_STORE
    return TeamList(
        items=[await _team_out(deps, team, caller.user_id) for team in teams],
        invitations=[
            TeamInvitationOut(
                team_id=uuid.UUID(i.team_id), team_name=i.team_name, invited_by=inviters.get(i.invited_by)
            )
            for i in invitations
        ],
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=TeamOut,
    summary="Create a team; you become its owner",
    responses={403: {"description": "creating a team needs the Team plan"}},
)
async def create_team(body: TeamCreate, caller: CurrentCaller, request: Request) -> TeamOut:
    team = await _client(request).create(caller.user_id, body.name)
    return await _team_out(deps_of(request), team, caller.user_id)


@router.post(
    "/{team_id}/invitations",
    status_code=status.HTTP_201_CREATED,
    response_model=TeamInvited,
    summary="Invite a user by username (owners and admins)",
    responses={
        403: {"description": "only owners and admins invite"},
        404: {"description": "no such user, or no such team of yours"},
        409: {"description": "the user is already a member"},
    },
)
async def invite(team_id: str, body: TeamInviteCreate, caller: CurrentCaller, request: Request) -> TeamInvited:
    canonical = _id(team_id)
    invitee = await deps_of(request).accounts.user_by_username(body.username)
    if invitee is None:
        raise Problem(404, USER_NOT_FOUND)
    await _client(request).invite(caller.user_id, canonical, str(invitee.id))
    return TeamInvited(team_id=uuid.UUID(canonical), username=invitee.username)


@router.post(
    "/{team_id}/accept",
    response_model=TeamOut,
    summary="Accept my invitation to a team",
    responses={404: {"description": "no invitation of yours to this team"}},
)
async def accept(team_id: str, caller: CurrentCaller, request: Request) -> TeamOut:
    team = await _client(request).answer(caller.user_id, _id(team_id), True)
    if team is None:  # already a member: the invitation is used up, nothing changed
        teams, _ = await _client(request).of_user(caller.user_id)
        team = next((t for t in teams if t.team_id == _id(team_id)), None)
        if team is None:
            raise Problem(404, TEAM_NOT_FOUND)
    return await _team_out(deps_of(request), team, caller.user_id)


@router.post(
    "/{team_id}/decline",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Decline my invitation to a team",
    responses={404: {"description": "no invitation of yours to this team"}},
)
async def decline(team_id: str, caller: CurrentCaller, request: Request) -> Response:
    await _client(request).answer(caller.user_id, _id(team_id), False)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.patch(
    "/{team_id}/members/{user_id}",
    response_model=TeamOut,
    summary="Change a member's role (owners)",
    responses={
        **NOT_FOUND,
        403: {"description": "only owners change roles"},
        409: {"description": "the team would be left without an owner"},
    },
)
async def change_role(
    team_id: str, user_id: str, body: TeamRoleChange, caller: CurrentCaller, request: Request
) -> TeamOut:
    team = await _client(request).set_role(
        caller.user_id, _id(team_id, MEMBER_NOT_FOUND), _id(user_id, MEMBER_NOT_FOUND), body.role
    )
    return await _team_out(deps_of(request), team, caller.user_id)


async def _remove(request: Request, caller_id: str, team_id: str, member_id: str) -> TeamMemberRemoved:
    privatized = await _client(request).remove(caller_id, team_id, member_id)
    return TeamMemberRemoved(
        team_id=uuid.UUID(team_id),
        user_id=uuid.UUID(member_id),
        privatized_image_ids=[uuid.UUID(i) for i in privatized],
    )


@router.delete(
    "/{team_id}/members/{user_id}",
    response_model=TeamMemberRemoved,
    summary="Remove a member (owners: anyone; admins: members), or leave (your own id)",
    description="From the moment this answers the member sees none of the team's images; their own "
    "images shared with the team become private to them (never public).",
    responses={
        **NOT_FOUND,
        403: {"description": "your role does not allow removing this member"},
        409: {"description": "the team's last owner cannot leave or be removed"},
    },
)
async def remove_member(team_id: str, user_id: str, caller: CurrentCaller, request: Request) -> TeamMemberRemoved:
    return await _remove(request, caller.user_id, _id(team_id, MEMBER_NOT_FOUND), _id(user_id, MEMBER_NOT_FOUND))


@router.post(
    "/{team_id}/leave",
    response_model=TeamMemberRemoved,
    summary="Leave a team",
    description="As DELETE /api/v1/teams/{team_id}/members/{your user id}.",
    responses={**NOT_FOUND, 409: {"description": "the team's last owner cannot leave"}},
)
async def leave(team_id: str, caller: CurrentCaller, request: Request) -> TeamMemberRemoved:
    return await _remove(request, caller.user_id, _id(team_id), caller.user_id)


@router.delete(
    "/{team_id}",
    response_model=TeamDeleted,
    summary="Delete a team (owners)",
    description="Every image shared with the team becomes private to its maker (never public) and every "
    "membership ends, at once.",
    responses={**NOT_FOUND, 403: {"description": "only a team's owners can delete it"}},
)
async def delete_team(team_id: str, caller: CurrentCaller, request: Request, response: Response) -> TeamDeleted:
    canonical = _id(team_id)
    privatized = await _client(request).delete(caller.user_id, canonical)
    response.headers["Cache-Control"] = PRIVATE_NO_STORE
    return TeamDeleted(team_id=uuid.UUID(canonical), privatized_image_ids=[uuid.UUID(i) for i in privatized])
