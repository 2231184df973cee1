"""The stand-in provider sends what Stripe sends: its signed events verify and read back as the
plan bought, the customer, and a cancellation at the period's end."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from services.billing.catalogue import load_catalogue
from services.billing.standin import checkout_events, page_url, portal_events, signed
from services.billing.webhooks import (
    CheckoutCompleted,
    SignatureError,
    SubscriptionChange,
    interpret,
    parse_event,
    verify_signature,
)

SECRET = "whsec_unit_test_secret_0123456789"
CATALOGUE = load_catalogue()
NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def read(deliveries):
    for payload, header in deliveries:
        verify_signature(payload, header, SECRET, NOW.timestamp())
    return [interpret(parse_event(payload), CATALOGUE) for payload, _ in deliveries]


def test_a_paid_checkout_records_the_customer_and_starts_the_plan_for_a_month():
    completed, created = read(signed(checkout_events("cs_standin_abc", "u1", "plus", "cus_1", NOW), SECRET, NOW))
    assert completed == CheckoutCompleted("u1", "cus_1")
    assert isinstance(created, SubscriptionChange)
    assert (created.user_id, created.plan, created.customer_id, created.ended) == ("u1", "plus", "cus_1", False)
    assert created.period_end == NOW + timedelta(days=30) and not created.cancel_at_period_end


def test_a_portal_cancellation_keeps_the_plan_to_the_period_end():
    end = NOW + timedelta(days=12)
    [change] = read(signed(portal_events("sub_1", "u1", "plus", "cus_1", end, True, NOW), SECRET, NOW))
    assert isinstance(change, SubscriptionChange)
    assert (change.plan, change.period_end, change.ended, change.cancel_at_period_end) == ("plus", end, False, True)


def test_a_changed_standin_delivery_does_not_verify():
    [(payload, header)] = signed(portal_events("sub_1", "u1", "plus", "c", NOW, True, NOW), SECRET, NOW)
    with pytest.raises(SignatureError):
        verify_signature(payload.replace(b'"plus"', b'"team"'), header, SECRET, NOW.timestamp())


def test_the_page_is_on_the_gateway_the_browser_came_from():
    assert (
        page_url("http://127.0.0.1:8080/billing?checkout=done", "cs_x") == "http://127.0.0.1:8080/billing/standin/cs_x"
    )


def test_a_plan_switched_in_stripes_portal_follows_the_items_price_not_the_checkout_metadata():
    sub = {
        "id": "sub_1",
        "status": "active",
        "items": {"data": [{"price": {"id": "price_pro"}, "current_period_end": int(NOW.timestamp()) + 86400}]},
        "metadata": {"atelier_user_id": "u1", "atelier_plan": "plus"},  # written at checkout
    }
    event = parse_event(
        json.dumps({"id": "e", "type": "customer.subscription.updated", "data": {"object": sub}}).encode()
    )
    switched = interpret(event, CATALOGUE, {"price_plus": "plus", "price_pro": "pro"})
    assert isinstance(switched, SubscriptionChange) and switched.plan == "pro"
    unknown_price = interpret(event, CATALOGUE, {"price_plus": "plus"})
    assert isinstance(unknown_price, SubscriptionChange) and unknown_price.plan == "plus"
