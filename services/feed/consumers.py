"""From events on the wire to the projection: protobuf → domain events → rows.

The same translation serves the live durable consumers and the rebuild's replay, so both build
the projection with one merge rule.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC
from typing import Any
from uuid import UUID

from google.protobuf.message import Message
from psycopg_pool import AsyncConnectionPool

from atelier.common.v1 import envelope_pb2
from atelier.generation.v1 import events_pb2 as generation_events
from atelier.visibility.v1 import events_pb2 as visibility_events
from contracts.common import PRIVATE, VISIBILITY_FROM_PROTO
from contracts.generation import IMAGE_DELETED, IMAGES_READY
from contracts.generation import STREAM as GENERATION_STREAM
from contracts.visibility import STREAM as VISIBILITY_STREAM
from contracts.visibility import VISIBILITY_CHANGED
from glue.consumer import ConsumerSpec, Delivery, PoisonMessage
from glue.ids import parse_uuid
from services.feed import repository
from services.feed.events import IMAGE_DELETED_DURABLE, IMAGES_READY_DURABLE, VISIBILITY_CHANGED_DURABLE
from services.feed.metrics import EVENTS_APPLIED
from services.feed.projection import Deleted, Event, ImageReady, Visibility, VisibilitySet
from services.feed.prompts import PublicPrompts

log = logging.getLogger(__name__)

EVENT_TYPES: dict[str, type[Message]] = {
    IMAGES_READY: generation_events.ImagesReady,
    IMAGE_DELETED: generation_events.ImageDeleted,
    VISIBILITY_CHANGED: visibility_events.VisibilityChanged,
}

CONSUMERS: list[ConsumerSpec[Any]] = [
    ConsumerSpec(GENERATION_STREAM, IMAGES_READY_DURABLE, IMAGES_READY, generation_events.ImagesReady),
    ConsumerSpec(GENERATION_STREAM, IMAGE_DELETED_DURABLE, IMAGE_DELETED, generation_events.ImageDeleted),
    ConsumerSpec(
        VISIBILITY_STREAM, VISIBILITY_CHANGED_DURABLE, VISIBILITY_CHANGED, visibility_events.VisibilityChanged
    ),
]


def _visibility(value: int) -> Visibility:
    # Anything but an explicit PUBLIC is private: an unknown value must never publish (P3).
    return Visibility(VISIBILITY_FROM_PROTO.get(value, PRIVATE))


def _image_id(value: str) -> UUID:
    image_id = parse_uuid(value)
    if image_id is None:
        raise PoisonMessage(f"image id {value[:80]!r} is not a UUID")
    return image_id


def changes_of(subject: str, envelope: envelope_pb2.EventEnvelope, event: Message) -> list[tuple[UUID, Event]]:
    """The domain events one wire event means, per image. Raises PoisonMessage for content that
    can never be applied."""
    if subject == IMAGES_READY and isinstance(event, generation_events.ImagesReady):
        if not envelope.HasField("occurred_at"):
            raise PoisonMessage("ImagesReady without occurred_at")
        created_at = envelope.occurred_at.ToDatetime(tzinfo=UTC)
        visibility = _visibility(event.visibility)
        version = event.visibility_version or 1
        return [
            (
                _image_id(image.image_id),
                ImageReady(
                    owner_id=event.owner_id,
                    prompt=event.prompt,
                    width=image.width,
                    height=image.height,
                    created_at=created_at,
                    visibility=visibility,
                    version=version,
                ),
            )
            for image in event.images
        ]
    if subject == VISIBILITY_CHANGED and isinstance(event, visibility_events.VisibilityChanged):
        if event.version <= 0:
            raise PoisonMessage(f"VisibilityChanged with version {event.version}")
        return [(_image_id(event.image_id), VisibilitySet(_visibility(event.visibility), event.version))]
    if subject == IMAGE_DELETED and isinstance(event, generation_events.ImageDeleted):
        return [(_image_id(image_id), Deleted()) for image_id in event.image_ids]
    raise PoisonMessage(f"the feed does not read {subject}")


class ProjectionWriter:
    """The handler of the live durable consumers, with group commit.

    Idempotent: the merge rule ignores what it has already seen, so redeliveries and duplicates
    change nothing. Events handled at the same moment (by one consumer's concurrent handlers or
    by the three consumers) are applied in one transaction; the rule is order-free, so merging
    them in one batch gives the state they would give one by one. A handler returns (and its
    message is acked) only after the transaction holding its events committed. Images made public
    get their prompts from the generation service first (services/feed/prompts.py); if it cannot
    answer, the batch fails and its events are retried. If a batch
    fails, its events are applied one by one, so only an event that fails on its own is retried.
    """

    def __init__(self, pool: AsyncConnectionPool, prompts: PublicPrompts, max_batch: int = 500):
        self._pool = pool
        self._prompts = prompts
        self._max_batch = max_batch
        self._waiting: list[tuple[list[tuple[UUID, Event]], asyncio.Future]] = []
        self._flusher: asyncio.Task | None = None

    def handler_for(self, subject: str):
        async def handle(event: Message, delivery: Delivery) -> None:
            await self.apply(changes_of(subject, delivery.envelope, event))
            EVENTS_APPLIED.labels(subject).inc()

        return handle

    async def apply(self, changes: list[tuple[UUID, Event]]) -> None:
        done = asyncio.get_running_loop().create_future()
        self._waiting.append((changes, done))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        await done

    async def _flush(self) -> None:
        while self._waiting:
            await asyncio.sleep(0)  # handlers started in the same turn join this batch
            batch, self._waiting = self._waiting[: self._max_batch], self._waiting[self._max_batch :]
            try:
                await self._commit([change for changes, _ in batch for change in changes])
            except Exception as error:
                if len(batch) == 1:
                    _settle(batch[0][1], error)
                    continue
                log.warning(
                    "projection batch failed; applying its events one by one",
                    extra={"events": len(batch), "error": str(error)},
                )
                for changes, done in batch:
                    try:
                        await self._commit(changes)
                    except Exception as single_error:
                        _settle(done, single_error)
                    else:
                        _settle(done, None)
            else:
                for _, done in batch:
                    _settle(done, None)

    async def _commit(self, changes: list[tuple[UUID, Event]]) -> None:
        changes = await self._prompts.attach(changes)
        async with self._pool.connection() as conn, conn.transaction():
            await repository.apply_changes(conn, changes)


def _settle(done: asyncio.Future, error: BaseException | None) -> None:
    if done.done():  # the handler was cancelled (shutdown): nothing to tell it
        return
    if error is None:
        done.set_result(None)
    else:
        done.set_exception(error)
