"""Who may see an image and who may change its visibility: pure rules, no I/O.

The handlers load the facts (the image row, the actor's account from billing, the operator's
retroactive_privacy switch) and apply these functions; the SQL never decides on its own.

A lapse never changes a private or public image's visibility (P4: private images stay private),
and an upgrade publishes or hides nothing by itself. The plan only decides whether the owner may
*change* visibility, and that is asked of billing at the moment of each change. The one plan
change the authority follows is a Team plan that ends: its teams' images turn private
(team_lapse.py, from billing's PlanChanged).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

PUBLIC = "public"
PRIVATE = "private"
# Seen by the owner and the current members of the image's team (teams.py); never public.
TEAM = "team"
VISIBILITIES = (PUBLIC, PRIVATE, TEAM)

PRIVACY_ENTITLEMENT = "private_generation"

NOT_FOUND = "image not found"
NEEDS_PLAN = "Private images need the Plus plan or higher."
PLAN_LAPSED = (
    "Your Plus plan has ended: your private images stay private, but changing visibility needs an "
    "active Plus plan or higher."
)
STAYS_PUBLIC = "This image was made on a plan without privacy and stays public."
NOT_A_MEMBER = "You can share an image only with a team you are a member of."


class SubscriptionStatus(enum.Enum):
    NONE = "none"
    ACTIVE = "active"
    LAPSED = "lapsed"
    # Billing answered without a status: treated as not subscribed (fail closed).
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Account:
    """The actor's account as billing reports it at the moment of the request."""

    plan: str
    entitlements: frozenset[str]
    status: SubscriptionStatus

    @property
    def may_change_visibility(self) -> bool:
        return self.status is SubscriptionStatus.ACTIVE and PRIVACY_ENTITLEMENT in self.entitlements


@dataclass(frozen=True)
class ImageState:
    image_id: str
    owner_id: str
    visibility: str
    version: int
    deleted: bool
    made_with_privacy_entitlement: bool
    # The team whose current members see it; "" unless visibility is TEAM.
    team_id: str = ""


def may_view(viewer_id: str, image: ImageState | None, *, viewer_in_team: bool = False) -> bool:
    """P1/P3: a missing or deleted image is seen by nobody; a private one by its owner only; a
    team one also by whoever is a member of its team at the moment of the read (viewer_in_team,
    read in the same statement as the row). An anonymous viewer ("") owns nothing and is in no team."""
    if image is None or image.deleted:
        return False
    if image.visibility == PUBLIC:
        return True
    if viewer_id == "":
        return False
    return image.owner_id == viewer_id or (image.visibility == TEAM and bool(image.team_id) and viewer_in_team)


def seen_as_team_member(viewer_id: str, image: ImageState | None, *, viewer_in_team: bool) -> bool:
    """Whether the viewer sees the image only through its team (neither public nor theirs)."""
    return (
        image is not None
        and image.visibility == TEAM
        and image.owner_id != viewer_id
        and may_view(viewer_id, image, viewer_in_team=viewer_in_team)
    )


def is_owned_by(actor_id: str, image: ImageState | None) -> bool:
    """Whether the actor may act on the image at all. Everything else (another user's image, a
    deleted one, an unknown one) is answered the same way: NOT_FOUND."""
    return image is not None and not image.deleted and actor_id != "" and image.owner_id == actor_id


class Outcome(enum.Enum):
    CHANGE = "change"
    UNCHANGED = "unchanged"
    REFUSED = "refused"


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    reason: str = ""


def decide_change(
    account: Account, image: ImageState, target: str, *, retroactive_privacy: bool, team_id: str = ""
) -> Decision:
    """Whether the owner of `image` may set it to `target`. Ownership is checked before
    (is_owned_by); this decides on plan and policy only.

    - Asking for the visibility the image already has changes nothing and needs no plan, so a
      retried request gets the same answer after a lapse.
    - Any real change, to private or back to public, needs the privacy entitlement on an active
      subscription; a lapsed plan keeps private images private and refuses the change (P4).
    - With retroactive_privacy off, an image made without the entitlement never becomes private
      (nor team: a team image is hidden from everyone outside the team).
    - Team (team_id set with it, and only with it): the actor's membership is checked by the caller
      with the membership row locked; moving to another team is a change like any other.
    """
    if target not in VISIBILITIES:
        raise ValueError(f"unknown visibility {target!r}")
    if (target == TEAM) != bool(team_id):
        raise ValueError("team_id goes with the team visibility, and only with it")
    if image.visibility == target and image.team_id == team_id:
        return Decision(Outcome.UNCHANGED)
    if not account.may_change_visibility:
        if account.status is SubscriptionStatus.LAPSED:
            return Decision(Outcome.REFUSED, PLAN_LAPSED)
        return Decision(Outcome.REFUSED, NEEDS_PLAN)
    if target != PUBLIC and not retroactive_privacy and not image.made_with_privacy_entitlement:
        return Decision(Outcome.REFUSED, STAYS_PUBLIC)
    return Decision(Outcome.CHANGE)


def changed(image: ImageState, target: str, team_id: str = "") -> ImageState:
    """The image after an allowed change: the new visibility (and team) and the next version."""
    return ImageState(
        image_id=image.image_id,
        owner_id=image.owner_id,
        visibility=target,
        version=image.version + 1,
        deleted=image.deleted,
        made_with_privacy_entitlement=image.made_with_privacy_entitlement,
        team_id=team_id,
    )
