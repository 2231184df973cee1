"""The gateway's plan rules (services/gateway/plans.py), pure: every plan × action, lapsed
accounts, and the words of a refused private generation (the generation service decides it:
tests/unit/generation/test_decision.py)."""

import pytest

from services.gateway.plans import (
    DELETE_GENERATION,
    DOWNLOAD_PNG,
    ENTITLEMENTS,
    PRIVATE_GENERATION,
    AccountView,
    PlanInfo,
    permission,
    png_allowed,
    private_generation_refusal,
)

PAID = ("download_png", "upscale", "edit", "delete_generation", "custom_models")
PLANS = (
    PlanInfo("free", "Free", (), 25, 1),
    PlanInfo("basic", "Basic", PAID, 400, 2),
    PlanInfo("plus", "Plus", ("private_generation", *PAID), 1000, 4),
    PlanInfo("pro", "Pro", ("private_generation", *PAID), 3000, 8),
    PlanInfo("team", "Team", ("private_generation", *PAID), 10000, 8),
)
BY_NAME = {plan.name: plan for plan in PLANS}


def account(plan: str, status: str | None = None) -> AccountView:
    return AccountView(
        plan=plan,
        entitlements=frozenset(BY_NAME[plan].entitlements),
        credits=10,
        status=status or ("none" if plan == "free" else "active"),
    )  # type: ignore[arg-type]


def lapsed(from_plan: str = "plus") -> AccountView:
    return AccountView(plan="free", entitlements=frozenset(), credits=0, status="lapsed", lapsed_plan=from_plan)


EXPECTED = {  # ARCHITECTURE.md §4
    "free": set(),
    "basic": {DOWNLOAD_PNG, "upscale", "edit", DELETE_GENERATION, "custom_models"},
    "plus": set(ENTITLEMENTS),
    "pro": set(ENTITLEMENTS),
    "team": set(ENTITLEMENTS),
}
NEEDS = {
    PRIVATE_GENERATION: "Plus",
    DOWNLOAD_PNG: "Basic",
    "upscale": "Basic",
    "edit": "Basic",
    DELETE_GENERATION: "Basic",
    "custom_models": "Basic",
}


@pytest.mark.parametrize("plan", list(EXPECTED))
@pytest.mark.parametrize("entitlement", ENTITLEMENTS)
def test_every_plan_and_action(plan: str, entitlement: str) -> None:
    decided = permission(account(plan), entitlement, PLANS)
    assert decided.allowed == (entitlement in EXPECTED[plan])
    if decided.allowed:
        assert decided.reason is None
    else:
        assert decided.reason is not None and f"the {NEEDS[entitlement]} plan or higher" in decided.reason


@pytest.mark.parametrize("entitlement", ENTITLEMENTS)
def test_a_lapsed_account_is_told_its_plan_ended(entitlement: str) -> None:
    decided = permission(lapsed(), entitlement, PLANS)
    assert not decided.allowed
    assert decided.reason is not None
    assert decided.reason.startswith("Your Plus plan has ended: ")
    assert f"{NEEDS[entitlement]} plan or higher" in decided.reason
    if entitlement == PRIVATE_GENERATION:
        assert "your private images stay private and can be downloaded as JPG" in decided.reason


def test_a_lapsed_account_that_still_lists_entitlements_gets_none_of_them() -> None:
    stale = AccountView(
        plan="plus", entitlements=frozenset(ENTITLEMENTS), credits=0, status="lapsed", lapsed_plan="plus"
    )
    assert not any(permission(stale, e, PLANS).allowed for e in ENTITLEMENTS)
    assert not png_allowed(stale)


def test_png_only_with_download_png() -> None:
    assert [png_allowed(account(p)) for p in EXPECTED] == [False, True, True, True, True]
    assert not png_allowed(None)  # anonymous
    assert not png_allowed(lapsed())


def test_without_a_catalogue_the_message_still_reads() -> None:
    assert permission(account("free"), PRIVATE_GENERATION, ()).reason == "Private generations need a paid plan."


@pytest.mark.parametrize("plan", ["free", "basic"])
def test_a_plan_without_privacy_is_told_which_plan_has_it(plan: str) -> None:
    assert private_generation_refusal(account(plan), PLANS, remembered=False) == (
        "Private generations need the Plus plan or higher."
    )


def test_a_lapsed_plan_is_told_it_ended() -> None:
    assert private_generation_refusal(lapsed(), PLANS, remembered=False).startswith("Your Plus plan has ended")


def test_a_refused_remembered_choice_says_how_to_generate_publicly() -> None:
    reason = private_generation_refusal(lapsed(), PLANS, remembered=True)
    assert reason.startswith("Your Plus plan has ended")
    assert reason.endswith('Your last generations were private: send "visibility": "public" to generate publicly.')
