"""Event handlers: each platform event becomes one pending delivery per endpoint of the event's
owner that asked for its type, written before the event is acknowledged (the deliveries table is
the outbox), so a crash loses none and a redelivered event adds none. Only the owner's endpoints
are looked up: nobody's endpoint ever receives another user's event."""

from __future__ import annotations

from collections.abc import Callable

from psycopg_pool import AsyncConnectionPool

from atelier.generation.v1 import events_pb2 as generation_events
from atelier.visibility.v1 import events_pb2 as visibility_events
from glue.consumer import Delivery, PoisonMessage
from services.webhooks import metrics, payloads, repository
from services.webhooks.payloads import UnusableEvent, WebhookEvent


class EventHandlers:
    def __init__(self, pool: AsyncConnectionPool, wake_sender: Callable[[], None]):
        self._pool = pool
        self._wake_sender = wake_sender

    async def _record(self, build: Callable[[], WebhookEvent]) -> None:
        try:
            event = build()
        except UnusableEvent as error:
            raise PoisonMessage(str(error)) from error
        created = await repository.record_event(self._pool, event)
        if created:
            metrics.DELIVERIES_CREATED.labels(event.event_type).inc(created)
            self._wake_sender()

    async def images_ready(self, event: generation_events.ImagesReady, delivery: Delivery) -> None:
        await self._record(lambda: payloads.generation_completed(delivery.envelope, event))

    async def generation_failed(self, event: generation_events.GenerationFailed, delivery: Delivery) -> None:
        await self._record(lambda: payloads.generation_failed(delivery.envelope, event))

    async def visibility_changed(self, event: visibility_events.VisibilityChanged, delivery: Delivery) -> None:
        await self._record(lambda: payloads.image_visibility_changed(delivery.envelope, event))
