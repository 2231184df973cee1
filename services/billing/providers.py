"""The payment provider behind checkout and the customer portal, as one small interface.

Two implementations: Stripe (stripe_provider.py: Checkout Sessions and Customer Portal sessions
through the `stripe` library) and the stand-in (standin.py, development and tests: pages on the
gateway that play Stripe's part, with no network). Either way the plan changes only when the
provider's signed webhook arrives (operations.Billing.handle_webhook), never from what a browser
is sent back to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from services.billing.catalogue import Plan


class ProviderUnavailable(Exception):
    """The provider did not answer or refused the request; nothing was bought (UNAVAILABLE)."""


@dataclass(frozen=True)
class CheckoutRequest:
    user_id: str
    plan: Plan
    currency: str
    # The provider's customer of this user, when a checkout completed before.
    customer_id: str | None
    success_url: str
    cancel_url: str


@dataclass(frozen=True)
class PortalRequest:
    user_id: str
    plan: Plan
    customer_id: str | None
    return_url: str


@dataclass(frozen=True)
class Session:
    session_id: str
    url: str


class PaymentProvider(Protocol):
    name: str

    async def checkout(self, request: CheckoutRequest) -> Session: ...

    async def portal(self, request: PortalRequest) -> Session: ...
