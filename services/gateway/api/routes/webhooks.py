"""Completion webhooks: the caller registers HTTPS endpoints, lists and deletes them, and reads what
was delivered to each. The webhooks service owns endpoints and deliveries (the gateway has no NATS
on purpose); every call is made for the signed-in user, and another user's endpoint answers the
same 404 as one that does not exist.

An endpoint may be tied to one of the caller's API keys (the gateway owns keys, so it checks here
that the key is the caller's and live; another user's key or a revoked one is refused as an unknown
one, nothing stored). Revoking a key deletes its endpoints (routes/account.py); one left behind
because the webhooks service was unreachable then is deleted at the next listing."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Query, Request, Response, status

from glue.ids import canonical_uuid
from services.gateway.api.access import OpenApiResponses
from services.gateway.api.webhook_schemas import (
    WebhookApiKeyOut,
    WebhookDeliveryList,
    WebhookEndpointCreate,
    WebhookEndpointCreated,
    WebhookEndpointList,
    delivery_out,
    endpoint_out,
)
from services.gateway.auth.security import Caller, CurrentCaller
from services.gateway.clients.webhooks import ENDPOINT_NOT_FOUND, WebhooksClient
from services.gateway.dependencies import deps_of
from services.gateway.problems import Problem, available, uuid_or_404

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])

NOT_FOUND: OpenApiResponses = {404: {"description": "no such endpoint of yours"}}
UNKNOWN_API_KEY = "not one of your live API keys (see GET /api/v1/api-keys)"
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


async def _live_keys(request: Request, caller: Caller) -> dict[str, WebhookApiKeyOut]:
    """The caller's live API keys by id (revoked ones are not listed)."""
    records = await deps_of(request).accounts.list_api_keys(caller.user)
    return {str(r.id): WebhookApiKeyOut(id=r.id, name=r.name, prefix=r.key_prefix) for r in records}


def _unknown_api_key() -> Problem:
    return Problem(422, f"api_key_id: {UNKNOWN_API_KEY}", errors=[{"field": "api_key_id", "message": UNKNOWN_API_KEY}])


async def _own_live_key(request: Request, caller: Caller, value: str) -> WebhookApiKeyOut:
    """Another user's key, a revoked one and a malformed id are all refused alike."""
    key_id = canonical_uuid(value)
    key = (await _live_keys(request, caller)).get(key_id) if key_id is not None else None
    if key is None:
        raise _unknown_api_key()
    return key


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=WebhookEndpointCreated,
    summary="Register a webhook endpoint; its signing secret is shown only in this response",
    description=SIGNATURE_HELP,
    responses={
        422: {
            "description": "the URL is not acceptable (the reason says why), too many endpoints, or `api_key_id` "
            "is not one of your live API keys"
        }
    },
)
async def create_endpoint(
    body: WebhookEndpointCreate, caller: CurrentCaller, request: Request
) -> WebhookEndpointCreated:
    client = _client(request)
    key = await _own_live_key(request, caller, body.api_key_id) if body.api_key_id is not None else None
    key_id = str(key.id) if key is not None else ""
    created = await client.create(caller.user_id, body.url, list(body.events), key_id)
    if key is not None and key_id not in await _live_keys(request, caller):
        # Revoked while this was being registered, after the revocation deleted the key's endpoints.
        await client.delete_key_endpoints(caller.user_id, key_id)
        raise _unknown_api_key()
    return WebhookEndpointCreated(
        **endpoint_out(created.endpoint, key).model_dump(), signing_secret=created.signing_secret
    )


@router.get("", response_model=WebhookEndpointList, summary="My webhook endpoints (never their secrets)")
async def list_endpoints(caller: CurrentCaller, request: Request) -> WebhookEndpointList:
    client = _client(request)
    endpoints = await client.endpoints(caller.user_id)
    keys = await _live_keys(request, caller)
    stale = {e.api_key_id for e in endpoints if e.api_key_id and e.api_key_id not in keys}
    for key_id in sorted(stale):
        # The key was revoked while the webhooks service was unreachable: its endpoints go now.
        log.info("deleting the webhook endpoints of a revoked API key", extra={"api_key_id": key_id})
        try:
            await client.delete_key_endpoints(caller.user_id, key_id)
        except Problem as problem:  # not shown either way; tried again at the next listing
            log.warning("a revoked key's webhook endpoints stay for now", extra={"error": problem.detail})
    return WebhookEndpointList(
        items=[
            endpoint_out(e, keys.get(e.api_key_id) if e.api_key_id else None)
            for e in endpoints
            if e.api_key_id not in stale
        ]
    )


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
