"""Bad configuration stops the service at start with a message naming the setting."""

import json
import re

import pytest
from pydantic import ValidationError

from services.billing.catalogue import load_catalogue
from services.billing.settings import BillingSettings
from services.billing.wiring import payment_provider


def test_the_webhook_secret_is_unset_by_default_and_has_no_embedded_value(monkeypatch):
    monkeypatch.delenv("ATELIER_BILLING_WEBHOOK_SECRET", raising=False)
    assert BillingSettings().billing_webhook_secret is None


def test_a_short_webhook_secret_is_refused(monkeypatch):
    monkeypatch.setenv("ATELIER_BILLING_WEBHOOK_SECRET", "short")
    with pytest.raises(ValidationError, match="billing_webhook_secret"):
        BillingSettings()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ATELIER_BILLING_RESERVATION_TTL_S", "0"),
        ("ATELIER_BILLING_ADDR", "nowhere"),
        ("ATELIER_BILLING_WEBHOOK_TOLERANCE_S", "-5"),
    ],
)
def test_bad_values_are_refused(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError):
        BillingSettings()


def test_no_payment_provider_by_default_and_an_unknown_one_is_refused(monkeypatch):
    monkeypatch.delenv("ATELIER_BILLING_PROVIDER", raising=False)
    assert BillingSettings().billing_provider == "none"
    monkeypatch.setenv("ATELIER_BILLING_PROVIDER", "paypal")
    with pytest.raises(ValidationError, match="billing_provider"):
        BillingSettings()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"ATELIER_BILLING_PROVIDER": "stripe"}, "needs ATELIER_BILLING_STRIPE_API_KEY"),
        (
            {
                "ATELIER_BILLING_PROVIDER": "stripe",
                "ATELIER_BILLING_STRIPE_API_KEY": "sk_test_123",
                "ATELIER_BILLING_STRIPE_PRICES": '{"plus": "price_plus"}',
            },
            "no Stripe Price id for ['basic', 'pro', 'team']",
        ),
    ],
)
def test_stripe_without_its_key_or_a_price_per_plan_stops_the_service(monkeypatch, env, message):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit, match=re.escape(message)):
        payment_provider(BillingSettings(), load_catalogue(), pool=None)


def test_stripe_with_every_price_is_the_provider(monkeypatch):
    monkeypatch.setenv("ATELIER_BILLING_PROVIDER", "stripe")
    monkeypatch.setenv("ATELIER_BILLING_STRIPE_API_KEY", "sk_test_123")
    prices = {name: f"price_{name}" for name in ("basic", "plus", "pro", "team")}
    monkeypatch.setenv("ATELIER_BILLING_STRIPE_PRICES", json.dumps(prices))
    assert payment_provider(BillingSettings(), load_catalogue(), pool=None).name == "stripe"
