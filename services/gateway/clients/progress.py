"""Live progress of a generation, as the worker publishes it on core NATS
(subject `atelier.progress.<generation_id>`, not durable: a late listener simply starts later).

The subject is built only from a validated UUID, so no caller can subscribe with a wildcard
(`*`, `>`) to other people's previews.
"""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

from nats.aio.client import Client
from nats.aio.msg import Msg

from atelier.generation.v1 import events_pb2
from contracts.generation import progress_subject

log = logging.getLogger(__name__)

# Previews are small; a stream that falls this far behind only needs the latest ones.
QUEUE_SIZE = 32


class ProgressFeed(Protocol):
    def subscribe(
        self, generation_id: str
    ) -> AbstractAsyncContextManager["asyncio.Queue[events_pb2.GenerationProgress]"]: ...

    def is_connected(self) -> bool: ...


def offer_latest(queue: "asyncio.Queue[events_pb2.GenerationProgress]", item: events_pb2.GenerationProgress) -> None:
    """Adds an item, dropping the oldest when a slow reader has let the queue fill up."""
    if queue.full():
        queue.get_nowait()
    queue.put_nowait(item)


class NatsProgressFeed:
    """Progress from NATS once a connection exists; before that (NATS down at start-up) streams
    still work, by polling, just without previews."""

    def __init__(self) -> None:
        self._client: Client | None = None

    def use(self, client: Client) -> None:
        self._client = client

    def is_connected(self) -> bool:
        return self._client is not None and self._client.is_connected

    @asynccontextmanager
    async def subscribe(self, generation_id: str) -> AsyncIterator["asyncio.Queue[events_pb2.GenerationProgress]"]:
        queue: asyncio.Queue[events_pb2.GenerationProgress] = asyncio.Queue(QUEUE_SIZE)

        async def on_message(msg: Msg) -> None:
            progress = events_pb2.GenerationProgress()
            try:
                progress.ParseFromString(msg.data)
            except Exception:  # protobuf raises DecodeError and friends; a bad message is dropped
                log.warning("undecodable progress message", extra={"subject": msg.subject})
                return
            offer_latest(queue, progress)

        subject = progress_subject(generation_id)
        try:
            if self._client is None:
                raise ConnectionError("no NATS connection yet")
            subscription = await self._client.subscribe(subject, cb=on_message)
        except Exception as error:  # the stream still works by polling; previews are a bonus
            log.warning("cannot subscribe to progress", extra={"generation_id": generation_id, "error": str(error)})
            subscription = None
        try:
            yield queue
        finally:
            if subscription is not None:
                try:
                    await subscription.unsubscribe()
                except Exception as error:  # connection already closed: nothing left to undo
                    log.debug("unsubscribe failed", extra={"error": str(error)})
