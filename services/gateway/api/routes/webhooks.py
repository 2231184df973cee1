"""Completion webhooks: the caller registers HTTPS endpoints, lists and deletes them, and reads what
was delivered to each. The webhooks service owns endpoints and deliveries (the gateway has no NATS
on purpose); every call is made for the signed-in user, and another user's endpoint answers the
same 404 as one that does not exist."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request, Response, status

from services.gateway.api.access import OpenApiResponses
from services.gateway.api.webhook_schemas import (
    WebhookDeliveryList,
    WebhookEndpointCreate,
    WebhookEndpointCreated,
    WebhookEndpointList,
    delivery_out,
    endpoint_out,
)
from services.gateway.auth.security import CurrentCaller
from services.gateway.clients.webhooks import ENDPOINT_NOT_FOUND, WebhooksClient
from services.gateway.dependencies import deps_of
from services.gateway.problems import available, uuid_or_404

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])

NOT_FOUND: OpenApiResponses = {404: {"description": "no such endpoint of yours"}}
SIGNATURE_HELP = (
    "Each delivery is a POST with a JSON body `{id, type, created_at, data}` and the header "
    "`Atelier-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of '<t>.' + raw body, keyed by the signing secret>`; "
    "refuse a timestamp older than 5 minutes and ignore an `id` seen before. An answer other than 2xx "
    "(redirects included) is retried with exponential back-off; the delivery log shows every attempt."
)


def _client(request: Request) -> WebhooksClient:
    return available(deps_of(request).webhooks, WebhooksClient, "Webhooks")


def _endpoint_id(endpoint_id: str) -> str:
    return uuid_or_404(endpoint_id, ENDPOINT_NOT_FOUND)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=WebhookEndpointCreated,
    summary="Register a webhook endpoint; its signing secret is shown only in this response",
    description=SIGNATURE_HELP,
    responses={422: {"description": "the URL is not acceptable (the reason says why), or too many endpoints"}},
)
async def create_endpoint(
    body: WebhookEndpointCreate, caller: CurrentCaller, request: Request
) -> WebhookEndpointCreated:
    created = await _client(request).create(caller.user_id, body.url, list(body.events))
    return WebhookEndpointCreated(**endpoint_out(created.endpoint).model_dump(), signing_secret=created.signing_secret)


@router.get("", response_model=WebhookEndpointList, summary="My webhook endpoints (never their secrets)")
async def list_endpoints(caller: CurrentCaller, request: Request) -> WebhookEndpointList:
    endpoints = await _client(request).endpoints(caller.user_id)
    return WebhookEndpointList(items=[endpoint_out(e) for e in endpoints])


@router.delete(
    "/{endpoint_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete one of my webhook endpoints and its delivery log",
    responses=NOT_FOUND,
)
async def delete_endpoint(endpoint_id: str, caller: CurrentCaller, request: Request) -> Response:
    await _client(request).delete(caller.user_id, _endpoint_id(endpoint_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/{endpoint_id}/deliveries",
    response_model=WebhookDeliveryList,
    summary="What was delivered to one of my endpoints, newest first, with every attempt",
    responses=NOT_FOUND,
)
async def list_deliveries(
    endpoint_id: str, caller: CurrentCaller, request: Request, limit: int = Query(default=50, ge=1, le=100)
) -> WebhookDeliveryList:
    deliveries = await _client(request).deliveries(caller.user_id, _endpoint_id(endpoint_id), limit)
    return WebhookDeliveryList(items=[delivery_out(d) for d in deliveries])
