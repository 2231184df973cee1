"""Bad configuration stops the service at start with a message naming the setting."""

import pytest
from pydantic import ValidationError

from services.billing.settings import BillingSettings


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
