"""Receipts: an account's credit grants and plan changes, worded for the person (pure).

Who changed a plan is recorded as an actor ("stripe:evt_…", "operator:<login>",
"billing:account-created"); a receipt says only where the change came from, never an operator's
login or a provider's ids.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from services.billing.catalogue import FREE, Catalogue
from services.billing.repository import HistoryRow

CREDITS = "credits"
PLAN = "plan"
ACCOUNT_CREATED = "billing:account-created"


@dataclass(frozen=True)
class Receipt:
    created_at: datetime
    kind: str
    description: str
    credits: int = 0
    plan: str = ""
    price_cents: int = 0


def _day(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return f"{moment:%B} {moment.day}, {moment.year}"


def _plan_name(catalogue: Catalogue, name: str) -> str:
    return catalogue.get(name).display_name if name in catalogue else name.capitalize()


def _grant(row: HistoryRow, catalogue: Catalogue) -> Receipt:
    # Grant keys: "month:<plan>:<YYYY-MM>" or "period:<plan>:<unix end>" (subscriptions.py).
    period, _, rest = (row.grant_key or "").partition(":")
    plan, _, when = rest.partition(":")
    name = _plan_name(catalogue, plan)
    if period == "month" and len(when) == 7:
        month = datetime.strptime(when, "%Y-%m")
        what = f"{name} plan credits for {month:%B %Y}"
    elif period == "period" and when.isdigit():
        what = f"{name} plan credits for the period to {_day(datetime.fromtimestamp(int(when), UTC))}"
    else:
        what = f"{name} plan credits"
    return Receipt(row.created_at, CREDITS, what, credits=row.amount, plan=plan)


def _plan_change(row: HistoryRow, catalogue: Catalogue) -> Receipt:
    plan = row.plan or FREE
    name = _plan_name(catalogue, plan)
    actor = row.actor or ""
    paid_through_provider = actor.startswith("stripe:")
    until = f" until {_day(row.current_period_end)}" if row.current_period_end else ""
    price = 0
    if actor == ACCOUNT_CREATED:
        what = f"Account opened on the {name} plan"
    elif plan == FREE:
        what = f"Moved to the {name} plan"
    elif row.cancel_at_period_end:
        ends = f": it ends on {_day(row.current_period_end)}" if row.current_period_end else ""
        what = f"{name} plan cancelled{ends}"
    elif row.current_period_end and row.current_period_end <= row.created_at:
        what = f"{name} plan ended"
    elif paid_through_provider:
        price = catalogue.get(plan).monthly_price_cents if plan in catalogue else 0
        what = f"{name} plan{until}, paid through the payment provider"
    else:
        what = f"{name} plan{until}, set by an operator"
    return Receipt(row.created_at, PLAN, what, plan=plan, price_cents=price)


def receipts(rows: list[HistoryRow], catalogue: Catalogue) -> list[Receipt]:
    return [_grant(row, catalogue) if row.kind == "grant" else _plan_change(row, catalogue) for row in rows]
