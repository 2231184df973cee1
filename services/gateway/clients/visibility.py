"""The gateway's client of VisibilityService, the single authority on who may see an image (P1).

Reads: `authorize` answers which of some images a viewer may see, at the moment of the request;
it fails closed — when the authority cannot answer, the caller gets 503 and no image data.
`current` answers the authority's visibility of an owner's own images (never the generation
row's initial value). Writes: `set_one` and `set_many`, whose refusals carry the authority's
sentence for the user.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import grpc
from fastapi import Request
from grpc_health.v1 import health_pb2_grpc

from atelier.common.v1 import visibility_pb2 as common_pb2
from atelier.visibility.v1 import visibility_pb2, visibility_pb2_grpc
from services.gateway.clients import rpc
from services.gateway.problems import Problem

log = logging.getLogger(__name__)

SERVICE_NAME = visibility_pb2.DESCRIPTOR.services_by_name["VisibilityService"].full_name
# The authority answers at most this many ids per call.
MAX_IDS_PER_CALL = 500
IMAGE_NOT_FOUND = "Image not found."
# The API's visibility names ↔ the services' enum (atelier.common.v1), for every message in and out.
VISIBILITY_BY_NAME = {"public": common_pb2.VISIBILITY_PUBLIC, "private": common_pb2.VISIBILITY_PRIVATE}
# What a change may ask for: the above, and a team's scope (never asked at submit).
SCOPE_BY_NAME = {**VISIBILITY_BY_NAME, "team": common_pb2.VISIBILITY_TEAM}


def visibility_name(visibility: int) -> str:
    # Anything but an explicit PUBLIC or TEAM is shown as private (P3: never public by default).
    if visibility == common_pb2.VISIBILITY_PUBLIC:
        return "public"
    return "team" if visibility == common_pb2.VISIBILITY_TEAM else "private"


@dataclass(frozen=True)
class ImageState:
    image_id: str
    visibility: str  # "public" | "private" | "team"
    version: int
    team_id: str = ""


@dataclass(frozen=True)
class Authorized:
    """Which images a viewer may see now, and which of those only as a member of their team."""

    allowed: set[str]
    through_team: set[str]


@dataclass(frozen=True)
class Refusal:
    image_id: str
    reason: str


def _state(image: visibility_pb2.ImageVisibility) -> ImageState:
    return ImageState(image.image_id, visibility_name(image.visibility), image.version, image.team_id)


def _sentence(reason: str) -> str:
    reason = reason.strip() or "Refused."
    reason = reason[0].upper() + reason[1:]
    return reason if reason.endswith((".", "!", "?")) else reason + "."


def _chunks(ids: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(ids), MAX_IDS_PER_CALL):
        yield ids[start : start + MAX_IDS_PER_CALL]


class VisibilityClient:
    def __init__(self, channel: grpc.aio.Channel, timeout_s: float, user_tokens: rpc.UserTokens | None = None):
        self._stub = visibility_pb2_grpc.VisibilityServiceStub(channel)
        self._tokens = user_tokens or rpc.UserTokens(None)
        self._health = health_pb2_grpc.HealthStub(channel)
        self._timeout_s = timeout_s
        self._call = rpc.UserCalls("visibility", IMAGE_NOT_FOUND, timeout_s, user_tokens)

    async def is_team_member(self, user_id: str, team_id: str) -> bool:
        """Whether the user is a current member of the team (a submission to it; the teams routes
        use clients/teams.py)."""
        reply = await self._call(self._stub.ListTeams, visibility_pb2.ListTeamsRequest(user_id=user_id), user_id)
        return any(team.team_id == team_id for team in reply.teams)

    async def authorize(self, viewer_id: str, image_ids: Sequence[str]) -> set[str]:
        """The subset of image_ids the viewer ("" = anonymous) may see now. Raises a 503 problem
        when the authority cannot answer: the caller then shows nothing (fail closed)."""
        return (await self.authorize_scoped(viewer_id, image_ids)).allowed

    async def authorize_scoped(self, viewer_id: str, image_ids: Sequence[str]) -> Authorized:
        """As authorize, also telling which images the viewer sees only through a team (shown as
        team images, never cacheable by a shared cache)."""
        allowed: set[str] = set()
        through_team: set[str] = set()
        for chunk in _chunks(list(dict.fromkeys(image_ids))):
            try:
                reply = await self._stub.Authorize(
                    visibility_pb2.AuthorizeRequest(viewer_id=viewer_id, image_ids=chunk),
                    timeout=self._timeout_s,
                    metadata=self._tokens.metadata(viewer_id),
                )
            except grpc.aio.AioRpcError as error:
                log.warning("authorize failed; denying", extra={"code": error.code().name})
                raise Problem(
                    503, "Images cannot be shown right now; please try again shortly.", headers={"Retry-After": "5"}
                ) from error
            # Only ids that were asked about count, whatever the answer contains.
            granted = set(reply.allowed_image_ids) & set(chunk)
            allowed.update(granted)
            through_team.update(set(reply.team_image_ids) & granted)
        return Authorized(allowed, through_team)

    async def current(self, owner_id: str, image_ids: Sequence[str]) -> dict[str, ImageState]:
        """The authority's state of the owner's own, non-deleted images among image_ids; images it
        does not answer for are absent."""
        states: dict[str, ImageState] = {}
        for chunk in _chunks(list(dict.fromkeys(image_ids))):
            reply = await self._call(
                self._stub.BatchGetVisibility,
                visibility_pb2.BatchGetVisibilityRequest(owner_id=owner_id, image_ids=chunk),
                owner_id,
            )
            for image in reply.images:
                if image.owner_id == owner_id and not image.deleted and image.image_id in chunk:
                    states[image.image_id] = _state(image)
        return states

    async def set_one(self, actor_id: str, image_id: str, visibility: str, team_id: str = "") -> ImageState:
        """404 for images of others, deleted and unknown ones; 403 with the reason when the plan
        or the operator's policy forbids it, or the actor is not in the team asked for."""
        request = visibility_pb2.SetVisibilityRequest(
            actor_id=actor_id, image_id=image_id, visibility=SCOPE_BY_NAME[visibility], team_id=team_id
        )
        try:
            reply = await self._call(self._stub.SetVisibility, request, actor_id)
        except Problem as problem:
            if problem.status == 403:
                problem.detail = _sentence(problem.detail)
            raise
        return _state(reply.image)

    async def set_many(
        self, actor_id: str, image_ids: Sequence[str], visibility: str, team_id: str = ""
    ) -> tuple[list[ImageState], list[Refusal]]:
        updated: list[ImageState] = []
        refused: list[Refusal] = []
        for chunk in _chunks(list(dict.fromkeys(image_ids))):
            request = visibility_pb2.BatchSetVisibilityRequest(
                actor_id=actor_id, image_ids=chunk, visibility=SCOPE_BY_NAME[visibility], team_id=team_id
            )
            reply = await self._call(self._stub.BatchSetVisibility, request, actor_id)
            updated.extend(_state(image) for image in reply.updated)
            refused.extend(Refusal(item.image_id, _sentence(item.reason)) for item in reply.refused)
        return updated, refused

    async def check_serving(self) -> None:
        await rpc.check_serving(self._health, SERVICE_NAME)


def visibility_client(request: Request) -> VisibilityClient:
    """The app's client (create_app keeps the GatewayDeps on app.state)."""
    return request.app.state.deps.visibility
