"""Team roles and the `team` scope: who may change a membership, and who sees a team image."""

import pytest

from services.visibility.policy import (
    PRIVACY_ENTITLEMENT,
    PRIVATE,
    PUBLIC,
    TEAM,
    Account,
    ImageState,
    Outcome,
    SubscriptionStatus,
    changed,
    decide_change,
    may_view,
    seen_as_team_member,
)
from services.visibility.teams import (
    ADMIN,
    LAST_OWNER,
    MEMBER,
    OWNER,
    Refusal,
    TeamRuleBroken,
    check_invite,
    check_removal,
    check_role_change,
    clean_name,
    holds_team_plan,
    lapses,
)

TEAM_ID = "7b0c2a52-2f4c-4a53-9d3b-6a8e5c6f0a11"
MEMBERS = {"olga": OWNER, "adam": ADMIN, "mia": MEMBER, "max": MEMBER}
PLUS = Account("plus", frozenset({PRIVACY_ENTITLEMENT}), SubscriptionStatus.ACTIVE)
FREE = Account("free", frozenset(), SubscriptionStatus.NONE)


def team_image(owner: str = "mia", deleted: bool = False) -> ImageState:
    return ImageState("i1", owner, TEAM, 2, deleted, True, TEAM_ID)


def refusal(check, *args) -> Refusal:
    with pytest.raises(TeamRuleBroken) as broken:
        check(*args)
    return broken.value.kind


def test_a_team_image_is_seen_by_its_owner_and_current_members_only():
    image = team_image()
    assert may_view("mia", image)  # the owner, member or not
    assert may_view("max", image, viewer_in_team=True)
    assert not may_view("max", image, viewer_in_team=False)  # a removed member, a stranger
    assert not may_view("", image, viewer_in_team=True)  # anonymous is in no team
    assert not may_view("max", team_image(deleted=True), viewer_in_team=True)
    # Membership opens team images only: never a private one.
    assert not may_view("max", ImageState("i2", "mia", PRIVATE, 1, False, True), viewer_in_team=True)
    assert seen_as_team_member("max", image, viewer_in_team=True)
    assert not seen_as_team_member("mia", image, viewer_in_team=True)
    assert not seen_as_team_member("max", ImageState("i3", "mia", PUBLIC, 1, False, True), viewer_in_team=True)


def test_sharing_with_a_team_needs_the_privacy_plan_and_moving_teams_is_a_change():
    public = ImageState("i1", "mia", PUBLIC, 1, False, True)
    assert decide_change(PLUS, public, TEAM, retroactive_privacy=True, team_id=TEAM_ID).outcome is Outcome.CHANGE
    assert decide_change(FREE, public, TEAM, retroactive_privacy=True, team_id=TEAM_ID).outcome is Outcome.REFUSED
    shared = changed(public, TEAM, TEAM_ID)
    assert (shared.visibility, shared.team_id, shared.version) == (TEAM, TEAM_ID, 2)
    assert decide_change(FREE, shared, TEAM, retroactive_privacy=True, team_id=TEAM_ID).outcome is Outcome.UNCHANGED
    other = "0f5a1c1e-9b1d-4d1c-8f5e-1b2c3d4e5f60"
    assert decide_change(PLUS, shared, TEAM, retroactive_privacy=True, team_id=other).outcome is Outcome.CHANGE
    assert changed(shared, PRIVATE).team_id == ""
    # Made without privacy, with retroactive privacy off: it stays public, out of any team.
    made_free = ImageState("i1", "mia", PUBLIC, 1, False, False)
    assert decide_change(PLUS, made_free, TEAM, retroactive_privacy=False, team_id=TEAM_ID).outcome is Outcome.REFUSED
    with pytest.raises(ValueError):
        decide_change(PLUS, public, TEAM, retroactive_privacy=True)


def test_who_may_invite():
    check_invite(MEMBERS, "olga", "zoe")
    check_invite(MEMBERS, "adam", "zoe")
    assert refusal(check_invite, MEMBERS, "mia", "zoe") is Refusal.FORBIDDEN
    assert refusal(check_invite, MEMBERS, "zoe", "ann") is Refusal.NOT_FOUND  # outsiders never learn of it
    assert refusal(check_invite, MEMBERS, "olga", "max") is Refusal.CONFLICT


def test_who_may_remove_whom_and_the_last_owner_stays():
    check_removal(MEMBERS, "mia", "mia")  # leaving
    check_removal(MEMBERS, "adam", "max")
    check_removal(MEMBERS, "olga", "adam")
    assert refusal(check_removal, MEMBERS, "mia", "max") is Refusal.FORBIDDEN
    assert refusal(check_removal, MEMBERS, "adam", "olga") is Refusal.FORBIDDEN
    assert refusal(check_removal, MEMBERS, "olga", "zoe") is Refusal.NOT_FOUND
    assert refusal(check_removal, MEMBERS, "zoe", "mia") is Refusal.NOT_FOUND
    with pytest.raises(TeamRuleBroken) as broken:
        check_removal(MEMBERS, "olga", "olga")
    assert (broken.value.kind, broken.value.message) == (Refusal.CONFLICT, LAST_OWNER)
    check_removal({**MEMBERS, "adam": OWNER}, "olga", "olga")  # another owner remains


def test_only_owners_change_roles_and_never_the_last_owner_away():
    check_role_change(MEMBERS, "olga", "mia", ADMIN)
    assert refusal(check_role_change, MEMBERS, "adam", "mia", ADMIN) is Refusal.FORBIDDEN
    assert refusal(check_role_change, MEMBERS, "olga", "olga", MEMBER) is Refusal.CONFLICT
    assert refusal(check_role_change, MEMBERS, "olga", "zoe", ADMIN) is Refusal.NOT_FOUND
    check_role_change({**MEMBERS, "mia": OWNER}, "olga", "olga", MEMBER)


@pytest.mark.parametrize("raw", ["", "   ", "x" * 81])
def test_a_team_name_is_one_to_eighty_characters(raw):
    with pytest.raises(ValueError):
        clean_name(raw)
    assert clean_name("  Design   crew ") == "Design crew"


def test_a_team_lapses_only_when_no_owner_holds_a_team_plan() -> None:
    assert holds_team_plan(True, ["teams", "private_generation"])
    assert not holds_team_plan(False, ["teams"])  # lapsed: the entitlements listed are the free plan's anyway
    assert not holds_team_plan(True, ["private_generation"])
    assert lapses(["ann"], set())
    assert lapses(["ann", "bob"], {"carl"})  # a plain member's plan pays for nothing
    assert not lapses(["ann", "bob"], {"bob"})
