"""What a user's plan allows, as the gateway explains it to people. Pure: the facts come from the
billing service (GetAccount, ListPlans); this module only words them, and decides the gateway's own
reads (PNG downloads). What a new generation may be is the generation service's decision.

The entitlement names are the contract with billing (services/billing/plans.toml):
`private_generation`, `download_png`, `upscale`, `edit`, `delete_generation`. An entitlement counts
only while the subscription is not lapsed: a lapsed account is on the free plan, keeps its private
images private (the visibility authority never publishes them) and downloads them as JPG.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

PRIVATE_GENERATION = "private_generation"
DOWNLOAD_PNG = "download_png"
UPSCALE = "upscale"
EDIT = "edit"
DELETE_GENERATION = "delete_generation"
CUSTOM_MODELS = "custom_models"
ENTITLEMENTS = (PRIVATE_GENERATION, DOWNLOAD_PNG, UPSCALE, EDIT, DELETE_GENERATION, CUSTOM_MODELS)

SubscriptionStatus = Literal["none", "active", "lapsed"]

# What each entitlement unlocks, in words for the plan page, and the action as a sentence subject
# for refusals ("<action> need(s) the Plus plan or higher.").
UNLOCKS = {
    PRIVATE_GENERATION: "Private generations, and making images public or private (one by one or in bulk)",
    DOWNLOAD_PNG: "Full-quality PNG downloads (without it: a slightly compressed JPG)",
    UPSCALE: "Upscale images 2x",
    EDIT: "Remove and replace backgrounds, and the image editor: crop, rotate, flip, brightness and contrast",
    DELETE_GENERATION: "Delete a whole generation set",
    CUSTOM_MODELS: "Private custom models: train a style on your own images and generate with it",
    # Not an action the gateway gates (the visibility service checks it when a team is created).
    "teams": "Teams: share images with your members only; credits and concurrency per member",
}
# Entitlements a plan grants for features not built yet (issue 11): the plan page says "coming soon"
# instead of selling them as if they existed. Remove a name here in the change that ships its feature.
COMING_SOON: frozenset[str] = frozenset()
_ACTION = {
    PRIVATE_GENERATION: "Private generations need",
    DOWNLOAD_PNG: "PNG downloads need",
    UPSCALE: "Upscaling needs",
    EDIT: "Editing needs",
    DELETE_GENERATION: "Deleting generations needs",
    CUSTOM_MODELS: "Custom models need",
}
_LAPSED_ACTION = {
    UPSCALE: "upscaling needs",
    EDIT: "editing needs",
    DELETE_GENERATION: "deleting generations needs",
    CUSTOM_MODELS: "custom models need",
}


@dataclass(frozen=True)
class PlanInfo:
    name: str
    display_name: str
    entitlements: tuple[str, ...]
    monthly_credits: int
    max_concurrent_generations: int
    # A month's price in the currency's smallest unit; 0: not sold.
    monthly_price_cents: int = 0
    currency: str = "usd"


@dataclass(frozen=True)
class AccountView:
    """A user's account as billing reports it now."""

    plan: str
    entitlements: frozenset[str]
    credits: int
    status: SubscriptionStatus
    lapsed_plan: str = ""
    current_period_end: datetime | None = None
    max_concurrent_generations: int = 0
    cancel_at_period_end: bool = False
    has_provider_subscription: bool = False

    def has(self, entitlement: str) -> bool:
        return self.status != "lapsed" and entitlement in self.entitlements


@dataclass(frozen=True)
class Permission:
    allowed: bool
    # Why not, in a sentence the user can act on; None when allowed.
    reason: str | None = None


def display_name(plans: Sequence[PlanInfo], name: str) -> str:
    for plan in plans:
        if plan.name == name:
            return plan.display_name
    return name.capitalize() if name else "paid"


def cheapest_plan_with(plans: Sequence[PlanInfo], entitlement: str) -> str | None:
    """The display name of the first catalogue plan (ListPlans order: cheapest first) that has it."""
    return next((plan.display_name for plan in plans if entitlement in plan.entitlements), None)


def _needs(plans: Sequence[PlanInfo], entitlement: str) -> str:
    plan = cheapest_plan_with(plans, entitlement)
    return f"the {plan} plan or higher" if plan else "a paid plan"


def refusal(account: AccountView, entitlement: str, plans: Sequence[PlanInfo]) -> str:
    """Why the account may not use the entitlement (it does not have it)."""
    needs = _needs(plans, entitlement)
    if account.status == "lapsed":
        lapsed = display_name(plans, account.lapsed_plan) if account.lapsed_plan else "paid"
        active = needs.removeprefix("the ")
        if entitlement == PRIVATE_GENERATION:
            return (
                f"Your {lapsed} plan has ended: your private images stay private and can be downloaded as JPG, "
                f"but new private generations and visibility changes need an active {active}. "
                "Subscribe again to unlock them."
            )
        if entitlement == DOWNLOAD_PNG:
            return f"Your {lapsed} plan has ended: downloads are JPG until you subscribe again ({active})."
        return f"Your {lapsed} plan has ended: {_LAPSED_ACTION[entitlement]} an active {active}."
    return f"{_ACTION[entitlement]} {needs}."


def permission(account: AccountView, entitlement: str, plans: Sequence[PlanInfo]) -> Permission:
    if account.has(entitlement):
        return Permission(True)
    return Permission(False, refusal(account, entitlement, plans))


def permissions(account: AccountView, plans: Sequence[PlanInfo]) -> dict[str, Permission]:
    return {entitlement: permission(account, entitlement, plans) for entitlement in ENTITLEMENTS}


def png_allowed(account: AccountView | None) -> bool:
    """Full-quality PNG bytes only for viewers whose active plan has download_png; anonymous
    viewers, free and lapsed accounts get the slightly compressed JPG."""
    return account is not None and account.has(DOWNLOAD_PNG)


def private_generation_refusal(account: AccountView, plans: Sequence[PlanInfo], remembered: bool) -> str:
    """Why the generation service refused a private generation. `remembered`: nothing was asked
    and the user's last choice was private (a plan that has since lapsed): refused rather than
    silently publishing what a client relying on the remembered choice expects to be private."""
    reason = refusal(account, PRIVATE_GENERATION, plans)
    if remembered:
        reason += ' Your last generations were private: send "visibility": "public" to generate publicly.'
    return reason
