"""WebhooksService gRPC handlers: protobuf ↔ domain, and domain outcomes → gRPC status.

- INVALID_ARGUMENT with a sentence for the user: a URL that is not acceptable (destinations.py),
  an unknown event name, too many endpoints.
- NOT_FOUND "webhook endpoint not found": another user's endpoint, an unknown or malformed id,
  all alike.

An endpoint's `api_key_id` is taken as given: the gateway, which owns API keys, checks that it is
one of the owner's live keys. Here it only narrows what the endpoint receives, and only among the
owner's own events, so no value of it can route another user's event to anyone.
"""

from __future__ import annotations

import grpc
from google.protobuf import timestamp_pb2
from psycopg_pool import AsyncConnectionPool

from atelier.webhooks.v1 import webhooks_pb2 as pb
from atelier.webhooks.v1 import webhooks_pb2_grpc
from glue.grpc_errors import ErrorMapping
from glue.ids import parse_uuid
from services.webhooks import repository
from services.webhooks.destinations import InvalidEndpoint, checked_addresses, parse_endpoint_url
from services.webhooks.payloads import EVENT_TYPES
from services.webhooks.repository import Delivery, Endpoint, TooManyEndpoints
from services.webhooks.signing import new_signing_secret

ENDPOINT_NOT_FOUND = "webhook endpoint not found"
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
ERRORS = ErrorMapping(
    {InvalidEndpoint: grpc.StatusCode.INVALID_ARGUMENT},
    unavailable_message="webhooks: the database is unavailable; try again",
)


def _timestamp(value) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(value)
    return stamp


def endpoint_to_proto(endpoint: Endpoint) -> pb.Endpoint:
    return pb.Endpoint(
        endpoint_id=str(endpoint.endpoint_id),
        owner_id=endpoint.owner_id,
        url=endpoint.url,
        events=endpoint.events,
        created_at=_timestamp(endpoint.created_at),
        api_key_id=str(endpoint.api_key_id) if endpoint.api_key_id else "",
    )


def delivery_to_proto(delivery: Delivery) -> pb.Delivery:
    message = pb.Delivery(
        delivery_id=str(delivery.delivery_id),
        endpoint_id=str(delivery.endpoint_id),
        event_id=str(delivery.event_id),
        event_type=delivery.event_type,
        status=delivery.status,
        created_at=_timestamp(delivery.created_at),
        body=bytes(delivery.body).decode(),
        attempts=[
            pb.DeliveryAttempt(
                attempt=a.attempt,
                attempted_at=_timestamp(a.attempted_at),
                response_status=a.response_status or 0,
                error=a.error,
                duration_ms=a.duration_ms,
            )
            for a in delivery.attempts
        ],
    )
    if delivery.status == "pending":
        message.next_attempt_at.CopyFrom(_timestamp(delivery.next_attempt_at))
    return message


class WebhooksServicer(webhooks_pb2_grpc.WebhooksServiceServicer):
    def __init__(self, pool: AsyncConnectionPool, *, allow_private: bool, allow_plain_http: bool, max_endpoints: int):
        self._pool = pool
        self._allow_private = allow_private
        self._allow_plain_http = allow_plain_http
        self._max_endpoints = max_endpoints

    async def CreateEndpoint(self, request: pb.CreateEndpointRequest, context: grpc.aio.ServicerContext):
        if not request.owner_id:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "owner_id: is required")
        unknown = sorted(set(request.events) - set(EVENT_TYPES))
        if unknown:
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"events: unknown {', '.join(unknown)}; choose from {', '.join(EVENT_TYPES)}",
            )
        events = [name for name in EVENT_TYPES if name in request.events] if request.events else list(EVENT_TYPES)
        api_key_id = parse_uuid(request.api_key_id) if request.api_key_id else None
        if request.api_key_id and api_key_id is None:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "api_key_id: not a UUID")
        endpoint = parse_endpoint_url(request.url.strip(), allow_plain_http=self._allow_plain_http)
        await checked_addresses(endpoint, allow_private=self._allow_private)
        secret = new_signing_secret()
        try:
            created = await repository.create_endpoint(
                self._pool, request.owner_id, endpoint.url, events, secret, self._max_endpoints, api_key_id
            )
        except TooManyEndpoints:
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"at most {self._max_endpoints} webhook endpoints per account; delete one first",
            )
        return pb.CreateEndpointResponse(endpoint=endpoint_to_proto(created), signing_secret=secret)

    async def ListEndpoints(self, request: pb.ListEndpointsRequest, context: grpc.aio.ServicerContext):
        if not request.owner_id:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "owner_id: is required")
        endpoints = await repository.list_endpoints(self._pool, request.owner_id)
        return pb.ListEndpointsResponse(endpoints=[endpoint_to_proto(e) for e in endpoints])

    async def DeleteEndpoint(self, request: pb.DeleteEndpointRequest, context: grpc.aio.ServicerContext):
        if not request.owner_id:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "owner_id: is required")
        endpoint_id = parse_uuid(request.endpoint_id)
        if endpoint_id is None or not await repository.delete_endpoint(self._pool, request.owner_id, endpoint_id):
            await context.abort(grpc.StatusCode.NOT_FOUND, ENDPOINT_NOT_FOUND)
        return pb.DeleteEndpointResponse()

    async def DeleteKeyEndpoints(self, request: pb.DeleteKeyEndpointsRequest, context: grpc.aio.ServicerContext):
        if not request.owner_id:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "owner_id: is required")
        api_key_id = parse_uuid(request.api_key_id)
        if api_key_id is None:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "api_key_id: not a UUID")
        deleted = await repository.delete_key_endpoints(self._pool, request.owner_id, api_key_id)
        return pb.DeleteKeyEndpointsResponse(deleted=deleted)

    async def ListDeliveries(self, request: pb.ListDeliveriesRequest, context: grpc.aio.ServicerContext):
        if not request.owner_id:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "owner_id: is required")
        if not 0 <= request.page_size <= MAX_PAGE_SIZE:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"page_size: 1 to {MAX_PAGE_SIZE}")
        endpoint_id = parse_uuid(request.endpoint_id)
        if endpoint_id is None or not await repository.owns_endpoint(self._pool, request.owner_id, endpoint_id):
            await context.abort(grpc.StatusCode.NOT_FOUND, ENDPOINT_NOT_FOUND)
        deliveries = await repository.list_deliveries(self._pool, endpoint_id, request.page_size or DEFAULT_PAGE_SIZE)
        return pb.ListDeliveriesResponse(deliveries=[delivery_to_proto(d) for d in deliveries])
