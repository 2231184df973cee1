"""An in-process WebhooksService for the gateway's tests, with the real service's contract rules
that the gateway relies on: endpoints per owner, https only, known event names, the same NOT_FOUND
for another owner's endpoint and an unknown one. Delivery itself is the real service's
(tests/integration/test_webhooks_service.py); here `deliveries` is set by a test."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from atelier.webhooks.v1 import webhooks_pb2, webhooks_pb2_grpc

EVENTS = ("generation.completed", "generation.failed", "image.visibility_changed")


class FakeWebhooksService(webhooks_pb2_grpc.WebhooksServiceServicer):
    def __init__(self) -> None:
        self.endpoints: dict[str, webhooks_pb2.Endpoint] = {}
        self.deliveries: dict[str, list[webhooks_pb2.Delivery]] = {}
        # Called as an endpoint is stored (a test's way to act in the middle of a registration).
        self.on_create: Callable[[], None] = lambda: None
        # True: DeleteKeyEndpoints answers UNAVAILABLE (the service down when a key is revoked).
        self.key_deletion_down = False

    async def _owned(self, owner_id: str, endpoint_id: str, context) -> webhooks_pb2.Endpoint:
        endpoint = self.endpoints.get(endpoint_id)
        if endpoint is None or endpoint.owner_id != owner_id:
            await context.abort(grpc.StatusCode.NOT_FOUND, "webhook endpoint not found")
        return endpoint

    async def CreateEndpoint(self, request, context):
        if not request.url.startswith("https://"):
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "url: must start with https://")
        unknown = sorted(set(request.events) - set(EVENTS))
        if unknown:
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"events: unknown {', '.join(unknown)}; choose from {', '.join(EVENTS)}",
            )
        if request.api_key_id:
            try:
                uuid.UUID(request.api_key_id)
            except ValueError:
                await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "api_key_id: not a UUID")
        created_at = Timestamp()
        created_at.GetCurrentTime()
        endpoint = webhooks_pb2.Endpoint(
            endpoint_id=str(uuid.uuid4()),
            owner_id=request.owner_id,
            url=request.url,
            events=[e for e in EVENTS if e in request.events] if request.events else list(EVENTS),
            created_at=created_at,
            api_key_id=request.api_key_id,
        )
        self.endpoints[endpoint.endpoint_id] = endpoint
        self.on_create()
        return webhooks_pb2.CreateEndpointResponse(endpoint=endpoint, signing_secret=f"whsec_{uuid.uuid4().hex}")

    async def ListEndpoints(self, request, context):
        owned = [e for e in self.endpoints.values() if e.owner_id == request.owner_id]
        return webhooks_pb2.ListEndpointsResponse(endpoints=owned[::-1])

    async def DeleteEndpoint(self, request, context):
        await self._owned(request.owner_id, request.endpoint_id, context)
        del self.endpoints[request.endpoint_id]
        return webhooks_pb2.DeleteEndpointResponse()

    async def DeleteKeyEndpoints(self, request, context):
        if self.key_deletion_down:
            await context.abort(grpc.StatusCode.UNAVAILABLE, "down")
        tied = [
            endpoint_id
            for endpoint_id, e in self.endpoints.items()
            if e.owner_id == request.owner_id and e.api_key_id == request.api_key_id
        ]
        for endpoint_id in tied:
            del self.endpoints[endpoint_id]
        return webhooks_pb2.DeleteKeyEndpointsResponse(deleted=len(tied))

    async def ListDeliveries(self, request, context):
        await self._owned(request.owner_id, request.endpoint_id, context)
        found = self.deliveries.get(request.endpoint_id, [])
        return webhooks_pb2.ListDeliveriesResponse(deliveries=found[: request.page_size or 50])


@asynccontextmanager
async def running_webhooks(fake: FakeWebhooksService) -> AsyncIterator[str]:
    server = grpc.aio.server()
    webhooks_pb2_grpc.add_WebhooksServiceServicer_to_server(fake, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        await server.stop(0)
