"""Request and response bodies of the team routes (/api/v1/teams)."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

TeamRole = Literal["owner", "admin", "member"]


class _Request(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


class TeamCreate(_Request):
    name: str = Field(min_length=1, max_length=80)


class TeamInviteCreate(_Request):
    username: str = Field(min_length=1, max_length=64)


class TeamRoleChange(_Request):
    role: TeamRole


class TeamMemberOut(BaseModel):
    user_id: uuid.UUID
    username: str | None = Field(description="absent for an account that no longer exists")
    role: TeamRole


class TeamOut(BaseModel):
    team_id: uuid.UUID
    name: str
    version: int = Field(description="+1 per membership change")
    your_role: TeamRole
    members: list[TeamMemberOut]
    lapsed: bool = Field(
        default=False,
        description="no owner holds a Team plan: its images are private to their makers, nothing can be shared with it",
    )


class TeamInvitationOut(BaseModel):
    team_id: uuid.UUID
    team_name: str
    invited_by: str | None = Field(description="the inviter's username")


class TeamList(BaseModel):
    items: list[TeamOut]
    invitations: list[TeamInvitationOut]


class TeamInvited(BaseModel):
    team_id: uuid.UUID
    username: str


class TeamDeleted(BaseModel):
    team_id: uuid.UUID
    privatized_image_ids: list[uuid.UUID] = Field(
        description="the images that were shared with the team and are now private to their makers"
    )


class TeamMemberRemoved(BaseModel):
    team_id: uuid.UUID
    user_id: uuid.UUID
    privatized_image_ids: list[uuid.UUID] = Field(
        description="the member's images that were shared with the team and are now private to them"
    )
