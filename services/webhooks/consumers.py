"""Event handlers: each platform event becomes one pending delivery per endpoint of the event's
owner that asked for its type, written before the event is acknowledged (the deliveries table is
the outbox), so a crash loses none and a redelivered event adds none. Only the owner's endpoints
are looked up: nobody's endpoint ever receives another user's event. Of those, the account-wide
ones get every event, and one tied to an API key only the events of generations submitted with
that key (and of their images)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from uuid import UUID

from psycopg_pool import AsyncConnectionPool

from atelier.generation.v1 import events_pb2 as generation_events
from atelier.visibility.v1 import events_pb2 as visibility_events
from glue.consumer import Delivery, PoisonMessage
from glue.ids import parse_uuid
from services.webhooks import metrics, payloads, repository
from services.webhooks.payloads import UnusableEvent, WebhookEvent
from services.webhooks.repository import ImageOrigin

# A VisibilityChanged can overtake its image's ImagesReady (another stream): while the image's key
# is unknown and the owner has key-scoped endpoints, the event is handed back (the consumer's
# back-off: 1 s, then 2 s) this many times less one, then sent to the account-wide endpoints only.
ORIGIN_WAIT_ATTEMPTS = 3


class OriginNotYetKnown(Exception):
    """Retried: the image's ImagesReady has not been handled yet."""


def _built(build: Callable[[], WebhookEvent]) -> WebhookEvent:
    try:
        return build()
    except UnusableEvent as error:
        raise PoisonMessage(str(error)) from error


class EventHandlers:
    def __init__(self, pool: AsyncConnectionPool, wake_sender: Callable[[], None]):
        self._pool = pool
        self._wake_sender = wake_sender

    async def _record(self, event: WebhookEvent, image_ids: list[UUID] | None = None) -> None:
        created = await repository.record_event(self._pool, event, image_ids)
        if created:
            metrics.DELIVERIES_CREATED.labels(event.event_type).inc(created)
            self._wake_sender()

    async def images_ready(self, event: generation_events.ImagesReady, delivery: Delivery) -> None:
        built = _built(lambda: payloads.generation_completed(delivery.envelope, event))
        image_ids = [image_id for image in event.images if (image_id := parse_uuid(image.image_id)) is not None]
        await self._record(built, image_ids)

    async def generation_failed(self, event: generation_events.GenerationFailed, delivery: Delivery) -> None:
        await self._record(_built(lambda: payloads.generation_failed(delivery.envelope, event)))

    async def visibility_changed(self, event: visibility_events.VisibilityChanged, delivery: Delivery) -> None:
        built = _built(lambda: payloads.image_visibility_changed(delivery.envelope, event))
        image_id = parse_uuid(event.image_id)
        origin = (
            await repository.image_origin(self._pool, image_id, built.owner_id)
            if image_id is not None
            else ImageOrigin(False)
        )
        if (
            not origin.known
            and delivery.attempt < ORIGIN_WAIT_ATTEMPTS
            and await repository.has_key_endpoints(self._pool, built.owner_id, built.event_type)
        ):
            raise OriginNotYetKnown(f"image {event.image_id}: its ImagesReady has not been handled yet")
        await self._record(dataclasses.replace(built, api_key_id=origin.api_key_id))
