"""The real Stripe path: the Checkout Session and portal requests the `stripe` library would send,
caught at its HTTP client (no network)."""

import asyncio
import json
from urllib.parse import parse_qs

import stripe

from services.billing.catalogue import load_catalogue
from services.billing.providers import CheckoutRequest, PortalRequest
from services.billing.stripe_provider import StripeProvider

PLUS = load_catalogue().get("plus")


class RecordingHttpClient(stripe.HTTPClient):
    name = "recording"

    def __init__(self, reply: dict):
        super().__init__()
        self.reply = reply
        self.sent: list[tuple[str, str, dict, dict]] = []

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        form = {key: values[0] for key, values in parse_qs(post_data or "").items()}
        self.sent.append((method, url, dict(headers or {}), form))
        return json.dumps(self.reply), 200, {}

    def close(self):
        pass


def test_a_checkout_asks_stripe_for_a_subscription_session_naming_the_user_and_plan():
    http = RecordingHttpClient(
        {"id": "cs_test_1", "object": "checkout.session", "url": "https://checkout.stripe.com/c/1"}
    )
    provider = StripeProvider("sk_test_123", {"plus": "price_plus"}, http_client=http, max_network_retries=0)
    request = CheckoutRequest("user-1", PLUS, "usd", None, "https://a.example/billing?x=1", "https://a.example/pricing")
    session = asyncio.run(provider.checkout(request))
    assert (session.session_id, session.url) == ("cs_test_1", "https://checkout.stripe.com/c/1")
    [(method, url, headers, form)] = http.sent
    assert (method, url) == ("post", "https://api.stripe.com/v1/checkout/sessions")
    assert headers["Authorization"] == "Bearer sk_test_123"
    assert form == {
        "mode": "subscription",
        "line_items[0][price]": "price_plus",
        "line_items[0][quantity]": "1",
        "success_url": "https://a.example/billing?x=1",
        "cancel_url": "https://a.example/pricing",
        "client_reference_id": "user-1",
        "metadata[atelier_user_id]": "user-1",
        "metadata[atelier_plan]": "plus",
        # What customer.subscription.* webhooks carry back (services/billing/webhooks.py reads it).
        "subscription_data[metadata][atelier_user_id]": "user-1",
        "subscription_data[metadata][atelier_plan]": "plus",
    }


def test_a_returning_customer_is_named_and_the_portal_opens_for_that_customer():
    http = RecordingHttpClient(
        {"id": "cs_test_2", "object": "checkout.session", "url": "https://checkout.stripe.com/c/2"}
    )
    provider = StripeProvider("sk_test_123", {"plus": "price_plus"}, http_client=http, max_network_retries=0)
    asyncio.run(provider.checkout(CheckoutRequest("u", PLUS, "usd", "cus_9", "https://a/s", "https://a/c")))
    assert http.sent[0][3]["customer"] == "cus_9"

    http.reply = {"id": "bps_1", "object": "billing_portal.session", "url": "https://billing.stripe.com/p/1"}
    session = asyncio.run(provider.portal(PortalRequest("u", PLUS, "cus_9", "https://a/billing")))
    assert session.url == "https://billing.stripe.com/p/1"
    _, url, _, form = http.sent[1]
    assert url == "https://api.stripe.com/v1/billing_portal/sessions"
    assert form == {"customer": "cus_9", "return_url": "https://a/billing"}
