"""The credit ledger's arithmetic: every generation is charged at most once, whatever order and
however often its reservation, images and failure arrive."""

from datetime import date

import pytest

from services.billing.ledger import (
    AlreadyCommitted,
    Entry,
    GenerationLedger,
    Kind,
    NoReservation,
    OutOfCredits,
    balance,
    decide_commit,
    decide_expire,
    decide_refund,
    decide_release,
    decide_reserve,
    out_of_credits_message,
    top_up,
)

RENEWS = date(2026, 12, 1)


def play(*steps: str, amount: int = 4, images: int = 4, start: int = 25) -> list[Entry]:
    """Applies steps to one generation; returns every row appended (grant first)."""
    rows = [Entry(Kind.GRANT, start)]
    for step in steps:
        ledger = GenerationLedger.of([r for r in rows if r.kind is not Kind.GRANT])
        if step == "reserve":
            entry = decide_reserve(ledger, amount, balance([r.amount for r in rows]), RENEWS).entry
        elif step == "commit":
            entry = decide_commit(ledger, images)
        elif step == "refund":
            entry = decide_refund(ledger)
        elif step == "release":
            entry = decide_release(ledger)
        elif step == "expire":
            entry = decide_expire(ledger)
        else:
            raise ValueError(step)
        if entry is not None:
            rows.append(entry)
    return rows


def final_balance(*steps: str, **kwargs) -> int:
    return balance([r.amount for r in play(*steps, **kwargs)])


def test_a_reservation_then_images_charges_once():
    assert final_balance("reserve") == 21
    assert final_balance("reserve", "commit") == 21
    assert final_balance("reserve", "commit", "commit", "reserve") == 21


def test_a_failure_returns_the_reservation_once():
    assert final_balance("reserve", "refund") == 25
    assert final_balance("reserve", "refund", "refund") == 25


def test_the_first_outcome_wins():
    assert final_balance("reserve", "commit", "refund") == 21
    assert final_balance("reserve", "refund", "commit") == 25


def test_failure_before_the_reservation_leaves_nothing_to_charge():
    rows = play("refund", "reserve", "commit")
    assert balance([r.amount for r in rows]) == 25
    assert [r.kind for r in rows] == [Kind.GRANT, Kind.REFUND]


def test_images_without_a_reservation_are_charged_one_credit_per_image_once():
    assert final_balance("commit", images=3) == 22
    assert final_balance("commit", "reserve", "commit", "refund", images=3) == 22


def test_a_release_returns_the_credits_and_a_repeated_release_does_nothing():
    assert final_balance("reserve", "release", "release") == 25


def test_release_without_a_reservation_or_after_images_is_refused():
    with pytest.raises(NoReservation):
        decide_release(GenerationLedger())
    with pytest.raises(AlreadyCommitted):
        play("reserve", "commit", "release")


def test_an_expired_reservation_is_returned_and_late_images_charge_again():
    assert final_balance("reserve", "expire") == 25
    assert final_balance("reserve", "expire", "expire") == 25
    assert final_balance("reserve", "expire", "commit") == 21
    assert final_balance("reserve", "expire", "commit", "commit") == 21


def test_a_failure_or_release_after_expiry_returns_nothing_more():
    assert final_balance("reserve", "expire", "refund") == 25
    assert final_balance("reserve", "expire", "release") == 25


def test_settled_reservations_do_not_expire():
    assert decide_expire(GenerationLedger.of(play("reserve", "commit")[1:])) is None
    assert decide_expire(GenerationLedger()) is None


def test_a_reservation_needs_the_credits():
    ledger = GenerationLedger()
    assert decide_reserve(ledger, 5, 5, RENEWS).created
    with pytest.raises(OutOfCredits) as refused:
        decide_reserve(ledger, 6, 5, RENEWS)
    assert str(refused.value) == (
        "Out of credits: this generation needs 6 credits and you have 5. "
        "Credits renew on 2026-12-01 or upgrade your plan."
    )


def test_a_repeated_reservation_is_not_charged_even_when_now_short():
    ledger = GenerationLedger.of([Entry(Kind.RESERVE, -4)])
    decision = decide_reserve(ledger, 4, 0, RENEWS)
    assert decision.entry is None and not decision.created


@pytest.mark.parametrize("amount", [0, -1, 10_001])
def test_a_reservation_amount_out_of_range_is_invalid(amount):
    with pytest.raises(ValueError):
        decide_reserve(GenerationLedger(), amount, 100, RENEWS)


def test_the_message_never_shows_a_negative_balance_and_counts_one_credit():
    assert "needs 1 credit and you have 0." in out_of_credits_message(1, -3, RENEWS)


def test_grants_top_up_to_the_allowance_and_never_take_away():
    assert top_up(0, 25) == 25
    assert top_up(10, 25) == 15
    assert top_up(-4, 25) == 29
    assert top_up(2000, 1000) == 0
