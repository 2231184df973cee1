"""What a user's plan allows, until the billing service answers it.

PLACEHOLDER: every account is on the free plan and its credits are the plan's default allowance.
A later issue replaces this module with a call to BillingService.GetAccount (and PlanChanged events);
nothing here is a source of truth.
"""

from dataclasses import dataclass

GENERATE_PRIVATE = "generate_private"


@dataclass(frozen=True)
class PlanView:
    plan: str
    entitlements: tuple[str, ...]
    credits: int


PLACEHOLDER_PLAN_DEFAULTS = {
    "free": PlanView(plan="free", entitlements=(), credits=100),
}


def placeholder_plan_for(user_id: object) -> PlanView:
    return PLACEHOLDER_PLAN_DEFAULTS["free"]
