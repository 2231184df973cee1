"""Who may change a team's membership: pure rules, no I/O (team_store.py loads the facts and
writes what these allow).

Roles: an owner does everything (invite, remove anyone, change roles); an admin invites and
removes plain members; a member may leave. A team always keeps at least one owner.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Mapping

OWNER = "owner"
ADMIN = "admin"
MEMBER = "member"
ROLES = (OWNER, ADMIN, MEMBER)
# The entitlement (plans.toml) that lets a user create a team.
TEAMS_ENTITLEMENT = "teams"
MAX_NAME_LENGTH = 80

TEAM_NOT_FOUND = "team not found"
MEMBER_NOT_FOUND = "member not found"
INVITE_NOT_FOUND = "invitation not found"
NEEDS_TEAM_PLAN = "Creating a team needs the Team plan."
ADMINS_INVITE = "Only a team's owners and admins can invite."
ADMINS_REMOVE = "Only a team's owners and admins can remove members."
OWNERS_SET_ROLES = "Only a team's owners can change roles."
ADMINS_REMOVE_MEMBERS = "Admins can remove members only; an owner removes admins and owners."
LAST_OWNER = "A team needs an owner: make another member an owner first."
OWNERS_DELETE = "Only a team's owners can delete it."
ALREADY_MEMBER = "That user is already a member of this team."


class Refusal(enum.Enum):
    NOT_FOUND = "not_found"  # the thing is not there, or the actor may not know it is
    FORBIDDEN = "forbidden"  # the actor's role does not allow it
    CONFLICT = "conflict"  # it would break a rule of the team's state


class TeamRuleBroken(Exception):
    def __init__(self, kind: Refusal, message: str):
        super().__init__(message)
        self.kind = kind
        self.message = message


def role_of(members: Mapping[str, str], user_id: str) -> str:
    """The user's role, raising NOT_FOUND for a non-member: a team is invisible to outsiders."""
    role = members.get(user_id) if user_id else None
    if role is None:
        raise TeamRuleBroken(Refusal.NOT_FOUND, TEAM_NOT_FOUND)
    return role


def check_invite(members: Mapping[str, str], actor_id: str, invitee_id: str) -> None:
    if role_of(members, actor_id) not in (OWNER, ADMIN):
        raise TeamRuleBroken(Refusal.FORBIDDEN, ADMINS_INVITE)
    if invitee_id in members:
        raise TeamRuleBroken(Refusal.CONFLICT, ALREADY_MEMBER)


def _owners_after(members: Mapping[str, str], member_id: str, new_role: str | None) -> int:
    after = dict(members)
    if new_role is None:
        after.pop(member_id, None)
    else:
        after[member_id] = new_role
    return sum(1 for role in after.values() if role == OWNER)


def check_role_change(members: Mapping[str, str], actor_id: str, member_id: str, role: str) -> None:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    if role_of(members, actor_id) != OWNER:
        raise TeamRuleBroken(Refusal.FORBIDDEN, OWNERS_SET_ROLES)
    if member_id not in members:
        raise TeamRuleBroken(Refusal.NOT_FOUND, MEMBER_NOT_FOUND)
    if _owners_after(members, member_id, role) == 0:
        raise TeamRuleBroken(Refusal.CONFLICT, LAST_OWNER)


def check_removal(members: Mapping[str, str], actor_id: str, member_id: str) -> None:
    """Leaving (member_id == actor_id) is every member's right, but the last owner's."""
    actor_role = role_of(members, actor_id)
    if member_id not in members:
        raise TeamRuleBroken(Refusal.NOT_FOUND, MEMBER_NOT_FOUND)
    if member_id != actor_id:
        if actor_role == MEMBER:
            raise TeamRuleBroken(Refusal.FORBIDDEN, ADMINS_REMOVE)
        if actor_role == ADMIN and members[member_id] != MEMBER:
            raise TeamRuleBroken(Refusal.FORBIDDEN, ADMINS_REMOVE_MEMBERS)
    if _owners_after(members, member_id, None) == 0:
        raise TeamRuleBroken(Refusal.CONFLICT, LAST_OWNER)


def check_deletion(members: Mapping[str, str], actor_id: str) -> None:
    if role_of(members, actor_id) != OWNER:
        raise TeamRuleBroken(Refusal.FORBIDDEN, OWNERS_DELETE)


def clean_name(raw: str) -> str:
    name = " ".join(raw.split())
    if not name or len(name) > MAX_NAME_LENGTH:
        raise ValueError(f"name: 1 to {MAX_NAME_LENGTH} characters")
    return name


TEAM_LAPSED = "This team's plan has ended: its images are private to their makers until an owner subscribes again."


def holds_team_plan(active: bool, entitlements: Collection[str]) -> bool:
    """Whether an account pays for teams: an active plan with the teams entitlement."""
    return active and TEAMS_ENTITLEMENT in entitlements


def lapses(owner_ids: Collection[str], holders: Collection[str]) -> bool:
    """A team lapses when none of its owners holds a Team plan (an owner billing never told us
    about holds none: fail closed)."""
    return not any(owner in holders for owner in owner_ids)
