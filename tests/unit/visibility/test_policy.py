"""The visibility policy for every plan × action × retroactive_privacy setting, and who may view."""

import itertools

import pytest

from services.visibility.policy import (
    NEEDS_PLAN,
    PLAN_LAPSED,
    PRIVACY_ENTITLEMENT,
    PRIVATE,
    PUBLIC,
    STAYS_PUBLIC,
    Account,
    ImageState,
    Outcome,
    SubscriptionStatus,
    changed,
    decide_change,
    is_owned_by,
    may_view,
)

PAID_EXTRAS = {"download_png", "upscale", "delete_generation"}
ACCOUNTS = {
    "free": Account("free", frozenset(), SubscriptionStatus.NONE),
    "basic": Account("basic", frozenset(PAID_EXTRAS), SubscriptionStatus.ACTIVE),
    "plus": Account("plus", frozenset(PAID_EXTRAS | {PRIVACY_ENTITLEMENT}), SubscriptionStatus.ACTIVE),
    "pro": Account("pro", frozenset(PAID_EXTRAS | {PRIVACY_ENTITLEMENT}), SubscriptionStatus.ACTIVE),
    "team": Account("team", frozenset(PAID_EXTRAS | {PRIVACY_ENTITLEMENT}), SubscriptionStatus.ACTIVE),
    "lapsed plus": Account("free", frozenset(), SubscriptionStatus.LAPSED),
    # Inconsistent answers from billing are read the strict way.
    "lapsed, entitlement still listed": Account("plus", frozenset({PRIVACY_ENTITLEMENT}), SubscriptionStatus.LAPSED),
    "no status, entitlement listed": Account("plus", frozenset({PRIVACY_ENTITLEMENT}), SubscriptionStatus.UNKNOWN),
}
# Why a plan refuses any real change; None: the plan allows changes.
PLAN_REFUSAL = {
    "free": NEEDS_PLAN,
    "basic": NEEDS_PLAN,
    "plus": None,
    "pro": None,
    "team": None,
    "lapsed plus": PLAN_LAPSED,
    "lapsed, entitlement still listed": PLAN_LAPSED,
    "no status, entitlement listed": NEEDS_PLAN,
}
ACTIONS = {"make private": (PUBLIC, PRIVATE), "make public": (PRIVATE, PUBLIC)}


def image(visibility=PUBLIC, made_with=True, owner="alice", deleted=False, version=3) -> ImageState:
    return ImageState("0b7f0f7e-3d4b-4d8e-9a53-7a4a3b0e2c11", owner, visibility, version, deleted, made_with)


@pytest.mark.parametrize(
    ("plan", "action", "made_with", "retroactive"),
    list(itertools.product(ACCOUNTS, ACTIONS, [True, False], [True, False])),
)
def test_every_plan_action_and_setting(plan, action, made_with, retroactive):
    current, target = ACTIONS[action]
    decision = decide_change(ACCOUNTS[plan], image(current, made_with), target, retroactive_privacy=retroactive)
    if PLAN_REFUSAL[plan] is not None:
        assert (decision.outcome, decision.reason) == (Outcome.REFUSED, PLAN_REFUSAL[plan])
    elif action == "make private" and not retroactive and not made_with:
        assert (decision.outcome, decision.reason) == (Outcome.REFUSED, STAYS_PUBLIC)
    else:
        assert decision.outcome is Outcome.CHANGE


@pytest.mark.parametrize(
    ("plan", "visibility", "made_with", "retroactive"),
    list(itertools.product(ACCOUNTS, [PUBLIC, PRIVATE], [True, False], [True, False])),
)
def test_asking_for_the_visibility_an_image_has_changes_nothing_on_any_plan(plan, visibility, made_with, retroactive):
    decision = decide_change(ACCOUNTS[plan], image(visibility, made_with), visibility, retroactive_privacy=retroactive)
    assert decision.outcome is Outcome.UNCHANGED


def test_retroactive_privacy_is_the_only_difference_for_an_image_made_without_privacy():
    made_on_free = image(PUBLIC, made_with=False)
    assert decide_change(ACCOUNTS["plus"], made_on_free, PRIVATE, retroactive_privacy=True).outcome is Outcome.CHANGE
    refused = decide_change(ACCOUNTS["plus"], made_on_free, PRIVATE, retroactive_privacy=False)
    assert refused.reason == "This image was made on a plan without privacy and stays public."
    made_on_plus = image(PUBLIC, made_with=True)
    assert decide_change(ACCOUNTS["plus"], made_on_plus, PRIVATE, retroactive_privacy=False).outcome is Outcome.CHANGE


def test_the_refusal_sentences_are_the_ones_users_read():
    assert NEEDS_PLAN == "Private images need the Plus plan or higher."
    assert PLAN_LAPSED.startswith("Your Plus plan has ended: your private images stay private")


def test_a_change_bumps_the_version_by_one_and_keeps_the_rest():
    before = image(PUBLIC, version=7)
    after = changed(before, PRIVATE)
    assert (after.visibility, after.version) == (PRIVATE, 8)
    assert (after.image_id, after.owner_id, after.made_with_privacy_entitlement) == (
        before.image_id,
        before.owner_id,
        before.made_with_privacy_entitlement,
    )


def test_an_unknown_target_is_a_programming_error():
    with pytest.raises(ValueError):
        decide_change(ACCOUNTS["plus"], image(), "unlisted", retroactive_privacy=True)


@pytest.mark.parametrize(
    ("viewer", "state", "allowed"),
    [
        ("alice", image(PUBLIC), True),
        ("alice", image(PRIVATE), True),
        ("bob", image(PUBLIC), True),
        ("bob", image(PRIVATE), False),
        ("", image(PUBLIC), True),
        ("", image(PRIVATE), False),
        # An anonymous viewer owns nothing, even a row with an empty owner.
        ("", image(PRIVATE, owner=""), False),
        ("alice", image(PUBLIC, deleted=True), False),
        ("alice", image(PRIVATE, deleted=True), False),
        ("bob", image(PUBLIC, deleted=True), False),
        ("alice", None, False),
        ("", None, False),
    ],
)
def test_who_may_view(viewer, state, allowed):
    assert may_view(viewer, state) is allowed


@pytest.mark.parametrize(
    ("actor", "state", "owned"),
    [
        ("alice", image(), True),
        ("bob", image(), False),
        ("", image(owner=""), False),
        ("alice", image(deleted=True), False),
        ("alice", None, False),
    ],
)
def test_only_the_owner_acts_on_a_live_image(actor, state, owned):
    assert is_owned_by(actor, state) is owned


def test_a_lapsed_owner_still_sees_their_private_images_and_others_still_do_not():
    """P4: nothing in the policy ties viewing to the plan; a lapse changes no visibility."""
    private = image(PRIVATE)
    assert may_view("alice", private) and not may_view("bob", private) and not may_view("", private)
