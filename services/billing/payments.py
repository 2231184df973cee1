"""Buying plans: checkout and portal sessions through the payment provider, the stand-in
provider's sessions, and receipts. Nothing here changes a plan: the provider's signed webhook
does (operations.Billing.handle_webhook), whichever provider it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from psycopg_pool import AsyncConnectionPool

from services.billing import repository as repo
from services.billing import standin
from services.billing.catalogue import Plan
from services.billing.operations import AccountView, Billing, Conflict, InvalidArgument, NotFound
from services.billing.providers import CheckoutRequest, PaymentProvider, PortalRequest, Session
from services.billing.receipts import Receipt, receipts
from services.billing.subscriptions import Status

MAX_URL = 2000
MAX_RECEIPTS = 200
NOT_SET_UP = "Payments are not set up on this Atelier: an operator changes plans (python -m services.billing set-plan)."


@dataclass(frozen=True)
class StandInView:
    session: repo.StandInSessionRow
    plan: Plan
    account: AccountView


def _url(value: str, field: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(value) > MAX_URL:
        raise InvalidArgument(f"{field}: must be an absolute http(s) URL of at most {MAX_URL} characters")
    return value


def _subscribed(view: AccountView) -> bool:
    return view.state.status is Status.ACTIVE and bool(view.account.provider_subscription_id)


class Payments:
    def __init__(
        self,
        billing: Billing,
        pool: AsyncConnectionPool,
        provider: PaymentProvider | None,
        *,
        webhook_secret: str | None,
        clock,
    ):
        self._billing = billing
        self._pool = pool
        self._provider = provider
        self._secret = webhook_secret
        self._clock = clock

    @property
    def _catalogue(self):
        return self._billing.catalogue

    def _plan_for_sale(self, name: str) -> Plan:
        if name not in self._catalogue:
            raise InvalidArgument(f"plan: {name!r} is not one of {self._catalogue.names}")
        plan = self._catalogue.get(name)
        if not plan.for_sale:
            raise InvalidArgument(f"plan: the {plan.display_name} plan is not sold")
        return plan

    def _need_provider(self) -> PaymentProvider:
        if self._provider is None:
            raise Conflict(NOT_SET_UP)
        return self._provider

    async def checkout(self, user_id: str, plan_name: str, success_url: str, cancel_url: str) -> Session:
        plan = self._plan_for_sale(plan_name)
        _url(success_url, "success_url")
        _url(cancel_url, "cancel_url")
        provider = self._need_provider()
        view = await self._billing.get_account(user_id)
        if _subscribed(view):
            raise Conflict(
                f"You already have the {view.state.plan.display_name} subscription: change or cancel it "
                "from Manage subscription."
            )
        request = CheckoutRequest(
            user_id, plan, self._catalogue.currency, view.account.provider_customer_id, success_url, cancel_url
        )
        return await provider.checkout(request)

    async def portal(self, user_id: str, return_url: str) -> Session:
        _url(return_url, "return_url")
        provider = self._need_provider()
        view = await self._billing.get_account(user_id)
        if not _subscribed(view):
            raise Conflict("There is no subscription to manage: choose a plan on the pricing page.")
        request = PortalRequest(user_id, view.state.plan, view.account.provider_customer_id, return_url)
        return await provider.portal(request)

    # --- the stand-in provider's pages ------------------------------------------------------

    def _standin(self) -> str:
        if not isinstance(self._provider, standin.StandInProvider) or not self._secret:
            raise NotFound("no such session")
        return self._secret

    async def standin_session(self, user_id: str, session_id: str) -> StandInView:
        self._standin()
        async with self._pool.connection() as conn:
            session = await repo.standin_session(conn, session_id)
        if session is None or session.user_id != user_id:
            raise NotFound("no such session")  # another user's session reads as none at all
        plan = self._catalogue.get(session.plan) if session.plan in self._catalogue else self._catalogue.free
        return StandInView(session, plan, await self._billing.get_account(user_id))

    async def complete_standin(self, user_id: str, session_id: str, action: str) -> tuple[list[tuple[bytes, str]], str]:
        """The signed events Stripe would send for what the user confirmed, and where the browser
        goes next. Once per session."""
        secret = self._standin()
        view = await self.standin_session(user_id, session_id)
        session, account = view.session, view.account
        now: datetime = self._clock()
        if session.kind == standin.CHECKOUT:
            if action != "pay":
                raise InvalidArgument("action: a checkout is confirmed with 'pay'")
            if _subscribed(account):
                raise Conflict("You already have a subscription: change or cancel it from Manage subscription.")
            customer = account.account.provider_customer_id or standin.customer_of(user_id)
            events = standin.checkout_events(session_id, user_id, session.plan, customer, now)
        else:
            if action not in ("cancel", "resume"):
                raise InvalidArgument("action: the portal offers 'cancel' or 'resume'")
            if not _subscribed(account) or account.state.current_period_end is None:
                raise Conflict("There is no subscription to manage.")
            customer = account.account.provider_customer_id or standin.customer_of(user_id)
            events = standin.portal_events(
                account.account.provider_subscription_id or "",
                user_id,
                account.state.plan.name,
                customer,
                account.state.current_period_end,
                action == "cancel",
                now,
            )
        async with self._pool.connection() as conn:
            if not await repo.complete_standin_session(conn, session_id, now):
                raise Conflict("This session is already complete.")
        return standin.signed(events, secret, now), session.return_url

    # --- receipts ---------------------------------------------------------------------------

    async def receipts(self, user_id: str, limit: int) -> list[Receipt]:
        limit = MAX_RECEIPTS if limit <= 0 else min(limit, MAX_RECEIPTS)
        await self._billing.get_account(user_id)  # a new account gets its plan and first grant first
        async with self._pool.connection() as conn:
            rows = await repo.history(conn, user_id, limit)
        return receipts(rows, self._catalogue)
