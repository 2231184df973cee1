"""What a new generation may be, decided by this service alone from what the owner asked for and
what billing answered (ReserveCredits). Pure: no I/O.

Visibility:
- asked for private without `private_generation` in force (free, basic, lapsed): refused;
- asked for public: public, on every plan;
- nothing asked: the owner's last choice (public when there is none). When that choice was
  private and the plan no longer has the entitlement, refused rather than silently publishing
  what a client relying on the remembered choice expects to be private (P4: a downgrade never
  publishes);
- asked for team (with a team id): born in the team's scope, so there is no moment when the
  images are private-then-team or seen by anyone outside the team. It needs `private_generation`
  like private (hidden from the public), is never remembered as a last choice, and never applies
  to an image action (its result is its maker's alone). Membership is the visibility authority's:
  the gateway asks before submitting, and the authority registers the images private when the
  owner is no longer a member (or the team lapsed) by the time they exist.
Concurrency: at most the plan's `max_concurrent_generations` queued or running at once.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

PRIVATE_GENERATION = "private_generation"
PRIVATE = "private"
TEAM = "team"
# Machine-readable refusal reasons (trailing metadata `atelier-reason`): the gateway words them.
PRIVATE_NOT_ENTITLED = "private_not_entitled"
REMEMBERED_PRIVATE_NOT_ENTITLED = "remembered_private_not_entitled"
CONCURRENCY_LIMIT = "concurrency_limit"


class VisibilityRefused(Exception):
    """The generation may not have the visibility asked for (or remembered); `reason` says which."""

    def __init__(self, reason: str):
        self.reason = reason
        if reason == PRIVATE_NOT_ENTITLED:
            message = "private generations need private_generation on an active plan"
        else:
            message = (
                "the owner's last choice was private and the plan in force lacks private_generation;"
                " ask for public to generate publicly"
            )
        super().__init__(message)


class ConcurrencyLimit(Exception):
    """The owner already has as many generations in progress as the plan allows."""

    def __init__(self, running: int, limit: int):
        self.running = running
        self.limit = limit
        super().__init__(
            f"You have {running} generation(s) in progress and your plan allows {limit} at a time."
            " Wait for one to finish or upgrade your plan."
        )


@dataclass(frozen=True)
class WantedVisibility:
    visibility: str
    # Asked for in this request (not the remembered last choice).
    asked: bool
    # The team of a team generation; "" otherwise.
    team_id: str = ""

    @property
    def required_entitlements(self) -> tuple[str, ...]:
        return (PRIVATE_GENERATION,) if self.visibility in (PRIVATE, TEAM) else ()


class TeamWithoutTeamId(ValueError):
    """Team visibility names its team, and a team id goes with team visibility only."""


def wanted_visibility(requested: str | None, last_choice: str | None, team_id: str = "") -> WantedVisibility:
    """The visibility the owner wants: what they asked for, else their last choice, else public."""
    if (requested == TEAM) != bool(team_id):
        raise TeamWithoutTeamId("team_id: required with the team visibility, and only with it")
    if requested is not None:
        return WantedVisibility(requested, asked=True, team_id=team_id)
    return WantedVisibility(last_choice or "public", asked=False)


def refusal_of(wanted: WantedVisibility) -> VisibilityRefused:
    return VisibilityRefused(PRIVATE_NOT_ENTITLED if wanted.asked else REMEMBERED_PRIVATE_NOT_ENTITLED)


def decide_visibility(wanted: WantedVisibility, entitlements: Collection[str]) -> str:
    """The visibility the generation gets; raises VisibilityRefused. `entitlements`: those in force
    now, as billing answered (none when the plan lapsed)."""
    missing = set(wanted.required_entitlements) - set(entitlements)
    if missing:
        raise refusal_of(wanted)
    return wanted.visibility


def check_concurrency(running: int, limit: int) -> None:
    """Raises ConcurrencyLimit when `running` generations already fill the plan's `limit` (a
    catalogue plan allows at least 1; a missing limit, 0, allows nothing: fail closed)."""
    if running >= limit:
        raise ConcurrencyLimit(running, limit)
