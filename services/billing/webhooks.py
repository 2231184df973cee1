"""Payment-provider webhooks: Stripe's signature scheme and event format, as pure functions.

Signature (https://docs.stripe.com/webhooks#verify-manually): the `Stripe-Signature` header is
`t=<unix seconds>,v1=<hex>[,v1=<hex>...][,v0=...]`; each v1 is HMAC-SHA256 keyed with the
endpoint secret over `f"{t}.{raw body}"`. Several v1 entries appear while a secret is being
rolled; one match is enough. A timestamp more than the tolerance (300 s) away from now is stale
(Stripe's libraries only refuse old ones; a timestamp far in the future is refused here too).

Events handled (metadata set on the Stripe subscription when it is created by our checkout):
  - customer.subscription.created|updated|deleted: metadata `atelier_user_id`, `atelier_plan`;
    status active/trialing/past_due keeps the plan until current_period_end; canceled, unpaid,
    incomplete_expired, paused or a `deleted` event end it now (the account lapses);
    `cancel_at_period_end` (a cancellation in the Customer Portal) keeps the plan to the period's
    end and marks it as not renewing;
  - invoice.paid: a renewal; extends the period to the invoice line's period end and grants the
    period's credits (once per period, so the same invoice seen again grants nothing);
  - checkout.session.completed: records the Stripe customer of the user who paid
    (`client_reference_id`), for the Customer Portal. The plan itself changes with the
    subscription's own event, never with the checkout (nor with the browser coming back).
Any other type is acknowledged and not processed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from services.billing.catalogue import Catalogue

DEFAULT_TOLERANCE_S = 300
SUBSCRIPTION_EVENTS = frozenset(
    {"customer.subscription.created", "customer.subscription.updated", "customer.subscription.deleted"}
)
INVOICE_PAID = "invoice.paid"
CHECKOUT_COMPLETED = "checkout.session.completed"
HANDLED_EVENTS = SUBSCRIPTION_EVENTS | {INVOICE_PAID, CHECKOUT_COMPLETED}
IN_FORCE_STATUSES = frozenset({"active", "trialing", "past_due"})
ENDED_STATUSES = frozenset({"canceled", "unpaid", "incomplete_expired", "paused"})
MAX_PAYLOAD = 512 * 1024


class SignatureError(Exception):
    """Missing, malformed, wrong or stale signature: the request is not from the provider."""


class InvalidWebhook(ValueError):
    """Signed by the provider but not something we can act on (retrying will not help until
    the subscription's metadata is fixed)."""


def sign(payload: bytes, secret: str, timestamp: int) -> str:
    """The hex v1 signature of a payload (what Stripe computes)."""
    signed = f"{timestamp}.".encode() + payload
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signature_header(payload: bytes, secret: str, timestamp: int) -> str:
    return f"t={timestamp},v1={sign(payload, secret, timestamp)}"


def verify_signature(
    payload: bytes, header: str, secret: str, now: float, tolerance_s: int = DEFAULT_TOLERANCE_S
) -> int:
    """Returns the signed timestamp; raises SignatureError unless a v1 entry matches."""
    if not header:
        raise SignatureError("missing Stripe-Signature")
    timestamp: int | None = None
    candidates: list[str] = []
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if not sep:
            continue
        if key == "t":
            try:
                timestamp = int(value)
            except ValueError:
                raise SignatureError("malformed Stripe-Signature timestamp") from None
        elif key == "v1":
            candidates.append(value)
    if timestamp is None:
        raise SignatureError("Stripe-Signature has no timestamp")
    if not candidates:
        raise SignatureError("Stripe-Signature has no v1 signature")
    expected = sign(payload, secret, timestamp)
    # Compare against every candidate (no early exit) in constant time per comparison.
    matched = False
    for candidate in candidates:
        matched |= hmac.compare_digest(expected, candidate)
    if not matched:
        raise SignatureError("no Stripe-Signature v1 signature matches the payload")
    if abs(now - timestamp) > tolerance_s:
        raise SignatureError(f"Stripe-Signature timestamp is outside the {tolerance_s} s tolerance")
    return timestamp


@dataclass(frozen=True)
class ProviderEvent:
    id: str
    type: str
    created: int
    object: dict[str, Any]  # the provider's JSON object


def parse_event(payload: bytes) -> ProviderEvent:
    try:
        data = json.loads(payload)
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidWebhook(f"payload is not JSON: {error}") from error
    if not isinstance(data, dict):
        raise InvalidWebhook("payload is not a JSON object")
    event_id, event_type, created = data.get("id"), data.get("type"), data.get("created", 0)
    if not isinstance(event_id, str) or not event_id or not isinstance(event_type, str) or not event_type:
        raise InvalidWebhook("event needs an id and a type")
    if not isinstance(created, int) or isinstance(created, bool):
        raise InvalidWebhook("event.created must be unix seconds")
    obj = (data.get("data") or {}).get("object") if isinstance(data.get("data"), dict) else None
    if not isinstance(obj, dict):
        raise InvalidWebhook("event has no data.object")
    return ProviderEvent(event_id, event_type, created, obj)


@dataclass(frozen=True)
class SubscriptionChange:
    """Put the user on `plan` until `period_end` (a period end in the past: it has ended)."""

    user_id: str
    plan: str
    period_end: datetime
    subscription_id: str
    ended: bool
    customer_id: str | None = None
    # Cancelled in the portal: runs to period_end, then ends (no renewal).
    cancel_at_period_end: bool = False


@dataclass(frozen=True)
class CheckoutCompleted:
    user_id: str
    customer_id: str


@dataclass(frozen=True)
class InvoicePaid:
    invoice_id: str
    subscription_id: str
    # From the subscription metadata Stripe copies onto the invoice, when present.
    user_id: str | None
    plan: str | None
    period_end: datetime


@dataclass(frozen=True)
class Ignored:
    reason: str


Intent = SubscriptionChange | InvoicePaid | CheckoutCompleted | Ignored


def _timestamp(value: object, what: str) -> datetime:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise InvalidWebhook(f"{what}: must be unix seconds")
    return datetime.fromtimestamp(value, UTC)


def _metadata(obj: dict[str, Any]) -> dict[str, Any]:
    metadata = obj.get("metadata")
    return metadata if isinstance(metadata, dict) else {}


def _plan(name: object, catalogue: Catalogue, where: str) -> str:
    if not isinstance(name, str) or name not in catalogue:
        raise InvalidWebhook(f"{where}: atelier_plan {name!r} is not one of {catalogue.names}")
    return name


def _subscription_period_end(sub: dict[str, Any]) -> int | None:
    """Top level in older API versions; per subscription item since 2025-03 (basil)."""
    top_level = sub.get("current_period_end")
    if isinstance(top_level, int):
        return top_level
    items = (sub.get("items") or {}).get("data") if isinstance(sub.get("items"), dict) else None
    per_item = [i.get("current_period_end") for i in items or [] if isinstance(i, dict)]
    ends = [e for e in per_item if isinstance(e, int) and not isinstance(e, bool)]
    return max(ends) if ends else None


def _plan_of_items(sub: dict[str, Any], price_plans: Mapping[str, str]) -> str | None:
    """The plan whose Stripe Price the subscription is on: a plan switched in the Customer Portal
    changes the item's price, not the metadata our checkout wrote."""
    items = (sub.get("items") or {}).get("data") if isinstance(sub.get("items"), dict) else None
    for item in items or []:
        price = item.get("price") if isinstance(item, dict) else None
        price_id = price.get("id") if isinstance(price, dict) else price
        if isinstance(price_id, str) and price_id in price_plans:
            return price_plans[price_id]
    return None


def interpret(event: ProviderEvent, catalogue: Catalogue, price_plans: Mapping[str, str] | None = None) -> Intent:
    """`price_plans`: Stripe Price id -> plan name (ATELIER_BILLING_STRIPE_PRICES reversed)."""
    if event.type in SUBSCRIPTION_EVENTS:
        return _subscription(event, catalogue, price_plans or {})
    if event.type == INVOICE_PAID:
        return _invoice(event, catalogue)
    if event.type == CHECKOUT_COMPLETED:
        return _checkout(event)
    return Ignored(f"event type {event.type} is not handled")


def _subscription(event: ProviderEvent, catalogue: Catalogue, price_plans: Mapping[str, str]) -> Intent:
    sub = event.object
    subscription_id = sub.get("id")
    if not isinstance(subscription_id, str) or not subscription_id:
        raise InvalidWebhook("subscription has no id")
    metadata = _metadata(sub)
    user_id = metadata.get("atelier_user_id")
    if not isinstance(user_id, str) or not user_id:
        return Ignored("subscription has no atelier_user_id in its metadata: not an Atelier subscription")
    plan = _plan(_plan_of_items(sub, price_plans) or metadata.get("atelier_plan"), catalogue, "subscription metadata")
    status = sub.get("status")
    customer = _id_of(sub.get("customer"))
    ended = event.type == "customer.subscription.deleted" or status in ENDED_STATUSES
    if ended:
        ended_at = sub.get("ended_at") or sub.get("canceled_at") or event.created
        ended_on = _timestamp(ended_at, "subscription.ended_at")
        return SubscriptionChange(user_id, plan, ended_on, subscription_id, True, customer)
    if status not in IN_FORCE_STATUSES:
        # incomplete: the first payment has not gone through; nothing is in force yet.
        return Ignored(f"subscription status {status!r} puts no plan in force")
    period_end = _timestamp(_subscription_period_end(sub), "subscription.current_period_end")
    cancelling = sub.get("cancel_at_period_end") is True
    return SubscriptionChange(user_id, plan, period_end, subscription_id, False, customer, cancelling)


def _id_of(value: object) -> str | None:
    """An id, or the id of an expanded object."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def _checkout(event: ProviderEvent) -> Intent:
    session = event.object
    user_id = session.get("client_reference_id") or _metadata(session).get("atelier_user_id")
    if not isinstance(user_id, str) or not user_id:
        return Ignored("checkout session has no client_reference_id: not an Atelier checkout")
    customer = _id_of(session.get("customer"))
    if customer is None:
        return Ignored("checkout session has no customer")
    return CheckoutCompleted(user_id, customer)


def _invoice(event: ProviderEvent, catalogue: Catalogue) -> Intent:
    invoice = event.object
    invoice_id = invoice.get("id")
    if not isinstance(invoice_id, str) or not invoice_id:
        raise InvalidWebhook("invoice has no id")
    parent = invoice.get("parent")
    if not isinstance(parent, dict):
        parent = {}
    details = invoice.get("subscription_details") or parent.get("subscription_details") or {}
    if not isinstance(details, dict):
        details = {}
    subscription_id = invoice.get("subscription") or details.get("subscription")
    if isinstance(subscription_id, dict):  # expanded
        subscription_id = subscription_id.get("id")
    if not isinstance(subscription_id, str) or not subscription_id:
        return Ignored("invoice is not for a subscription")
    metadata = _metadata(details)
    user_id = metadata.get("atelier_user_id") if isinstance(metadata.get("atelier_user_id"), str) else None
    plan = metadata.get("atelier_plan")
    plan = _plan(plan, catalogue, "invoice subscription metadata") if plan is not None else None
    lines = (invoice.get("lines") or {}).get("data") if isinstance(invoice.get("lines"), dict) else None
    ends = [
        line["period"].get("end")
        for line in lines or []
        if isinstance(line, dict) and isinstance(line.get("period"), dict)
    ]
    ends = [e for e in ends if isinstance(e, int) and not isinstance(e, bool)]
    if not ends:
        raise InvalidWebhook("invoice has no line with a period end")
    return InvoicePaid(invoice_id, subscription_id, user_id or None, plan, _timestamp(max(ends), "invoice period end"))
