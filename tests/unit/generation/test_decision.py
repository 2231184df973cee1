"""The generation service's decision of a new generation (services/generation/decision.py),
pure: visibility from what was asked, the last choice and the entitlements in force; the
concurrency limit."""

import pytest

from services.generation.decision import (
    PRIVATE_GENERATION,
    PRIVATE_NOT_ENTITLED,
    REMEMBERED_PRIVATE_NOT_ENTITLED,
    ConcurrencyLimit,
    TeamWithoutTeamId,
    VisibilityRefused,
    check_concurrency,
    decide_visibility,
    wanted_visibility,
)

PAID = frozenset({PRIVATE_GENERATION, "download_png", "upscale", "edit", "delete_generation"})
BASIC = frozenset({"download_png", "upscale", "edit", "delete_generation"})
NONE: frozenset[str] = frozenset()  # free, or a lapsed plan: nothing in force


def decide(requested, last, entitlements) -> str:
    return decide_visibility(wanted_visibility(requested, last), entitlements)


@pytest.mark.parametrize(
    ("entitlements", "requested", "last", "expected"),
    [
        (NONE, None, None, "public"),
        (NONE, "public", None, "public"),
        (NONE, None, "public", "public"),
        (NONE, "public", "private", "public"),
        (BASIC, None, None, "public"),
        (PAID, None, None, "public"),
        (PAID, None, "private", "private"),
        (PAID, None, "public", "public"),
        (PAID, "public", "private", "public"),
        (PAID, "private", None, "private"),
        (PAID, "private", "public", "private"),
    ],
)
def test_the_visibility_of_a_new_generation(entitlements, requested, last, expected) -> None:
    assert decide(requested, last, entitlements) == expected


@pytest.mark.parametrize("entitlements", [NONE, BASIC])
def test_asking_for_private_without_the_entitlement_is_refused(entitlements) -> None:
    with pytest.raises(VisibilityRefused) as refused:
        decide("private", None, entitlements)
    assert refused.value.reason == PRIVATE_NOT_ENTITLED


def test_a_lapse_never_silently_publishes_what_the_owner_last_kept_private() -> None:
    with pytest.raises(VisibilityRefused) as refused:
        decide(None, "private", NONE)
    assert refused.value.reason == REMEMBERED_PRIVATE_NOT_ENTITLED


def test_only_a_private_generation_needs_an_entitlement_from_billing() -> None:
    assert wanted_visibility("private", None).required_entitlements == (PRIVATE_GENERATION,)
    assert wanted_visibility(None, "private").required_entitlements == (PRIVATE_GENERATION,)
    assert wanted_visibility(None, None).required_entitlements == ()
    assert wanted_visibility("public", "private").required_entitlements == ()


def test_the_plan_limits_generations_in_progress() -> None:
    check_concurrency(3, 4)
    with pytest.raises(ConcurrencyLimit) as refused:
        check_concurrency(4, 4)
    assert str(refused.value) == (
        "You have 4 generation(s) in progress and your plan allows 4 at a time."
        " Wait for one to finish or upgrade your plan."
    )
    with pytest.raises(ConcurrencyLimit):
        check_concurrency(0, 0)  # no limit known: nothing allowed


TEAM_ID = "0b9f6f0e-5a43-4c1e-9f55-1f4f4e2f7a10"


def test_a_team_generation_is_born_in_its_team_and_needs_what_private_needs() -> None:
    wanted = wanted_visibility("team", None, TEAM_ID)
    assert decide_visibility(wanted, PAID) == "team" and wanted.team_id == TEAM_ID
    with pytest.raises(VisibilityRefused) as refused:
        decide_visibility(wanted, BASIC)  # hidden from the public: never published for want of a plan
    assert refused.value.reason == PRIVATE_NOT_ENTITLED


@pytest.mark.parametrize(("requested", "team_id"), [("team", ""), ("private", TEAM_ID), (None, TEAM_ID)])
def test_a_team_id_goes_with_the_team_visibility_only(requested, team_id) -> None:
    with pytest.raises(TeamWithoutTeamId):
        wanted_visibility(requested, None, team_id)
