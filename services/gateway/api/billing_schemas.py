"""Request and response bodies of buying plans: checkout, the portal, the stand-in provider's
pages, the subscription and receipts."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.gateway.plans import SubscriptionStatus


class _Request(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


class CheckoutCreate(_Request):
    plan: str = Field(min_length=1, max_length=32, description="the plan to buy (a name from GET /api/v1/plans)")


class Redirect(BaseModel):
    url: str = Field(description="where to send the browser: the payment provider's page")


class Subscription(BaseModel):
    plan: str
    plan_display_name: str
    status: SubscriptionStatus
    credits: int
    current_period_end: datetime | None
    cancel_at_period_end: bool = Field(description="the plan ends at current_period_end and does not renew")
    manageable: bool = Field(description="a payment-provider subscription: POST /api/v1/billing/portal opens it")


class ReceiptOut(BaseModel):
    created_at: datetime
    kind: Literal["credits", "plan"]
    description: str
    credits: int = Field(description="credits granted (kind credits)")
    plan: str
    price_cents: int = Field(description="a month's price when the plan was bought; 0 otherwise")
    currency: str


class ReceiptList(BaseModel):
    items: list[ReceiptOut]


class StandInPlan(BaseModel):
    name: str
    display_name: str
    monthly_credits: int
    monthly_price_cents: int
    currency: str


class StandInSessionOut(BaseModel):
    session_id: str
    kind: Literal["checkout", "portal"]
    plan: StandInPlan
    completed: bool
    current_period_end: datetime | None
    cancel_at_period_end: bool
    cancel_url: str


class StandInAction(_Request):
    action: Literal["pay", "cancel", "resume"]


class StandInDone(BaseModel):
    redirect_url: str
