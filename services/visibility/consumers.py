"""Event handlers: ImagesReady (fallback registration), ImageDeleted and billing's PlanChanged
(team lapses). All idempotent and order-proof: JetStream delivers at least once, and the streams'
events and our own RPCs can arrive in any order."""

from __future__ import annotations

import logging
from uuid import UUID

from psycopg_pool import AsyncConnectionPool

from atelier.billing.v1 import billing_pb2
from atelier.billing.v1 import events_pb2 as billing_events
from atelier.common.v1 import visibility_pb2 as common_visibility
from atelier.generation.v1 import events_pb2 as generation_events
from contracts.common import VISIBILITY_FROM_PROTO
from glue.consumer import Delivery, PoisonMessage
from glue.ids import parse_uuid
from services.visibility import authority, team_lapse
from services.visibility.policy import PRIVATE
from services.visibility.teams import holds_team_plan

log = logging.getLogger(__name__)


def _ids(values: list[str]) -> list[UUID]:
    ids, malformed = authority.parse_ids(values)
    if malformed:
        raise PoisonMessage(f"malformed image ids: {malformed[:5]}")
    if not ids:
        raise PoisonMessage("no image ids")
    return ids


def _generation_id(value: str) -> UUID | None:
    if not value:
        return None
    generation_id = parse_uuid(value)
    if generation_id is None:
        raise PoisonMessage(f"malformed generation id {value!r}")
    return generation_id


class EventHandlers:
    def __init__(self, pool: AsyncConnectionPool):
        self._pool = pool

    async def images_ready(self, event: generation_events.ImagesReady, delivery: Delivery) -> None:
        """Registers images the RegisterImages call has not (normally it has, and this changes
        nothing). Known images keep their visibility and version: a duplicate or late
        ImagesReady (version 1) never undoes a SetVisibility, so it never re-publishes a private
        image. The event does not say whether the plan had privacy; a private image evidently
        did, a public one is recorded as made without it (RegisterImages can raise that later)."""
        if not event.owner_id:
            raise PoisonMessage("ImagesReady without owner_id")
        visibility = VISIBILITY_FROM_PROTO.get(event.visibility)
        if event.visibility == common_visibility.VISIBILITY_TEAM:
            # Born in a team's scope: RegisterImages normally registered them there; the event does
            # not name the team, so an image it registers first is private to its owner (fail closed).
            visibility = PRIVATE
        if visibility is None:
            raise PoisonMessage(f"ImagesReady with visibility {event.visibility}")
        ids = _ids([image.image_id for image in event.images])
        try:
            await authority.register_images(
                self._pool,
                event.owner_id,
                _generation_id(event.generation_id),
                ids,
                visibility,
                visibility == PRIVATE,
                authoritative=False,
            )
        except authority.RegistrationConflict as error:
            raise PoisonMessage(str(error)) from error

    async def image_deleted(self, event: generation_events.ImageDeleted, delivery: Delivery) -> None:
        if not event.owner_id:
            raise PoisonMessage("ImageDeleted without owner_id")
        await authority.record_deletion(
            self._pool, event.owner_id, _generation_id(event.generation_id), _ids(list(event.image_ids))
        )

    async def plan_changed(self, event: billing_events.PlanChanged, delivery: Delivery) -> None:
        """A Team plan that ended lapses the teams no other owner pays for (team_lapse.py). An
        event without a version predates versioning: nothing can tell it from a stale one."""
        if not event.user_id or event.version < 1:
            raise PoisonMessage("PlanChanged without user_id or version")
        active = event.status == billing_pb2.SUBSCRIPTION_STATUS_ACTIVE
        await team_lapse.plan_changed(
            self._pool, event.user_id, event.version, holds_team_plan(active, event.entitlements)
        )
