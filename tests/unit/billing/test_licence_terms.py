"""The licence terms a plan puts on public images (consent, ARCHITECTURE.md P7): the catalogue's
`training_use` and `terms_version`, and the terms of an account's plan in force."""

from datetime import UTC, datetime, timedelta

import pytest

from services.billing.catalogue import CatalogueError, load_catalogue, parse_catalogue
from services.billing.licences import licence_terms
from services.billing.subscriptions import AccountRecord

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
FREE = {"name": "free", "display_name": "Free", "monthly_credits": 1, "max_concurrent_generations": 1}


def plan(name: str, **extra) -> dict:
    return {**FREE, "name": name, "display_name": name.title(), "entitlements": [], **extra}


def account(plan_name: str, end=None, last_paid=None) -> AccountRecord:
    return AccountRecord(
        "alice", plan_name, NOW - timedelta(days=3), end, last_paid, None, None, plan_name, "none", NOW
    )


def test_a_plan_that_does_not_say_gives_no_consent_and_the_shipped_catalogue_consents_for_free_only():
    catalogue = parse_catalogue({"plans": [plan("free"), plan("basic")]})
    assert [p.training_use for p in catalogue.plans] == [False, False]
    assert catalogue.terms_version == "1"
    shipped = load_catalogue()
    assert {p.name for p in shipped.plans if p.training_use} == {"free"}
    assert shipped.terms_version == "2026-12-01"


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"plans": [plan("free", training_use="yes")]}, "training_use: must be true or false"),
        ({"plans": [plan("free", training_use=1)]}, "training_use: must be true or false"),
        ({"plans": [plan("free")], "terms_version": ""}, "terms_version: must be a non-empty string"),
        ({"plans": [plan("free")], "terms_version": 3}, "terms_version: must be a non-empty string"),
    ],
)
def test_a_bad_term_stops_the_catalogue_with_where_it_is(data: dict, words: str):
    with pytest.raises(CatalogueError, match=words):
        parse_catalogue(data)


CATALOGUE = parse_catalogue(
    {
        "terms_version": "v7",
        "plans": [plan("free", training_use=True), plan("basic", training_use=True), plan("plus")],
    }
)


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        (None, ("free", True)),  # unknown user: the free plan's terms
        (account("free"), ("free", True)),
        (account("basic"), ("basic", True)),
        (account("plus"), ("plus", False)),
        (account("plus", end=NOW + timedelta(days=1)), ("plus", False)),
        # A lapse never grants consent the paid plan did not.
        (account("plus", end=NOW - timedelta(days=1)), ("free", False)),
        (account("free", last_paid="plus"), ("free", False)),
        (account("basic", end=NOW - timedelta(days=1)), ("free", True)),
        (account("gone"), ("free", False)),  # a plan that left the catalogue: lapsed, unknown terms
    ],
)
def test_terms_are_those_of_the_plan_in_force_and_a_lapse_never_widens_them(record, expected):
    terms = licence_terms("alice", record, CATALOGUE, NOW)
    assert (terms.plan, terms.training_use) == expected
    assert (terms.user_id, terms.terms_version) == ("alice", "v7")
