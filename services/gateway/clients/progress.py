"""Live progress of a generation, from the generation service's WatchProgress stream.

The gateway has no NATS access: the worker's previews (core NATS) are relayed by the generation
service, which checks that the viewer owns the generation first (a static NATS permission could
only grant every generation's previews; services/generation/progress_relay.py).
"""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from typing import Protocol

import grpc

from atelier.generation.v1 import events_pb2, generation_pb2, generation_pb2_grpc
from glue.latest_queue import offer_latest
from services.gateway.clients import rpc

log = logging.getLogger(__name__)

# Previews are small; a stream that falls this far behind only needs the latest ones.
QUEUE_SIZE = 32


class ProgressFeed(Protocol):
    def subscribe(
        self, generation_id: str, viewer_id: str
    ) -> AbstractAsyncContextManager["asyncio.Queue[events_pb2.GenerationProgress]"]: ...


WatchCall = grpc.aio.UnaryStreamCall[generation_pb2.WatchProgressRequest, generation_pb2.WatchProgressResponse]


class GrpcProgressFeed:
    """Previews while the generation service relays them; without it (down, or the generation is
    not the viewer's) the event stream still works by polling, just without previews."""

    def __init__(self, channel: grpc.aio.Channel, timeout_s: float, user_tokens: rpc.UserTokens | None = None):
        self._stub = generation_pb2_grpc.GenerationServiceStub(channel)
        self._timeout_s = timeout_s
        self._tokens = user_tokens or rpc.UserTokens(None)

    @asynccontextmanager
    async def subscribe(
        self, generation_id: str, viewer_id: str
    ) -> AsyncIterator["asyncio.Queue[events_pb2.GenerationProgress]"]:
        queue: asyncio.Queue[events_pb2.GenerationProgress] = asyncio.Queue(QUEUE_SIZE)
        request = generation_pb2.WatchProgressRequest(generation_id=generation_id, viewer_id=viewer_id)
        # The token is checked when the call starts; a stream may outlive it (events_max_duration_s).
        call: WatchCall = self._stub.WatchProgress(request, metadata=self._tokens.metadata(viewer_id))
        replies = aiter(call)
        relay: asyncio.Task[None] | None = None
        try:
            # Once the service says it listens, nothing published afterwards is missed: the caller
            # reads the generation's state only then.
            first = await asyncio.wait_for(anext(replies), self._timeout_s)
            if not first.listening:
                raise ConnectionError("the progress stream did not start with `listening`")
            relay = asyncio.create_task(_relay(replies, queue, generation_id, viewer_id))
        except (grpc.aio.AioRpcError, TimeoutError, ConnectionError, StopAsyncIteration) as error:
            log.warning("cannot watch progress", extra={"generation_id": generation_id, "error": str(error)})
        try:
            yield queue
        finally:
            call.cancel()
            if relay is not None:
                relay.cancel()
                with suppress(asyncio.CancelledError):
                    await relay


async def _relay(
    replies: AsyncIterator[generation_pb2.WatchProgressResponse],
    queue: "asyncio.Queue[events_pb2.GenerationProgress]",
    generation_id: str,
    viewer_id: str,
) -> None:
    try:
        async for reply in replies:
            progress = events_pb2.GenerationProgress(
                generation_id=generation_id,
                owner_id=viewer_id,  # the service relays only the owner's generation to its owner
                step=reply.step,
                total=reply.total,
                previews_png=list(reply.previews_png),
                finished=reply.finished,
            )
            offer_latest(queue, progress)
    except grpc.aio.AioRpcError as error:
        if error.code() != grpc.StatusCode.CANCELLED:
            log.warning("progress stream broke off", extra={"generation_id": generation_id, "error": str(error)})
