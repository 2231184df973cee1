"""WatchProgress: the worker's live previews, relayed to the generation's owner only.

Why through this service and not straight from NATS to the gateway: a static NATS permission can
only say "every progress subject" (`atelier.progress.*`), never "the generations this caller asked
for". This service owns generations and knows their owners, so it alone subscribes to progress;
the gateway's NATS user has no progress permission (it needs no NATS at all) and learns about a
generation only through a call naming the viewer, answered NOT_FOUND for anyone but the owner.
"""

import asyncio
import logging
import time
from collections.abc import AsyncIterator

from nats.aio.client import Client
from nats.aio.msg import Msg
from psycopg_pool import AsyncConnectionPool

from atelier.generation.v1 import events_pb2, generation_pb2
from contracts.generation import progress_subject
from glue.ids import parse_uuid
from glue.latest_queue import offer_latest
from services.generation import repository

log = logging.getLogger(__name__)

# Previews are small; a watcher that falls this far behind only needs the latest ones.
QUEUE_SIZE = 32


class NotTheOwners(LookupError):
    """No such generation, or not the viewer's: the same answer for both."""


def _response(progress: events_pb2.GenerationProgress) -> generation_pb2.WatchProgressResponse:
    return generation_pb2.WatchProgressResponse(
        step=progress.step, total=progress.total, previews_png=list(progress.previews_png), finished=progress.finished
    )


class ProgressRelay:
    def __init__(self, pool: AsyncConnectionPool, nc: Client, max_duration_s: float):
        self._pool = pool
        self._nc = nc
        self._max_duration_s = max_duration_s

    async def _owned(self, generation_id: str, viewer_id: str) -> str:
        parsed = parse_uuid(generation_id)
        record = None
        if parsed is not None and viewer_id:
            async with self._pool.connection() as conn:
                record = await repository.get_generation(conn, parsed, shown_only=True)
        if record is None or record.owner_id != viewer_id:
            raise NotTheOwners(generation_id)
        return str(record.id)

    async def watch(self, generation_id: str, viewer_id: str) -> AsyncIterator[generation_pb2.WatchProgressResponse]:
        """Raises NotTheOwners before the first message; then yields `listening`, then progress."""
        generation_id = await self._owned(generation_id, viewer_id)
        queue: asyncio.Queue[events_pb2.GenerationProgress] = asyncio.Queue(QUEUE_SIZE)

        async def on_message(msg: Msg) -> None:
            progress = events_pb2.GenerationProgress()
            try:
                progress.ParseFromString(msg.data)
            except Exception:  # protobuf raises DecodeError and friends; a bad message is dropped
                log.warning("undecodable progress message", extra={"subject": msg.subject})
                return
            # The subject names the generation; the message must say the same, and the same owner.
            if progress.generation_id == generation_id and progress.owner_id == viewer_id:
                offer_latest(queue, progress)

        subscription = await self._nc.subscribe(progress_subject(generation_id), cb=on_message)
        try:
            await self._nc.flush()  # the server has the subscription: nothing published from now on is missed
            yield generation_pb2.WatchProgressResponse(listening=True)
            deadline = time.monotonic() + self._max_duration_s
            while (left := deadline - time.monotonic()) > 0:
                try:
                    progress = await asyncio.wait_for(queue.get(), left)
                except TimeoutError:
                    return
                yield _response(progress)
                if progress.finished:
                    return
        finally:
            try:
                await subscription.unsubscribe()
            except Exception as error:  # connection already closed: nothing left to undo
                log.debug("unsubscribe failed", extra={"error": str(error)})
