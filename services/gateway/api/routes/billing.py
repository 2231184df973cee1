"""Plans and the payment provider: the plan catalogue (public) and Stripe's webhooks.

The webhook endpoint forwards the raw body and the `Stripe-Signature` header, untouched, to the
billing service, which verifies the signature (secret from its config), refuses stale events and
ignores replays. It needs no account and no CSRF token: the signature is the authentication.
"""

import logging
from typing import Annotated

from fastapi import APIRouter, Header, Request

from services.gateway.api.schemas import PlanList, PlanOut, WebhookReceived
from services.gateway.clients.billing import MAX_WEBHOOK_BYTES, WebhookRejected
from services.gateway.dependencies import deps_of
from services.gateway.plans import COMING_SOON, UNLOCKS
from services.gateway.problems import Problem

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1", tags=["plans and billing"])


@router.get("/plans", response_model=PlanList, summary="The plans and what each one unlocks")
async def list_plans(request: Request) -> PlanList:
    plans = await deps_of(request).billing.plans()
    return PlanList(
        items=[
            PlanOut(
                name=plan.name,
                display_name=plan.display_name,
                entitlements=list(plan.entitlements),
                unlocks=[UNLOCKS.get(name, name) for name in plan.entitlements],
                coming_soon=[name for name in plan.entitlements if name in COMING_SOON],
                monthly_credits=plan.monthly_credits,
                max_concurrent_generations=plan.max_concurrent_generations,
            )
            for plan in plans
        ]
    )


async def _body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_WEBHOOK_BYTES:
        raise Problem(413, "This is too large to be a payment provider's event.")
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_WEBHOOK_BYTES:
            raise Problem(413, "This is too large to be a payment provider's event.")
    return bytes(body)


@router.post(
    "/billing/webhooks/stripe",
    response_model=WebhookReceived,
    summary="Stripe's webhook: subscription and payment events (signed)",
    responses={
        400: {"description": "missing, wrong or stale signature, or not an event"},
        413: {"description": "body over 1 MiB"},
    },
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {}}}},
)
async def stripe_webhook(
    request: Request,
    stripe_signature: Annotated[str | None, Header(alias="Stripe-Signature", max_length=4096)] = None,
) -> WebhookReceived:
    payload = await _body(request)
    if not stripe_signature:
        raise Problem(400, "Missing Stripe-Signature header: webhook events must be signed.")
    try:
        reply = await deps_of(request).billing.handle_webhook(payload, stripe_signature)
    except WebhookRejected as rejected:
        log.warning("webhook rejected", extra={"reason": str(rejected)})
        raise Problem(400, f"Webhook rejected: {rejected}") from None
    return WebhookReceived(received=True, processed=reply.processed, event_type=reply.event_type)
