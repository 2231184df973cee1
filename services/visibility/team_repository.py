"""SQL for teams, memberships and invitations (psycopg 3, the visibility schema).

Locking order, the same everywhere so that nothing deadlocks: the team row (membership changes
serialise on it), then membership rows, then image rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import psycopg

from glue.db import one_row
from services.visibility.policy import PRIVATE, ImageState
from services.visibility.repository import IMAGE_COLUMNS, image_state


@dataclass(frozen=True)
class TeamRecord:
    team_id: str
    name: str
    version: int
    # user_id -> role
    members: dict[str, str]
    # No owner holds a Team plan (team_lapse.py).
    lapsed: bool = False


@dataclass(frozen=True)
class InviteRecord:
    team_id: str
    team_name: str
    invited_by: str


async def create(conn: psycopg.AsyncConnection, team_id: UUID, name: str, owner_id: str) -> None:
    await conn.execute("INSERT INTO teams (team_id, name, created_by) VALUES (%s, %s, %s)", (team_id, name, owner_id))
    await conn.execute(
        "INSERT INTO team_members (team_id, user_id, role) VALUES (%s, %s, 'owner')", (team_id, owner_id)
    )


async def lock_team(conn: psycopg.AsyncConnection, team_id: UUID) -> TeamRecord | None:
    """The team with its members, its row locked for a membership change (None: no such team)."""
    cursor = await conn.execute("SELECT name, version FROM teams WHERE team_id = %s FOR UPDATE", (team_id,))
    row = await cursor.fetchone()
    if row is None:
        return None
    return TeamRecord(str(team_id), row[0], row[1], await _members(conn, team_id))


async def _members(conn: psycopg.AsyncConnection, team_id: UUID) -> dict[str, str]:
    cursor = await conn.execute(
        "SELECT user_id, role FROM team_members WHERE team_id = %s ORDER BY joined_at, user_id", (team_id,)
    )
    return {user_id: role for user_id, role in await cursor.fetchall()}


async def bump_version(conn: psycopg.AsyncConnection, team_id: UUID) -> TeamRecord:
    cursor = await conn.execute(
        "UPDATE teams SET version = version + 1 WHERE team_id = %s RETURNING name, version", (team_id,)
    )
    row = await one_row(cursor)
    return TeamRecord(str(team_id), row[0], row[1], await _members(conn, team_id))


async def add_invite(conn: psycopg.AsyncConnection, team_id: UUID, user_id: str, invited_by: str) -> None:
    await conn.execute(
        "INSERT INTO team_invites (team_id, user_id, invited_by) VALUES (%s, %s, %s)"
        " ON CONFLICT (team_id, user_id) DO NOTHING",
        (team_id, user_id, invited_by),
    )


async def take_invite(conn: psycopg.AsyncConnection, team_id: UUID, user_id: str) -> bool:
    """Removes the user's invitation to the team; whether there was one."""
    cursor = await conn.execute(
        "DELETE FROM team_invites WHERE team_id = %s AND user_id = %s RETURNING 1", (team_id, user_id)
    )
    return await cursor.fetchone() is not None


async def add_member(conn: psycopg.AsyncConnection, team_id: UUID, user_id: str, role: str) -> None:
    await conn.execute(
        "INSERT INTO team_members (team_id, user_id, role) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
        (team_id, user_id, role),
    )


async def set_role(conn: psycopg.AsyncConnection, team_id: UUID, user_id: str, role: str) -> None:
    await conn.execute(
        "UPDATE team_members SET role = %s WHERE team_id = %s AND user_id = %s", (role, team_id, user_id)
    )


async def remove_member(conn: psycopg.AsyncConnection, team_id: UUID, user_id: str) -> list[ImageState]:
    """Ends the membership and turns the member's images in the team's scope private to them, in
    the caller's transaction: the two commit together, so no read ever sees the member gone while
    their images are still shared, nor the images private while they are still a member."""
    await conn.execute("DELETE FROM team_members WHERE team_id = %s AND user_id = %s", (team_id, user_id))
    cursor = await conn.execute(
        "UPDATE images SET visibility = %s, team_id = NULL, version = version + 1, updated_at = now()"
        f" WHERE team_id = %s AND owner_id = %s RETURNING {IMAGE_COLUMNS}",
        (PRIVATE, team_id, user_id),
    )
    return [image_state(row) for row in await cursor.fetchall()]


async def lock_membership(conn: psycopg.AsyncConnection, team_id: UUID, user_id: str) -> bool:
    """Whether the user is a member, holding the membership row (FOR SHARE) until the caller's
    transaction ends, so a removal cannot commit in between and leave an image shared with a team
    its owner has left."""
    cursor = await conn.execute(
        "SELECT 1 FROM team_members WHERE team_id = %s AND user_id = %s FOR SHARE", (team_id, user_id)
    )
    return await cursor.fetchone() is not None


async def teams_of(conn: psycopg.AsyncConnection, user_id: str) -> list[TeamRecord]:
    cursor = await conn.execute(
        "SELECT t.team_id, t.name, t.version, t.lapsed_at IS NOT NULL FROM teams t JOIN team_members m"
        " USING (team_id) WHERE m.user_id = %s ORDER BY t.created_at, t.team_id",
        (user_id,),
    )
    rows = await cursor.fetchall()
    return [
        TeamRecord(str(team_id), name, version, await _members(conn, team_id), lapsed)
        for team_id, name, version, lapsed in rows
    ]


async def invites_of(conn: psycopg.AsyncConnection, user_id: str) -> list[InviteRecord]:
    cursor = await conn.execute(
        "SELECT i.team_id, t.name, i.invited_by FROM team_invites i JOIN teams t USING (team_id)"
        " WHERE i.user_id = %s ORDER BY i.created_at",
        (user_id,),
    )
    return [InviteRecord(str(team_id), name, invited_by) for team_id, name, invited_by in await cursor.fetchall()]


async def is_lapsed(conn: psycopg.AsyncConnection, team_id: UUID) -> bool:
    """Read in a statement after lock_membership, so a lapse that committed while it waited is seen."""
    cursor = await conn.execute("SELECT lapsed_at IS NOT NULL FROM teams WHERE team_id = %s", (team_id,))
    row = await cursor.fetchone()
    return row is None or bool(row[0])


async def record_plan(conn: psycopg.AsyncConnection, user_id: str, version: int, holds: bool) -> bool:
    """Keeps the newest PlanChanged of a user; whether this one was newer (an older or repeated
    event changes nothing)."""
    cursor = await conn.execute(
        "INSERT INTO team_plan_holders (user_id, version, holds) VALUES (%s, %s, %s)"
        " ON CONFLICT (user_id) DO UPDATE SET version = EXCLUDED.version, holds = EXCLUDED.holds"
        " WHERE team_plan_holders.version < EXCLUDED.version RETURNING 1",
        (user_id, version, holds),
    )
    return await cursor.fetchone() is not None


async def record_creator_plan(conn: psycopg.AsyncConnection, user_id: str) -> None:
    """Billing has just answered that the creator holds a Team plan: true now, at the version we
    last saw, so the next PlanChanged still overrides it."""
    await conn.execute(
        "INSERT INTO team_plan_holders (user_id, version, holds) VALUES (%s, 0, true)"
        " ON CONFLICT (user_id) DO UPDATE SET holds = true",
        (user_id,),
    )


async def teams_owned_by(conn: psycopg.AsyncConnection, user_id: str) -> list[UUID]:
    cursor = await conn.execute(
        "SELECT team_id FROM team_members WHERE user_id = %s AND role = 'owner' ORDER BY team_id", (user_id,)
    )
    return [row[0] for row in await cursor.fetchall()]


async def lock_for_lapse(conn: psycopg.AsyncConnection, team_id: UUID) -> tuple[bool, list[str], set[str]]:
    """(lapsed already, owners, owners holding a Team plan), with the team row and every membership
    row locked FOR UPDATE: a SetVisibility to the team holds its actor's row FOR SHARE, so it either
    commits before the lapse (whose UPDATE then takes its image too) or reads the lapse after it."""
    cursor = await conn.execute("SELECT lapsed_at IS NOT NULL FROM teams WHERE team_id = %s FOR UPDATE", (team_id,))
    row = await one_row(cursor)
    cursor = await conn.execute(
        "SELECT m.user_id, m.role, COALESCE(h.holds, false) FROM team_members m"
        " LEFT JOIN team_plan_holders h USING (user_id) WHERE m.team_id = %s ORDER BY m.user_id FOR UPDATE OF m",
        (team_id,),
    )
    rows = await cursor.fetchall()
    owners = [user_id for user_id, role, _ in rows if role == "owner"]
    return bool(row[0]), owners, {user_id for user_id, role, holds in rows if role == "owner" and holds}


async def lapse(conn: psycopg.AsyncConnection, team_id: UUID) -> list[ImageState]:
    """Marks the team lapsed and turns every image in its scope private to its owner, in the
    caller's transaction: one commit, so no read sees the team lapsed with an image still shared."""
    await conn.execute("UPDATE teams SET lapsed_at = now() WHERE team_id = %s", (team_id,))
    cursor = await conn.execute(
        "UPDATE images SET visibility = %s, team_id = NULL, version = version + 1, updated_at = now()"
        f" WHERE team_id = %s RETURNING {IMAGE_COLUMNS}",
        (PRIVATE, team_id),
    )
    return [image_state(row) for row in await cursor.fetchall()]


async def delete(conn: psycopg.AsyncConnection, team_id: UUID) -> None:
    """Removes the team, its memberships and invitations; its images left its scope first (lapse)."""
    await conn.execute("DELETE FROM team_invites WHERE team_id = %s", (team_id,))
    await conn.execute("DELETE FROM team_members WHERE team_id = %s", (team_id,))
    await conn.execute("DELETE FROM teams WHERE team_id = %s", (team_id,))


async def reinstate(conn: psycopg.AsyncConnection, team_ids: list[UUID]) -> None:
    """An owner holds a Team plan again: its members may share with it again (nothing turns back)."""
    await conn.execute(
        "UPDATE teams SET lapsed_at = NULL WHERE team_id = ANY(%s) AND lapsed_at IS NOT NULL", (team_ids,)
    )
