"""Receipts in words: grants and plan changes, with no operator or provider ids."""

from datetime import UTC, datetime

from services.billing.catalogue import load_catalogue
from services.billing.receipts import receipts
from services.billing.repository import HistoryRow

CATALOGUE = load_catalogue()
AT = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
END = datetime(2027, 1, 5, 12, 0, tzinfo=UTC)


def row(kind, **fields):
    base = dict(
        created_at=AT,
        kind=kind,
        amount=0,
        grant_key=None,
        plan=None,
        current_period_end=None,
        actor=None,
        cancel_at_period_end=False,
    )
    return HistoryRow(**{**base, **fields})


def test_grants_and_plan_changes_read_as_what_happened():
    found = receipts(
        [
            row("plan", plan="plus", current_period_end=END, actor="stripe:evt_123", cancel_at_period_end=True),
            row("grant", amount=975, grant_key=f"period:plus:{int(END.timestamp())}"),
            row("plan", plan="plus", current_period_end=END, actor="stripe:evt_122"),
            row("plan", plan="pro", actor="operator:alice"),
            row("grant", amount=25, grant_key="month:free:2026-12"),
            row("plan", plan="free", actor="billing:account-created"),
        ],
        CATALOGUE,
    )
    assert [r.description for r in found] == [
        "Plus plan cancelled: it ends on January 5, 2027",
        "Plus plan credits for the period to January 5, 2027",
        "Plus plan until January 5, 2027, paid through the payment provider",
        "Pro plan, set by an operator",
        "Free plan credits for December 2026",
        "Account opened on the Free plan",
    ]
    assert [r.credits for r in found if r.kind == "credits"] == [975, 25]
    assert [r.price_cents for r in found] == [0, 0, 2000, 0, 0, 0]
    assert not any("alice" in r.description or "evt_" in r.description for r in found)
