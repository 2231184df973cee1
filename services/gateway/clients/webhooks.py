"""The gateway's client of WebhooksService: the signed-in user's webhook endpoints and their
delivery log, each call with a deadline and the user's token, each failure turned into the problem
a user should see (a refused URL: 422 with the service's reason; another user's endpoint: 404)."""

from __future__ import annotations

import grpc
from grpc_health.v1 import health_pb2_grpc

from atelier.webhooks.v1 import webhooks_pb2, webhooks_pb2_grpc
from services.gateway.clients import rpc

SERVICE_NAME = webhooks_pb2.DESCRIPTOR.services_by_name["WebhooksService"].full_name
ENDPOINT_NOT_FOUND = "Webhook endpoint not found."


class WebhooksClient:
    def __init__(self, channel: grpc.aio.Channel, timeout_s: float, user_tokens: rpc.UserTokens | None = None):
        self._stub = webhooks_pb2_grpc.WebhooksServiceStub(channel)
        self._health = health_pb2_grpc.HealthStub(channel)
        self._call = rpc.UserCalls("webhooks", ENDPOINT_NOT_FOUND, timeout_s, user_tokens)

    async def create(
        self, owner_id: str, url: str, events: list[str], api_key_id: str = ""
    ) -> webhooks_pb2.CreateEndpointResponse:
        """api_key_id: one of the owner's live keys, checked by the caller ("" for the whole account)."""
        return await self._call(
            self._stub.CreateEndpoint,
            webhooks_pb2.CreateEndpointRequest(owner_id=owner_id, url=url, events=events, api_key_id=api_key_id),
            owner_id,
        )

    async def delete_key_endpoints(self, owner_id: str, api_key_id: str) -> int:
        reply = await self._call(
            self._stub.DeleteKeyEndpoints,
            webhooks_pb2.DeleteKeyEndpointsRequest(owner_id=owner_id, api_key_id=api_key_id),
            owner_id,
        )
        return reply.deleted

    async def endpoints(self, owner_id: str) -> list[webhooks_pb2.Endpoint]:
        reply = await self._call(
            self._stub.ListEndpoints, webhooks_pb2.ListEndpointsRequest(owner_id=owner_id), owner_id
        )
        return list(reply.endpoints)

    async def delete(self, owner_id: str, endpoint_id: str) -> None:
        await self._call(
            self._stub.DeleteEndpoint,
            webhooks_pb2.DeleteEndpointRequest(owner_id=owner_id, endpoint_id=endpoint_id),
            owner_id,
        )

    async def deliveries(self, owner_id: str, endpoint_id: str, limit: int) -> list[webhooks_pb2.Delivery]:
        reply = await self._call(
            self._stub.ListDeliveries,
            webhooks_pb2.ListDeliveriesRequest(owner_id=owner_id, endpoint_id=endpoint_id, page_size=limit),
            owner_id,
        )
        return list(reply.deliveries)

    async def check_serving(self) -> None:
        await rpc.check_serving(self._health, SERVICE_NAME)
