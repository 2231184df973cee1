"""Which plan is in force, from the account row and the clock: lapses need no job to run."""

from datetime import UTC, datetime, timedelta

import pytest

from services.billing.catalogue import load_catalogue
from services.billing.subscriptions import AccountRecord, Status, in_force, needs_announcement

CATALOGUE = load_catalogue()
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def account(plan="free", end=None, last_paid=None, subscription=None, announced=("free", "none")) -> AccountRecord:
    return AccountRecord(
        user_id="alice",
        plan=plan,
        period_start=NOW - timedelta(days=3),
        current_period_end=end,
        last_paid_plan=last_paid,
        provider_subscription_id=subscription,
        provider_event_created=None,
        announced_plan=announced[0],
        announced_status=announced[1],
        created_at=NOW - timedelta(days=30),
    )


def test_a_new_account_is_free_with_no_subscription():
    state = in_force(account(), CATALOGUE, NOW)
    assert (state.plan.name, state.status, state.lapsed_plan, state.entitlements) == ("free", Status.NONE, "", ())
    assert state.allowance_key == "month:free:2026-11"
    assert state.renews_on.isoformat() == "2026-12-01"


def test_a_paid_plan_is_in_force_until_its_period_end_and_lapses_at_that_instant():
    end = NOW + timedelta(days=10)
    record = account("plus", end=end, last_paid="plus")
    before = in_force(record, CATALOGUE, end - timedelta(seconds=1))
    assert (before.plan.name, before.status) == ("plus", Status.ACTIVE)
    assert "private_generation" in before.entitlements
    after = in_force(record, CATALOGUE, end)
    assert (after.plan.name, after.status, after.lapsed_plan) == ("free", Status.LAPSED, "plus")
    assert after.entitlements == () and after.plan.max_concurrent_generations == 1
    assert after.current_period_end == end


def test_a_plan_without_an_end_never_lapses():
    state = in_force(account("pro", last_paid="pro"), CATALOGUE, NOW + timedelta(days=3650))
    assert (state.plan.name, state.status) == ("pro", Status.ACTIVE)


def test_moved_to_free_after_a_paid_plan_stays_lapsed():
    state = in_force(account("free", last_paid="basic"), CATALOGUE, NOW)
    assert (state.plan.name, state.status, state.lapsed_plan) == ("free", Status.LAPSED, "basic")


def test_a_plan_that_left_the_catalogue_reads_as_lapsed():
    state = in_force(account("gold", last_paid="gold"), CATALOGUE, NOW)
    assert (state.plan.name, state.status, state.lapsed_plan) == ("free", Status.LAPSED, "gold")


def test_provider_subscriptions_renew_with_their_period_others_each_month():
    end = datetime(2026, 12, 10, tzinfo=UTC)
    provider = in_force(account("plus", end=end, subscription="sub_1"), CATALOGUE, NOW)
    assert provider.allowance_key == f"period:plus:{int(end.timestamp())}"
    assert provider.renews_on.isoformat() == "2026-12-10"
    operator = in_force(account("plus", end=end), CATALOGUE, NOW)
    assert operator.allowance_key == "month:plus:2026-11"
    assert operator.renews_on.isoformat() == "2026-12-01"
    december = in_force(account("plus", end=end), CATALOGUE, datetime(2026, 12, 5, tzinfo=UTC))
    assert december.renews_on.isoformat() == "2026-12-10"  # the period ends before the month does


def test_december_renews_in_january():
    assert in_force(account(), CATALOGUE, datetime(2026, 12, 5, tzinfo=UTC)).renews_on.isoformat() == "2027-01-01"


@pytest.mark.parametrize(
    ("record", "announce"),
    [
        (account(), False),
        (account("plus", end=NOW - timedelta(seconds=1), announced=("plus", "active")), True),
        (account("plus", end=NOW - timedelta(seconds=1), announced=("free", "lapsed")), False),
        (account("pro", announced=("plus", "active")), True),
    ],
)
def test_a_change_of_the_plan_in_force_is_announced_once(record, announce):
    assert needs_announcement(record, in_force(record, CATALOGUE, NOW)) is announce
