"""Stripe's signature scheme and event format."""

import json
from datetime import UTC, datetime

import pytest

from services.billing.catalogue import load_catalogue
from services.billing.webhooks import (
    Ignored,
    InvalidWebhook,
    InvoicePaid,
    ProviderEvent,
    SignatureError,
    SubscriptionChange,
    interpret,
    parse_event,
    sign,
    signature_header,
    verify_signature,
)

SECRET = "whsec_unit_test_secret_0123456789"
NOW = 1_790_000_000
PAYLOAD = json.dumps(
    {"id": "evt_1", "type": "customer.subscription.updated", "created": NOW, "data": {"object": {}}}
).encode()
CATALOGUE = load_catalogue()


def test_a_correctly_signed_payload_is_accepted():
    assert verify_signature(PAYLOAD, signature_header(PAYLOAD, SECRET, NOW), SECRET, NOW) == NOW


def test_stripes_documented_example_signature():
    # The v1 value is HMAC-SHA256(secret, "<t>.<payload>") in hex, as Stripe documents it.
    import hashlib
    import hmac

    expected = hmac.new(SECRET.encode(), f"{NOW}.".encode() + PAYLOAD, hashlib.sha256).hexdigest()
    assert sign(PAYLOAD, SECRET, NOW) == expected


def test_any_of_several_v1_signatures_may_match_and_other_schemes_are_ignored():
    good = sign(PAYLOAD, SECRET, NOW)
    header = f"t={NOW},v1={sign(PAYLOAD, 'whsec_the_old_secret_0000000', NOW)},v0=abc,v1={good}"
    assert verify_signature(PAYLOAD, header, SECRET, NOW) == NOW


@pytest.mark.parametrize(
    ("header", "payload", "complaint"),
    [
        ("", PAYLOAD, "missing"),
        (f"v1={sign(PAYLOAD, SECRET, NOW)}", PAYLOAD, "no timestamp"),
        (f"t={NOW}", PAYLOAD, "no v1"),
        (f"t=soon,v1={sign(PAYLOAD, SECRET, NOW)}", PAYLOAD, "malformed"),
        (f"t={NOW},v0={sign(PAYLOAD, SECRET, NOW)}", PAYLOAD, "no v1"),
        (signature_header(PAYLOAD, "whsec_another_secret_000000", NOW), PAYLOAD, "matches"),
        (signature_header(PAYLOAD, SECRET, NOW), PAYLOAD.replace(b"evt_1", b"evt_2"), "matches"),
        # The timestamp is signed: moving it to look fresh breaks the signature.
        (f"t={NOW + 1},v1={sign(PAYLOAD, SECRET, NOW)}", PAYLOAD, "matches"),
    ],
)
def test_unsigned_wrong_or_tampered_requests_are_refused(header, payload, complaint):
    with pytest.raises(SignatureError, match=complaint):
        verify_signature(payload, header, SECRET, NOW)


@pytest.mark.parametrize("age", [301, -301, 86_400])
def test_a_signature_outside_the_tolerance_is_stale(age):
    header = signature_header(PAYLOAD, SECRET, NOW - age)
    with pytest.raises(SignatureError, match="tolerance"):
        verify_signature(PAYLOAD, header, SECRET, NOW)


def test_a_signature_at_the_edge_of_the_tolerance_is_accepted():
    verify_signature(PAYLOAD, signature_header(PAYLOAD, SECRET, NOW - 300), SECRET, NOW)


def subscription_event(kind="updated", status="active", metadata=None, **fields) -> ProviderEvent:
    obj = {
        "id": "sub_1",
        "object": "subscription",
        "status": status,
        "current_period_end": NOW + 30 * 86400,
        "metadata": {"atelier_user_id": "alice", "atelier_plan": "plus"} if metadata is None else metadata,
        **fields,
    }
    return ProviderEvent("evt_1", f"customer.subscription.{kind}", NOW, obj)


def test_an_active_subscription_puts_its_plan_in_force_until_the_period_end():
    intent = interpret(subscription_event(), CATALOGUE)
    assert intent == SubscriptionChange(
        "alice", "plus", datetime.fromtimestamp(NOW + 30 * 86400, UTC), "sub_1", ended=False
    )


def test_the_period_end_is_read_from_the_items_in_newer_api_versions():
    event = subscription_event(items={"data": [{"current_period_end": NOW + 5}, {"current_period_end": NOW + 9}]})
    del event.object["current_period_end"]
    assert interpret(event, CATALOGUE).period_end == datetime.fromtimestamp(NOW + 9, UTC)


@pytest.mark.parametrize(
    ("kind", "status"), [("deleted", "canceled"), ("updated", "canceled"), ("updated", "unpaid"), ("updated", "paused")]
)
def test_a_subscription_that_ended_ends_the_plan_when_it_ended(kind, status):
    intent = interpret(subscription_event(kind, status, ended_at=NOW - 60), CATALOGUE)
    assert intent.ended and intent.period_end == datetime.fromtimestamp(NOW - 60, UTC)


def test_a_subscription_without_atelier_metadata_or_not_yet_paid_is_ignored():
    assert isinstance(interpret(subscription_event(metadata={}), CATALOGUE), Ignored)
    assert isinstance(interpret(subscription_event(status="incomplete"), CATALOGUE), Ignored)


def test_an_unknown_plan_in_the_metadata_is_invalid():
    with pytest.raises(InvalidWebhook, match="atelier_plan 'gold'"):
        interpret(subscription_event(metadata={"atelier_user_id": "alice", "atelier_plan": "gold"}), CATALOGUE)


def test_a_paid_invoice_renews_until_its_line_period_end():
    obj = {"id": "in_1", "subscription": "sub_1", "lines": {"data": [{"period": {"start": NOW, "end": NOW + 99}}]}}
    intent = interpret(ProviderEvent("evt_2", "invoice.paid", NOW, obj), CATALOGUE)
    assert intent == InvoicePaid("in_1", "sub_1", None, None, datetime.fromtimestamp(NOW + 99, UTC))


def test_a_paid_invoice_in_the_newer_format_carries_the_subscription_metadata():
    obj = {
        "id": "in_1",
        "parent": {
            "subscription_details": {
                "subscription": "sub_1",
                "metadata": {"atelier_user_id": "alice", "atelier_plan": "pro"},
            }
        },
        "lines": {"data": [{"period": {"end": NOW + 99}}]},
    }
    intent = interpret(ProviderEvent("evt_2", "invoice.paid", NOW, obj), CATALOGUE)
    assert (intent.user_id, intent.plan, intent.subscription_id) == ("alice", "pro", "sub_1")


def test_an_invoice_that_is_not_for_a_subscription_is_ignored():
    obj = {"id": "in_1", "lines": {"data": []}}
    assert isinstance(interpret(ProviderEvent("evt_2", "invoice.paid", NOW, obj), CATALOGUE), Ignored)


def test_other_event_types_are_ignored():
    assert isinstance(interpret(ProviderEvent("evt_3", "charge.refunded", NOW, {}), CATALOGUE), Ignored)


@pytest.mark.parametrize(
    "payload", [b"not json", b"[]", b'{"id": "evt_1"}', b'{"id": "evt_1", "type": "x", "data": {}}']
)
def test_a_payload_that_is_not_an_event_is_invalid(payload):
    with pytest.raises(InvalidWebhook):
        parse_event(payload)
