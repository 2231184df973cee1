"""Who may use, delete and share a custom model (services/generation/custom_model_access.py), pure:
its owner always; a team's current members while the owner is one and the team has not lapsed;
deleting by the owner or the team's owners and admins; sharing with a team of one's own only."""

import pytest

from services.generation.clients import ADMIN, MEMBER, OWNER, TeamStanding
from services.generation.custom_model_access import (
    may_delete,
    may_share_with,
    may_use,
    usable_teams,
)

TEAM = "6f1c2a34-1d9e-4a55-9b0e-3f4c5d6e7f80"
CREW = TeamStanding(TEAM, {"olga": OWNER, "ada": ADMIN, "max": MEMBER})


def teams(*standings: TeamStanding) -> dict[str, TeamStanding]:
    return usable_teams(standings)


def test_the_owner_always_uses_their_model_even_without_or_outside_a_team() -> None:
    assert may_use("olga", "", "olga", {})
    assert may_use("olga", TEAM, "olga", {})  # left the team, or it lapsed: still theirs


@pytest.mark.parametrize(
    ("viewer", "model_team", "viewer_teams", "allowed"),
    [
        ("max", TEAM, teams(CREW), True),  # a current member
        ("max", "", teams(CREW), False),  # not shared
        ("eve", TEAM, {}, False),  # not a member
        ("max", TEAM, teams(TeamStanding(TEAM, CREW.members, lapsed=True)), False),  # lapsed
        ("max", TEAM, teams(TeamStanding(TEAM, {"ada": OWNER, "max": MEMBER})), False),  # the owner left
        ("max", "another-team", teams(CREW), False),  # shared with a team the viewer is not in
        ("", TEAM, teams(CREW), False),  # anonymous
    ],
)
def test_a_team_model_is_usable_by_current_members_of_a_team_in_good_standing_only(
    viewer: str, model_team: str, viewer_teams: dict[str, TeamStanding], allowed: bool
) -> None:
    assert may_use("olga", model_team, viewer, viewer_teams) is allowed


def test_the_owner_and_the_teams_owners_and_admins_delete_a_plain_member_does_not() -> None:
    crew = teams(CREW, TeamStanding("solo", {"ada": OWNER}))
    assert may_delete("olga", TEAM, "olga", {})
    assert may_delete("olga", TEAM, "ada", crew)
    assert not may_delete("olga", TEAM, "max", crew)
    assert not may_delete("olga", "", "ada", crew)  # not shared: the owner's alone
    assert not may_delete("olga", TEAM, "ada", teams(TeamStanding(TEAM, CREW.members, lapsed=True)))


def test_a_model_is_shared_with_a_team_of_the_owners_own_only_and_taken_back_always() -> None:
    assert may_share_with("max", TEAM, teams(CREW))
    assert not may_share_with("eve", TEAM, {})
    assert not may_share_with("max", TEAM, teams(TeamStanding(TEAM, CREW.members, lapsed=True)))
    assert may_share_with("eve", "", {})
