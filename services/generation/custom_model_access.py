"""Who may use a custom model, decided from the model's row and the viewer's teams as the
visibility authority answers them (VisibilityClient.teams_of) at that moment. Pure: no I/O.

- Its owner always (it is theirs: a lapsed team or leaving one takes nothing from them).
- Shared with a team: that team's current members, while the team has not lapsed and the owner is
  still one of its members. Otherwise it is its owner's only again; the share is kept, so it
  resumes only when the owner is a member of that team in good standing again.
- Its training images (and their captions, a private image's prompt) are the owner's only.
- Deleting it: its owner, or an owner or admin of the team it is shared with (who may use it).
- Sharing it (or taking it back): its owner only, with a team they are a current member of."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from services.generation.clients import ADMIN, OWNER, TeamStanding


def usable_teams(teams: Iterable[TeamStanding]) -> dict[str, TeamStanding]:
    """The viewer's teams a model can be shared through: those that have not lapsed."""
    return {team.team_id: team for team in teams if not team.lapsed}


def may_use(owner_id: str, team_id: str, viewer_id: str, teams: Mapping[str, TeamStanding]) -> bool:
    """`teams`: the viewer's usable teams (usable_teams)."""
    if not viewer_id:
        return False
    if viewer_id == owner_id:
        return True
    team = teams.get(team_id) if team_id else None
    return team is not None and viewer_id in team.members and owner_id in team.members


def may_delete(owner_id: str, team_id: str, viewer_id: str, teams: Mapping[str, TeamStanding]) -> bool:
    if viewer_id and viewer_id == owner_id:
        return True
    if not may_use(owner_id, team_id, viewer_id, teams):
        return False
    return teams[team_id].members.get(viewer_id) in (OWNER, ADMIN)


def may_share_with(viewer_id: str, team_id: str, teams: Mapping[str, TeamStanding]) -> bool:
    """Whether the viewer may share their own model with this team ("" takes it back: always)."""
    if not team_id:
        return True
    team = teams.get(team_id)
    return team is not None and viewer_id in team.members
