"""A team's plan ends: billing's PlanChanged (versioned per account) says a user no longer holds a
Team plan, and every team of theirs that no other owner pays for lapses.

One transaction per event: the user's newest plan, and for each team that lapses its images
turned private to their owners (versioned, each with its VisibilityChanged through the outbox, so
the feed and webhooks follow). Never public on the way (P4): the only write is to private. When an
owner holds the plan again the team is reinstated; its images stay private until shared again.
"""

from __future__ import annotations

import logging
from uuid import UUID

from psycopg_pool import AsyncConnectionPool

from services.visibility import metrics, team_repository
from services.visibility.authority import emit_visibility_changed
from services.visibility.teams import lapses

log = logging.getLogger(__name__)


async def plan_changed(pool: AsyncConnectionPool, user_id: str, version: int, holds_team_plan: bool) -> list[str]:
    """Applies one PlanChanged; answers the ids of images that left a lapsed team's scope."""
    privatized: list[str] = []
    lapsed_teams: list[UUID] = []
    async with pool.connection() as conn, conn.transaction():
        if not await team_repository.record_plan(conn, user_id, version, holds_team_plan):
            return []  # an older or repeated event: the newer one already decided
        teams = await team_repository.teams_owned_by(conn, user_id)
        if holds_team_plan:
            await team_repository.reinstate(conn, teams)
            return []
        for team_id in teams:  # in team_id order: two lapses never deadlock
            already, owners, holders = await team_repository.lock_for_lapse(conn, team_id)
            if already or not lapses(owners, holders):
                continue
            for image in await team_repository.lapse(conn, team_id):
                await emit_visibility_changed(conn, image)
                privatized.append(image.image_id)
            lapsed_teams.append(team_id)
    if lapsed_teams:
        metrics.CHANGES.labels("private").inc(len(privatized))
        log.info(
            "team plan lapsed",
            extra={"user_id": user_id, "teams": [str(t) for t in lapsed_teams], "privatized": len(privatized)},
        )
    return privatized
