"""Plans and the payment provider: the plan catalogue (public), buying a plan (a checkout session,
the customer portal), receipts, the stand-in provider's pages, and Stripe's webhooks.

A plan changes only when billing applies the provider's signed webhook: the checkout's success
URL is a page that shows the plan as billing reports it, never a signal that something was paid.

The webhook endpoint forwards the raw body and the `Stripe-Signature` header, untouched, to the
billing service, which verifies the signature (secret from its config), refuses stale events and
ignores replays. It needs no account and no CSRF token: the signature is the authentication.
"""

import logging
from datetime import UTC
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Header, Path, Query, Request, status

from atelier.billing.v1 import billing_pb2
from services.gateway.api.billing_schemas import (
    CheckoutCreate,
    ReceiptList,
    ReceiptOut,
    Redirect,
    StandInAction,
    StandInDone,
    StandInPlan,
    StandInSessionOut,
    Subscription,
)
from services.gateway.api.schemas import PlanList, PlanOut, WebhookReceived
from services.gateway.auth.security import CurrentCaller
from services.gateway.clients.billing import MAX_WEBHOOK_BYTES, WebhookRejected
from services.gateway.dependencies import deps_of
from services.gateway.plans import COMING_SOON, UNLOCKS, display_name
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
                monthly_price_cents=plan.monthly_price_cents,
                currency=plan.currency,
                for_sale=plan.name != "free" and plan.monthly_price_cents > 0,
            )
            for plan in plans
        ]
    )


def _site(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _local(url: str) -> str:
    """Only the path of a URL the gateway made: the browser is never sent to another site from here."""
    parts = urlsplit(url)
    path = parts.path if parts.path.startswith("/") and not parts.path.startswith("//") else "/"
    return path + (f"?{parts.query}" if parts.query else "")


@router.get("/billing/subscription", response_model=Subscription, summary="My plan, as billing reports it now")
async def subscription(caller: CurrentCaller, request: Request) -> Subscription:
    deps = deps_of(request)
    account = await deps.billing.account(caller.user_id)
    return Subscription(
        plan=account.plan,
        plan_display_name=display_name(await deps.billing.plans_or_empty(), account.plan),
        status=account.status,
        credits=account.credits,
        current_period_end=account.current_period_end,
        cancel_at_period_end=account.cancel_at_period_end,
        manageable=account.has_provider_subscription,
    )


@router.post(
    "/billing/checkout",
    status_code=status.HTTP_201_CREATED,
    response_model=Redirect,
    summary="Start buying a plan: the payment provider's checkout page",
    responses={409: {"description": "payments are not set up, or the account already has a subscription"}},
)
async def checkout(body: CheckoutCreate, caller: CurrentCaller, request: Request) -> Redirect:
    site = _site(request)
    url = await deps_of(request).billing.checkout(
        caller.user_id, body.plan, f"{site}/billing?checkout=done", f"{site}/pricing?checkout=cancelled"
    )
    return Redirect(url=url)


@router.post(
    "/billing/portal",
    status_code=status.HTTP_201_CREATED,
    response_model=Redirect,
    summary="Manage or cancel my subscription: the payment provider's customer portal",
    responses={409: {"description": "no subscription to manage"}},
)
async def portal(caller: CurrentCaller, request: Request) -> Redirect:
    return Redirect(url=await deps_of(request).billing.portal(caller.user_id, f"{_site(request)}/billing"))


@router.get("/billing/receipts", response_model=ReceiptList, summary="My credit grants and plan changes")
async def receipts(
    caller: CurrentCaller, request: Request, limit: Annotated[int, Query(ge=1, le=200)] = 100
) -> ReceiptList:
    found = await deps_of(request).billing.receipts(caller.user_id, limit)
    return ReceiptList(
        items=[
            ReceiptOut(
                created_at=receipt.created_at.ToDatetime(tzinfo=UTC),
                kind="credits" if receipt.kind == billing_pb2.RECEIPT_KIND_CREDITS else "plan",
                description=receipt.description,
                credits=receipt.credits,
                plan=receipt.plan,
                price_cents=receipt.price_cents,
                currency=receipt.currency,
            )
            for receipt in found
        ]
    )


# --- the stand-in payment provider (ATELIER_BILLING_PROVIDER=standin, development and tests) ---

SESSION_ID = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")]


@router.get(
    "/billing/standin/{session_id}",
    response_model=StandInSessionOut,
    summary="The stand-in payment provider: what a session of mine offers (development only)",
)
async def standin_session(session_id: SESSION_ID, caller: CurrentCaller, request: Request) -> StandInSessionOut:
    session = await deps_of(request).billing.standin_session(caller.user_id, session_id)
    return StandInSessionOut(
        session_id=session.session_id,
        kind="checkout" if session.kind == billing_pb2.STAND_IN_SESSION_KIND_CHECKOUT else "portal",
        plan=StandInPlan(
            name=session.plan.name,
            display_name=session.plan.display_name,
            monthly_credits=session.plan.monthly_credits,
            monthly_price_cents=session.plan.monthly_price_cents,
            currency=session.plan.currency,
        ),
        completed=session.completed,
        current_period_end=session.current_period_end.ToDatetime(tzinfo=UTC)
        if session.HasField("current_period_end")
        else None,
        cancel_at_period_end=session.cancel_at_period_end,
        cancel_url=_local(session.cancel_url) if session.cancel_url else "",
    )


@router.post(
    "/billing/standin/{session_id}/complete",
    response_model=StandInDone,
    summary="The stand-in payment provider: pay, cancel or resume, delivered as Stripe's signed webhooks",
)
async def complete_standin(
    session_id: SESSION_ID, body: StandInAction, caller: CurrentCaller, request: Request
) -> StandInDone:
    billing = deps_of(request).billing
    done = await billing.complete_standin(caller.user_id, session_id, body.action)
    # Playing Stripe's part: each event goes to the webhook endpoint's own handling, where billing
    # verifies its signature and applies it as it would Stripe's.
    for webhook in done.webhooks:
        try:
            await billing.handle_webhook(webhook.payload, webhook.signature)
        except WebhookRejected as rejected:
            log.error("the stand-in's webhook was rejected", extra={"reason": str(rejected)})
            raise Problem(502, "The payment provider's confirmation was refused; nothing changed.") from None
    return StandInDone(redirect_url=_local(done.redirect_url))


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
