"""Which plan is in force, computed from the account row and the clock at read time.

Nothing has to run for a lapse to take effect: an account whose paid period has ended reads as
LAPSED (plan in force "free", `lapsed_plan` the paid plan) from that instant on. Status:
  - NONE:   on the free plan and never on a paid one;
  - ACTIVE: on a paid plan whose period has not ended (or has no end);
  - LAPSED: was on a paid plan, which ended (period end passed, provider cancelled, or an
            operator moved the account to free). It stays LAPSED until the next paid plan.

Credit periods: a subscription managed by the payment provider renews with its billing period
(the grant is keyed by the period's end); everything else — free, lapsed, operator-set plans —
gets its allowance per calendar month (UTC), granted lazily on the first use in that month.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum

from services.billing.catalogue import FREE, Catalogue, Plan


class Status(StrEnum):
    NONE = "none"
    ACTIVE = "active"
    LAPSED = "lapsed"


@dataclass(frozen=True)
class AccountRecord:
    """The account row: what the user subscribed to, not what is in force now."""

    user_id: str
    plan: str
    period_start: datetime
    current_period_end: datetime | None
    last_paid_plan: str | None
    provider_subscription_id: str | None
    provider_event_created: int | None
    announced_plan: str
    announced_status: str
    created_at: datetime
    # The payment provider's customer (Stripe "cus_..."), known once a checkout completed.
    provider_customer_id: str | None = None
    # Cancelled with the provider: the plan runs to current_period_end and does not renew.
    cancel_at_period_end: bool = False


@dataclass(frozen=True)
class InForce:
    plan: Plan
    status: Status
    lapsed_plan: str
    current_period_end: datetime | None
    # Key of this period's grant: one grant per key and account.
    allowance_key: str
    renews_on: date
    # The paid plan in force ends at current_period_end instead of renewing.
    cancel_at_period_end: bool = False

    @property
    def entitlements(self) -> tuple[str, ...]:
        return self.plan.entitlements


def _next_month(now: datetime) -> date:
    return date(now.year + 1, 1, 1) if now.month == 12 else date(now.year, now.month + 1, 1)


def in_force(account: AccountRecord, catalogue: Catalogue, now: datetime) -> InForce:
    now = now.astimezone(UTC)
    end = account.current_period_end
    subscribed = account.plan
    active = subscribed != FREE and subscribed in catalogue and (end is None or end > now)
    if active:
        plan = catalogue.get(subscribed)
        if account.provider_subscription_id and end is not None:
            key, renews = f"period:{plan.name}:{int(end.timestamp())}", end.astimezone(UTC).date()
        else:
            key, renews = f"month:{plan.name}:{now:%Y-%m}", _next_month(now)
            if end is not None:
                renews = min(renews, end.astimezone(UTC).date())
        return InForce(plan, Status.ACTIVE, "", end, key, renews, account.cancel_at_period_end)
    free = catalogue.free
    key, renews = f"month:{FREE}:{now:%Y-%m}", _next_month(now)
    if subscribed != FREE:
        # The paid period ended (or the plan left the catalogue): the free plan is in force.
        return InForce(free, Status.LAPSED, subscribed, end, key, renews)
    if account.last_paid_plan:
        return InForce(free, Status.LAPSED, account.last_paid_plan, end, key, renews)
    return InForce(free, Status.NONE, "", None, key, renews)


def needs_announcement(account: AccountRecord, state: InForce) -> bool:
    """Whether the plan in force differs from the last PlanChanged we published."""
    return (account.announced_plan, account.announced_status) != (state.plan.name, state.status.value)
