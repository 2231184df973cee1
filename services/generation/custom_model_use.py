"""A custom model as one viewer may reach it, read from this service's tables and authorised with
the visibility authority's answer about the viewer's teams (custom_model_access.py says who may).
Asked at every read, at submission and again at job start, so a removed member, a team that
lapsed or an owner who left stops a team's use at once. The authority is asked only for a model
shared with a team that is not the viewer's own; when it cannot answer, DependencyUnavailable
(nothing is used: fail closed), except that a list then shows the viewer's own models only."""

from __future__ import annotations

import logging
from typing import Protocol
from uuid import UUID

from psycopg_pool import AsyncConnectionPool

from services.generation import custom_models_repository as models_repository
from services.generation.clients import DependencyUnavailable, TeamStanding
from services.generation.custom_model_access import may_use, usable_teams
from services.generation.custom_models_repository import CustomModelRecord

log = logging.getLogger(__name__)


class TeamDirectory(Protocol):
    """The visibility authority's answer about a user's teams (clients.VisibilityClient is one)."""

    async def teams_of(self, user_id: str) -> list[TeamStanding]: ...


class ModelUse:
    def __init__(self, pool: AsyncConnectionPool, teams: TeamDirectory):
        self._pool = pool
        self._teams = teams

    async def teams_of(self, viewer_id: str) -> dict[str, TeamStanding]:
        """The viewer's teams that have not lapsed, by id."""
        return usable_teams(await self._teams.teams_of(viewer_id))

    async def usable(self, viewer_id: str, model_id: UUID, *, with_images: bool = False) -> CustomModelRecord | None:
        """The model if it exists, is not being deleted, and the viewer may use it; else None."""
        async with self._pool.connection() as conn:
            model = await models_repository.get_model(conn, model_id, with_images=with_images)
        if model is None or not viewer_id:
            return None
        if model.owner_id == viewer_id:
            return model
        if model.team_id is None:
            return None
        teams = await self.teams_of(viewer_id)
        return model if may_use(model.owner_id, str(model.team_id), viewer_id, teams) else None

    async def visible_list(self, viewer_id: str) -> list[CustomModelRecord]:
        """The viewer's own models and those their teams may use, newest first."""
        try:
            teams = await self.teams_of(viewer_id)
        except DependencyUnavailable as error:  # the owner's own need no authority
            log.warning("team models left out of a list: the authority did not answer", extra={"error": str(error)})
            teams = {}
        async with self._pool.connection() as conn:
            models = await models_repository.list_models(conn, viewer_id, [UUID(t) for t in teams])
        return [m for m in models if may_use(m.owner_id, str(m.team_id or ""), viewer_id, teams)]
