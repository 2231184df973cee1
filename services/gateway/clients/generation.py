"""The gateway's client of GenerationService: each call with a deadline, each gRPC failure turned into
the problem a web user should see (problems.problem_from_rpc_error: the one mapping of every client);
and a generation's live progress from the service's WatchProgress stream.

The gateway has no NATS access: the worker's previews (core NATS) are relayed by the generation
service, which checks that the viewer owns the generation first (a static NATS permission could
only grant every generation's previews; services/generation/progress_relay.py).
"""

from __future__ import annotations

import asyncio
import builtins
import logging
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from typing import Protocol

import grpc
from fastapi import Request
from grpc_health.v1 import health_pb2_grpc

from atelier.generation.v1 import events_pb2, generation_pb2, generation_pb2_grpc
from glue.latest_queue import offer_latest
from services.gateway.clients import rpc
from services.gateway.clients.visibility import VISIBILITY_BY_NAME
from services.gateway.problems import problem_from_rpc_error, rpc_reason

log = logging.getLogger(__name__)

SERVICE_NAME = generation_pb2.DESCRIPTOR.services_by_name["GenerationService"].full_name
# The generation service's visibility refusals (PERMISSION_DENIED, with an `atelier-reason`); the
# gateway words them.
PRIVATE_NOT_ENTITLED = "private_not_entitled"
REMEMBERED_PRIVATE_NOT_ENTITLED = "remembered_private_not_entitled"


ACTION_NOT_ENTITLED = "action_not_entitled"
# A model_id that is not the owner's trained custom model (missing, deleted or someone else's).
CUSTOM_MODEL_NOT_FOUND = "custom_model_not_found"


class ActionRefused(Exception):
    """The generation service refused an image action: the plan in force does not include it."""


class PrivateRefused(Exception):
    """The generation service refused a private generation: the plan in force lacks
    private_generation. `remembered`: the owner asked nothing and their last choice was private."""

    def __init__(self, remembered: bool):
        super().__init__("private generation refused")
        self.remembered = remembered


class GenerationClient:
    def __init__(self, channel: grpc.aio.Channel, timeout_s: float, user_tokens: rpc.UserTokens | None = None):
        self._stub = generation_pb2_grpc.GenerationServiceStub(channel)
        self._tokens = user_tokens or rpc.UserTokens(None)
        self._health = health_pb2_grpc.HealthStub(channel)
        self._timeout_s = timeout_s

    async def submit(self, request: generation_pb2.SubmitRequest) -> generation_pb2.SubmitResponse:
        """Raises PrivateRefused when the service refuses the visibility, ActionRefused when the plan
        lacks the action, else a Problem."""
        try:
            return await self._stub.Submit(
                request, timeout=self._timeout_s, metadata=self._tokens.metadata(request.owner_id)
            )
        except grpc.aio.AioRpcError as error:
            if error.code() == grpc.StatusCode.PERMISSION_DENIED and (reason := rpc_reason(error)) in (
                PRIVATE_NOT_ENTITLED,
                REMEMBERED_PRIVATE_NOT_ENTITLED,
            ):
                raise PrivateRefused(remembered=reason == REMEMBERED_PRIVATE_NOT_ENTITLED) from error
            if error.code() == grpc.StatusCode.PERMISSION_DENIED and rpc_reason(error) == ACTION_NOT_ENTITLED:
                raise ActionRefused(error.details()) from error
            if error.code() == grpc.StatusCode.NOT_FOUND and rpc_reason(error) == CUSTOM_MODEL_NOT_FOUND:
                raise problem_from_rpc_error(error, not_found="Custom model not found.") from error
            raise problem_from_rpc_error(error, not_found="Source image not found.") from error

    async def last_visibility(self, owner_id: str) -> str | None:
        """The visibility a generation gets when none is asked for: the owner's last choice."""
        request = generation_pb2.GetLastVisibilityRequest(owner_id=owner_id)
        try:
            response = await self._stub.GetLastVisibility(
                request, timeout=self._timeout_s, metadata=self._tokens.metadata(owner_id)
            )
        except grpc.aio.AioRpcError as error:
            raise problem_from_rpc_error(error, not_found="Not found.") from error
        # UNSPECIFIED: no choice yet.
        return next((name for name, value in VISIBILITY_BY_NAME.items() if value == response.visibility), None)

    async def get(self, generation_id: str, viewer_id: str) -> generation_pb2.Generation:
        """The generation as its owner sees it; 404 for anyone else."""
        request = generation_pb2.GetGenerationRequest(generation_id=generation_id, viewer_id=viewer_id)
        try:
            response = await self._stub.GetGeneration(
                request, timeout=self._timeout_s, metadata=self._tokens.metadata(viewer_id)
            )
        except grpc.aio.AioRpcError as error:
            raise problem_from_rpc_error(error, not_found="Generation not found.") from error
        return response.generation

    async def list(self, owner_id: str, page_size: int, cursor: str) -> generation_pb2.ListGenerationsResponse:
        request = generation_pb2.ListGenerationsRequest(owner_id=owner_id, page_size=page_size, cursor=cursor)
        try:
            return await self._stub.ListGenerations(
                request, timeout=self._timeout_s, metadata=self._tokens.metadata(owner_id)
            )
        except grpc.aio.AioRpcError as error:
            raise problem_from_rpc_error(error, not_found="Not found.") from error

    async def delete(
        self, generation_id: str, actor_id: str, undoable: bool = False
    ) -> generation_pb2.DeleteGenerationResponse:
        """Deletes the actor's generation set (`undoable`: hidden at once, removed after the
        service's undo window unless restored). 404 for anyone but the owner, 409 while it is still
        running."""
        request = generation_pb2.DeleteGenerationRequest(
            generation_id=generation_id, actor_id=actor_id, undoable=undoable
        )
        try:
            return await self._stub.DeleteGeneration(
                request, timeout=self._timeout_s, metadata=self._tokens.metadata(actor_id)
            )
        except grpc.aio.AioRpcError as error:
            raise problem_from_rpc_error(error, not_found="Generation not found.") from error

    async def restore(self, generation_id: str, actor_id: str) -> builtins.list[str]:
        """Undoes an undoable deletion within its window; the restored image ids. 404 otherwise."""
        request = generation_pb2.RestoreGenerationRequest(generation_id=generation_id, actor_id=actor_id)
        try:
            response = await self._stub.RestoreGeneration(
                request, timeout=self._timeout_s, metadata=self._tokens.metadata(actor_id)
            )
        except grpc.aio.AioRpcError as error:
            raise problem_from_rpc_error(error, not_found="Generation not found.") from error
        return builtins.list(response.restored_image_ids)

    async def image(self, image_id: str, viewer_id: str) -> generation_pb2.Image | None:
        """One image by id if viewer_id ("" for anonymous) may see it now: the service answers the
        owner's images and public ones only. The caller still authorises (P1)."""
        request = generation_pb2.BatchGetImagesRequest(image_ids=[image_id], viewer_id=viewer_id)
        try:
            response = await self._stub.BatchGetImages(
                request, timeout=self._timeout_s, metadata=self._tokens.metadata(viewer_id)
            )
        except grpc.aio.AioRpcError as error:
            raise problem_from_rpc_error(error, not_found="Image not found.") from error
        return next((image for image in response.images if image.image_id == image_id), None)

    async def images(self, image_ids: builtins.list[str], viewer_id: str) -> builtins.list[generation_pb2.Image]:
        """The images among image_ids that viewer_id ("" for anonymous) may see now (own and public
        ones); the others are left out. The caller still authorises (P1)."""
        if not image_ids:
            return []
        request = generation_pb2.BatchGetImagesRequest(image_ids=image_ids, viewer_id=viewer_id)
        try:
            response = await self._stub.BatchGetImages(
                request, timeout=self._timeout_s, metadata=self._tokens.metadata(viewer_id)
            )
        except grpc.aio.AioRpcError as error:
            raise problem_from_rpc_error(error, not_found="Image not found.") from error
        return builtins.list(response.images)

    async def check_serving(self) -> None:
        await rpc.check_serving(self._health, SERVICE_NAME)


# Previews are small; a stream that falls this far behind only needs the latest ones.
QUEUE_SIZE = 32


class ProgressFeed(Protocol):
    def subscribe(
        self, generation_id: str, viewer_id: str
    ) -> AbstractAsyncContextManager[asyncio.Queue[events_pb2.GenerationProgress]]: ...


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
    ) -> AsyncIterator[asyncio.Queue[events_pb2.GenerationProgress]]:
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
    queue: asyncio.Queue[events_pb2.GenerationProgress],
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


def generation_client(request: Request) -> GenerationClient:
    """The app's client (create_app keeps the GatewayDeps on app.state)."""
    return request.app.state.deps.generations


def progress_feed(request: Request) -> ProgressFeed:
    return request.app.state.deps.progress
