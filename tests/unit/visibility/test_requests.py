"""Parsing of image ids and settings: bad input is named, never a crash."""

import uuid

import pytest
from pydantic import ValidationError

from atelier.billing.v1 import billing_pb2
from glue.ids import parse_uuid
from services.visibility.authority import parse_ids
from services.visibility.billing import account_from_proto
from services.visibility.policy import PRIVACY_ENTITLEMENT, SubscriptionStatus
from services.visibility.settings import VisibilitySettings


def test_ids_are_deduplicated_in_order_and_malformed_ones_set_aside():
    a, b = uuid.uuid4(), uuid.uuid4()
    valid, malformed = parse_ids([str(a), "nope", str(b).upper(), str(a), ""])
    assert valid == [a, b]
    assert malformed == ["nope", ""]
    assert parse_uuid("../../etc/passwd") is None


def test_billing_accounts_map_to_the_policy_view():
    account = account_from_proto(
        billing_pb2.Account(
            user_id="u", plan="plus", entitlements=[PRIVACY_ENTITLEMENT], status=billing_pb2.SUBSCRIPTION_STATUS_ACTIVE
        )
    )
    assert account.may_change_visibility
    lapsed = account_from_proto(
        billing_pb2.Account(plan="free", status=billing_pb2.SUBSCRIPTION_STATUS_LAPSED, lapsed_plan="plus")
    )
    assert lapsed.status is SubscriptionStatus.LAPSED and not lapsed.may_change_visibility
    unspecified = account_from_proto(billing_pb2.Account(plan="plus", entitlements=[PRIVACY_ENTITLEMENT]))
    assert unspecified.status is SubscriptionStatus.UNKNOWN and not unspecified.may_change_visibility


def test_settings_default_to_retroactive_privacy_and_read_the_switch(monkeypatch):
    monkeypatch.delenv("ATELIER_RETROACTIVE_PRIVACY", raising=False)
    assert VisibilitySettings().retroactive_privacy is True
    monkeypatch.setenv("ATELIER_RETROACTIVE_PRIVACY", "false")
    monkeypatch.setenv("ATELIER_BILLING_ADDR", "billing:50054")
    settings = VisibilitySettings()
    assert settings.retroactive_privacy is False and settings.billing_addr == "billing:50054"


@pytest.mark.parametrize(
    ("name", "value"),
    [("ATELIER_RETROACTIVE_PRIVACY", "maybe"), ("ATELIER_BILLING_ADDR", "no-port"), ("ATELIER_BILLING_TIMEOUT_S", "0")],
)
def test_bad_settings_fail_fast(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError):
        VisibilitySettings()
