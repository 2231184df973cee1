"""The stand-in payment provider (ATELIER_BILLING_PROVIDER=standin; development and tests only):
plays Stripe's part with no network. Its checkout and portal "pages" are served by the gateway
(/billing/standin/<session>), which shows the order; on confirm billing builds the events Stripe
would send — `checkout.session.completed` and `customer.subscription.created`, or
`customer.subscription.updated` with `cancel_at_period_end` for a cancellation in the portal —
signed with the webhook secret, and the gateway delivers them to the webhook endpoint, where they
are verified and applied exactly like Stripe's. Anyone signed in can "pay" here: never enable it
where plans are sold.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from psycopg_pool import AsyncConnectionPool

from services.billing import repository as repo
from services.billing.providers import CheckoutRequest, PortalRequest, Session
from services.billing.webhooks import signature_header

PERIOD = timedelta(days=30)
PAGE_PATH = "/billing/standin/"
CHECKOUT = "checkout"
PORTAL = "portal"


def page_url(origin_of: str, session_id: str) -> str:
    """The stand-in's page, on the gateway the browser came from."""
    parts = urlsplit(origin_of)
    return f"{parts.scheme}://{parts.netloc}{PAGE_PATH}{session_id}"


def customer_of(user_id: str) -> str:
    return "cus_standin_" + hashlib.sha256(user_id.encode()).hexdigest()[:20]


def _event(event_type: str, obj: dict[str, Any], created: int) -> dict[str, Any]:
    return {
        "id": f"evt_standin_{uuid.uuid4().hex}",
        "object": "event",
        "type": event_type,
        "created": created,
        "livemode": False,
        "data": {"object": obj},
    }


def _subscription(
    subscription_id: str, user_id: str, plan: str, customer: str, period_end: datetime, cancel: bool
) -> dict[str, Any]:
    return {
        "id": subscription_id,
        "object": "subscription",
        "status": "active",
        "customer": customer,
        "cancel_at_period_end": cancel,
        "items": {"data": [{"current_period_end": int(period_end.timestamp())}]},
        "metadata": {"atelier_user_id": user_id, "atelier_plan": plan},
    }


def checkout_events(session_id: str, user_id: str, plan: str, customer: str, now: datetime) -> list[dict[str, Any]]:
    """What Stripe sends when a subscription checkout is paid."""
    subscription_id = f"sub_standin_{session_id.removeprefix('cs_standin_')}"
    created = int(now.timestamp())
    session = {
        "id": session_id,
        "object": "checkout.session",
        "mode": "subscription",
        "status": "complete",
        "payment_status": "paid",
        "client_reference_id": user_id,
        "customer": customer,
        "subscription": subscription_id,
        "metadata": {"atelier_user_id": user_id, "atelier_plan": plan},
    }
    subscription = _subscription(subscription_id, user_id, plan, customer, now + PERIOD, False)
    return [
        _event("checkout.session.completed", session, created),
        _event("customer.subscription.created", subscription, created),
    ]


def portal_events(
    subscription_id: str, user_id: str, plan: str, customer: str, period_end: datetime, cancel: bool, now: datetime
) -> list[dict[str, Any]]:
    """A cancellation (at the period's end) or its undoing in the Customer Portal."""
    subscription = _subscription(subscription_id, user_id, plan, customer, period_end, cancel)
    return [_event("customer.subscription.updated", subscription, int(now.timestamp()))]


def signed(events: list[dict[str, Any]], secret: str, now: datetime) -> list[tuple[bytes, str]]:
    deliveries = []
    for event in events:
        payload = json.dumps(event, separators=(",", ":")).encode()
        deliveries.append((payload, signature_header(payload, secret, int(now.timestamp()))))
    return deliveries


class StandInProvider:
    name = "standin"

    def __init__(self, pool: AsyncConnectionPool, clock: Any):
        self._pool = pool
        self._clock = clock

    async def _open(self, user_id: str, kind: str, plan: str, return_url: str, cancel_url: str) -> Session:
        prefix = "cs_standin_" if kind == CHECKOUT else "bps_standin_"
        session_id = prefix + secrets.token_urlsafe(18)
        row = repo.StandInSessionRow(session_id, user_id, kind, plan, return_url, cancel_url, "open")
        async with self._pool.connection() as conn:
            await repo.insert_standin_session(conn, row, self._clock())
        return Session(session_id, page_url(return_url, session_id))

    async def checkout(self, request: CheckoutRequest) -> Session:
        return await self._open(request.user_id, CHECKOUT, request.plan.name, request.success_url, request.cancel_url)

    async def portal(self, request: PortalRequest) -> Session:
        return await self._open(request.user_id, PORTAL, request.plan.name, request.return_url, "")
