"""Stripe Checkout and the Customer Portal through the official `stripe` library.

The subscription's metadata (`atelier_user_id`, `atelier_plan`) is what the webhooks read back
(webhooks.py), and `client_reference_id` names the user on `checkout.session.completed`. Prices
are Stripe Price ids per plan (ATELIER_BILLING_STRIPE_PRICES), because Stripe charges what its
Price says: the catalogue's figure is what the pricing page shows, and the two must agree.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

import stripe

from services.billing.providers import CheckoutRequest, PortalRequest, ProviderUnavailable, Session

log = logging.getLogger(__name__)


def checkout_params(request: CheckoutRequest, price_id: str) -> dict[str, Any]:
    """The Checkout Session Stripe is asked for (https://docs.stripe.com/api/checkout/sessions/create)."""
    metadata = {"atelier_user_id": request.user_id, "atelier_plan": request.plan.name}
    params: dict[str, Any] = {
        "mode": "subscription",
        "line_items": [{"price": price_id, "quantity": 1}],
        "success_url": request.success_url,
        "cancel_url": request.cancel_url,
        "client_reference_id": request.user_id,
        "metadata": metadata,
        "subscription_data": {"metadata": metadata},
    }
    if request.customer_id:
        params["customer"] = request.customer_id
    return params


class StripeProvider:
    name = "stripe"

    def __init__(
        self,
        api_key: str,
        prices: Mapping[str, str],
        *,
        http_client: stripe.HTTPClient | None = None,
        max_network_retries: int = 2,
    ):
        self._prices = dict(prices)
        self._client = stripe.StripeClient(api_key, http_client=http_client, max_network_retries=max_network_retries)

    async def checkout(self, request: CheckoutRequest) -> Session:
        price = self._prices.get(request.plan.name)
        if not price:
            raise ProviderUnavailable(f"no Stripe price is configured for the {request.plan.name} plan")
        params = checkout_params(request, price)
        session = await self._call(lambda: self._client.v1.checkout.sessions.create(params))  # type: ignore[arg-type]
        return Session(session.id, session.url or "")

    async def portal(self, request: PortalRequest) -> Session:
        if not request.customer_id:
            raise ProviderUnavailable("this account has no Stripe customer yet")
        params = {"customer": request.customer_id, "return_url": request.return_url}
        session = await self._call(lambda: self._client.v1.billing_portal.sessions.create(params))  # type: ignore[arg-type]
        return Session(session.id, session.url)

    async def _call(self, create: Any) -> Any:
        try:
            # The library's synchronous client, off the event loop: one request per click.
            return await asyncio.to_thread(create)
        except stripe.StripeError as error:
            log.warning("stripe refused", extra={"error": type(error).__name__, "stripe_code": error.code})
            raise ProviderUnavailable("The payment provider is unavailable right now; please try again.") from error
