"""Buying a plan through the public HTTP API on the real platform, with the stand-in payment
provider playing Stripe's part (ATELIER_BILLING_PROVIDER=standin): the plan changes only from the
signed webhook the provider sends, never from the browser coming back; the portal cancels at the
period's end; receipts list only the caller's own grants and plan changes."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest

from services.billing.webhooks import signature_header
from tests.integration.test_privacy_support import ANONYMOUS, Account, Platform, running_platform

pytestmark = pytest.mark.integration

SECRET = "whsec_buying_plans_test_secret_01"


@pytest.fixture(scope="module")
def platform(postgres_url, object_store, triton_url) -> Iterator[Platform]:
    with running_platform(
        postgres_url,
        object_store,
        triton_url,
        ATELIER_BILLING_PROVIDER="standin",
        ATELIER_BILLING_WEBHOOK_SECRET=SECRET,
    ) as running:
        yield running


def post(platform: Platform, user: Account | None, path: str, body: dict | None = None):
    headers = user.headers if user else ANONYMOUS
    return platform.http.post(path, json=body, headers=headers)


def get(platform: Platform, user: Account | None, path: str):
    return platform.http.get(path, headers=user.headers if user else ANONYMOUS)


def checkout(platform: Platform, user: Account, plan: str) -> str:
    """The stand-in session id of a new checkout (its page is on the gateway)."""
    reply = post(platform, user, "/api/v1/billing/checkout", {"plan": plan})
    assert reply.status_code == 201, reply.text
    url = urlsplit(reply.json()["url"])
    assert f"{url.scheme}://{url.netloc}" == platform.url and url.path.startswith("/billing/standin/cs_standin_")
    return url.path.rsplit("/", 1)[1]


def subscription(platform: Platform, user: Account) -> dict:
    reply = get(platform, user, "/api/v1/billing/subscription")
    assert reply.status_code == 200, reply.text
    return reply.json()


def receipts(platform: Platform, user: Account) -> list[dict]:
    reply = get(platform, user, "/api/v1/billing/receipts")
    assert reply.status_code == 200, reply.text
    return reply.json()["items"]


def test_the_pricing_page_and_catalogue_show_prices_signed_out_and_in(platform: Platform) -> None:
    page = platform.http.get("/pricing")
    assert page.status_code == 200 and "pricing-view" in page.text
    plans = {plan["name"]: plan for plan in get(platform, None, "/api/v1/plans").json()["items"]}
    assert (plans["plus"]["monthly_price_cents"], plans["plus"]["currency"], plans["plus"]["for_sale"]) == (
        2000,
        "usd",
        True,
    )
    assert (plans["free"]["monthly_price_cents"], plans["free"]["for_sale"]) == (0, False)
    assert all(set(plan["coming_soon"]) <= set(plan["entitlements"]) for plan in plans.values())


def test_a_free_user_upgrades_through_checkout_and_cancels_through_the_portal(platform: Platform) -> None:
    buyer, other = platform.sign_up("buyer"), platform.sign_up("other")
    assert post(platform, None, "/api/v1/billing/checkout", {"plan": "plus"}).status_code == 401
    assert post(platform, buyer, "/api/v1/billing/checkout", {"plan": "free"}).status_code == 422
    assert post(platform, buyer, "/api/v1/billing/checkout", {"plan": "platinum"}).status_code == 422
    assert platform.submit(buyer, "a red circle on a blue background", "private").status_code == 403

    session_id = checkout(platform, buyer, "plus")
    # Coming back to the success page, or opening the order, changes nothing: only the webhook does.
    assert platform.http.get("/billing?checkout=done", headers=buyer.headers).status_code == 200
    order = get(platform, buyer, f"/api/v1/billing/standin/{session_id}").json()
    assert (order["kind"], order["plan"]["name"], order["plan"]["monthly_price_cents"]) == ("checkout", "plus", 2000)
    assert (subscription(platform, buyer)["plan"], platform.me(buyer)["plan"]) == ("free", "free")

    # Another user can neither see nor complete the buyer's session.
    assert get(platform, other, f"/api/v1/billing/standin/{session_id}").status_code == 404
    stolen = post(platform, other, f"/api/v1/billing/standin/{session_id}/complete", {"action": "pay"})
    assert stolen.status_code == 404
    assert platform.me(other)["plan"] == "free"

    paid = post(platform, buyer, f"/api/v1/billing/standin/{session_id}/complete", {"action": "pay"})
    assert paid.status_code == 200, paid.text
    assert paid.json()["redirect_url"] == "/billing?checkout=done"
    sub = subscription(platform, buyer)
    assert (sub["plan"], sub["status"], sub["manageable"], sub["cancel_at_period_end"]) == (
        "plus",
        "active",
        True,
        False,
    )
    period_end = datetime.fromisoformat(sub["current_period_end"])
    assert timedelta(days=29) < period_end - datetime.now(UTC) <= timedelta(days=30)
    assert sub["credits"] == 1000
    # Once per session, and no second subscription while one runs.
    again = post(platform, buyer, f"/api/v1/billing/standin/{session_id}/complete", {"action": "pay"})
    assert again.status_code == 409
    assert post(platform, buyer, "/api/v1/billing/checkout", {"plan": "pro"}).status_code == 409

    generation = platform.generate(buyer, "a red circle on a blue background", "private")
    assert {image["visibility"] for image in generation["images"]} == {"private"}

    # The portal: cancelling keeps the plan to the period's end.
    assert post(platform, other, "/api/v1/billing/portal").status_code == 409  # nothing to manage
    portal = post(platform, buyer, "/api/v1/billing/portal")
    assert portal.status_code == 201, portal.text
    portal_id = urlsplit(portal.json()["url"]).path.rsplit("/", 1)[1]
    assert get(platform, buyer, f"/api/v1/billing/standin/{portal_id}").json()["kind"] == "portal"
    cancelled = post(platform, buyer, f"/api/v1/billing/standin/{portal_id}/complete", {"action": "cancel"})
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["redirect_url"] == "/billing"
    replayed = post(platform, buyer, f"/api/v1/billing/standin/{portal_id}/complete", {"action": "resume"})
    assert replayed.status_code == 409  # a session completes once
    sub = subscription(platform, buyer)
    assert (sub["plan"], sub["status"], sub["cancel_at_period_end"]) == ("plus", "active", True)
    assert datetime.fromisoformat(sub["current_period_end"]) == period_end
    assert "private_generation" in platform.me(buyer)["entitlements"]

    mine = receipts(platform, buyer)
    words = [item["description"] for item in mine]
    assert words[0].startswith("Plus plan cancelled: it ends on "), words
    bought = next(item for item in mine if "paid through the payment provider" in item["description"])
    assert (bought["plan"], bought["price_cents"], bought["currency"]) == ("plus", 2000, "usd")
    grants = [item for item in mine if item["kind"] == "credits"]
    assert [g["credits"] for g in grants][-1] == 25 and any(g["plan"] == "plus" for g in grants)
    assert words[-1] == "Account opened on the Free plan"

    # Receipts are the caller's own: the other user's list has nothing of the buyer's.
    theirs = receipts(platform, other)
    assert [item["description"] for item in theirs] == [
        f"Free plan credits for {datetime.now(UTC):%B %Y}",
        "Account opened on the Free plan",
    ]
    assert get(platform, None, "/api/v1/billing/receipts").status_code == 401
    assert get(platform, buyer, "/api/v1/billing/receipts").headers["cache-control"] == "private, no-store"


def test_a_forged_or_replayed_event_at_the_public_webhook_changes_nothing(platform: Platform) -> None:
    user = platform.sign_up("forger")
    event = {
        "id": f"evt_forged_{user.user_id}",
        "object": "event",
        "type": "customer.subscription.created",
        "created": int(time.time()),
        "data": {
            "object": {
                "id": "sub_forged",
                "object": "subscription",
                "status": "active",
                "current_period_end": int(time.time()) + 86400,
                "metadata": {"atelier_user_id": user.user_id, "atelier_plan": "team"},
            }
        },
    }
    payload = json.dumps(event).encode()
    wrong = signature_header(payload, "whsec_not_the_real_secret_0000", int(time.time()))
    url = "/api/v1/billing/webhooks/stripe"
    headers = {"Content-Type": "application/json"}
    assert platform.http.post(url, content=payload, headers={**headers, "Stripe-Signature": wrong}).status_code == 400
    assert platform.me(user)["plan"] == "free"

    right = signature_header(payload, SECRET, int(time.time()))
    first = platform.http.post(url, content=payload, headers={**headers, "Stripe-Signature": right})
    assert first.status_code == 200 and first.json()["processed"] is True
    replay = platform.http.post(url, content=payload, headers={**headers, "Stripe-Signature": right})
    assert replay.status_code == 200 and replay.json()["processed"] is False
    assert platform.me(user)["plan"] == "team"
