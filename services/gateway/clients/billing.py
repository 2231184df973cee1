"""The gateway's client of BillingService: accounts, the plan catalogue and the payment provider's
webhooks, each call with a deadline and each failure turned into the problem a user should see.

Accounts are asked for on every request that depends on the plan (no cache: a plan change takes
effect on the next request). The catalogue changes only with a deploy, so it is kept for
CATALOGUE_TTL_S; the last good copy is used while billing is unreachable.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC

import grpc
from fastapi import Request
from grpc_health.v1 import health_pb2_grpc

from atelier.billing.v1 import billing_pb2, billing_pb2_grpc
from services.gateway.clients import rpc
from services.gateway.plans import AccountView, PlanInfo, SubscriptionStatus
from services.gateway.problems import Problem, problem_from_rpc_error

log = logging.getLogger(__name__)

SERVICE_NAME = billing_pb2.DESCRIPTOR.services_by_name["BillingService"].full_name
SERVICE = "billing"
CATALOGUE_TTL_S = 60.0
# Stripe's events are a few kilobytes; anything this large is not one.
MAX_WEBHOOK_BYTES = 1 << 20
STANDIN_NOT_FOUND = "There is no such payment session."

_STATUS: dict[int, SubscriptionStatus] = {
    billing_pb2.SUBSCRIPTION_STATUS_NONE: "none",
    billing_pb2.SUBSCRIPTION_STATUS_ACTIVE: "active",
    billing_pb2.SUBSCRIPTION_STATUS_LAPSED: "lapsed",
}


def account_view(account: billing_pb2.Account) -> AccountView:
    return AccountView(
        plan=account.plan,
        entitlements=frozenset(account.entitlements),
        credits=account.credits,
        # Unspecified: not known to be subscribed (fail closed: no entitlement counts as lapsed-safe).
        status=_STATUS.get(account.status, "none"),
        lapsed_plan=account.lapsed_plan,
        current_period_end=account.current_period_end.ToDatetime(tzinfo=UTC)
        if account.HasField("current_period_end")
        else None,
        max_concurrent_generations=account.max_concurrent_generations,
        cancel_at_period_end=account.cancel_at_period_end,
        has_provider_subscription=account.has_provider_subscription,
    )


def plan_info(plan: billing_pb2.Plan) -> PlanInfo:
    return PlanInfo(
        plan.name,
        plan.display_name or plan.name.capitalize(),
        tuple(plan.entitlements),
        plan.monthly_credits,
        plan.max_concurrent_generations,
        plan.monthly_price_cents,
        plan.currency or "usd",
    )


class WebhookRejected(Exception):
    """The payment provider's event was refused (bad signature, stale, malformed)."""


class BillingClient:
    def __init__(self, channel: grpc.aio.Channel, timeout_s: float, user_tokens: rpc.UserTokens | None = None):
        self._stub = billing_pb2_grpc.BillingServiceStub(channel)
        self._tokens = user_tokens or rpc.UserTokens(None)
        self._health = health_pb2_grpc.HealthStub(channel)
        self._timeout_s = timeout_s
        self._catalogue: tuple[PlanInfo, ...] = ()
        self._catalogue_at = float("-inf")

    async def account(self, user_id: str) -> AccountView:
        reply = await rpc.call(
            self._stub.GetAccount,
            billing_pb2.GetAccountRequest(user_id=user_id),
            timeout_s=self._timeout_s,
            not_found="Account not found.",
            service=SERVICE,
            metadata=self._tokens.metadata(user_id),
        )
        if not reply.HasField("account"):
            raise Problem(502, "The billing service failed to answer; please try again.")
        return account_view(reply.account)

    async def account_or_none(self, user_id: str) -> AccountView | None:
        """For decisions that may fall back to the least a plan allows (e.g. JPG instead of PNG)."""
        try:
            return await self.account(user_id)
        except Problem as problem:
            log.warning("account unavailable; using the free plan's rules", extra={"status": problem.status})
            return None

    async def plans(self) -> tuple[PlanInfo, ...]:
        """The catalogue, cheapest first; empty only when billing has never answered."""
        if time.monotonic() - self._catalogue_at < CATALOGUE_TTL_S and self._catalogue:
            return self._catalogue
        try:
            reply = await self._stub.ListPlans(billing_pb2.ListPlansRequest(), timeout=self._timeout_s)
        except grpc.aio.AioRpcError as error:
            if self._catalogue:
                log.warning("plan catalogue unavailable; serving the last copy", extra={"code": error.code().name})
                return self._catalogue
            raise problem_from_rpc_error(error, not_found="No plans.", service=SERVICE) from error
        self._catalogue = tuple(plan_info(plan) for plan in reply.plans)
        self._catalogue_at = time.monotonic()
        return self._catalogue

    async def plans_or_empty(self) -> tuple[PlanInfo, ...]:
        """For wording messages: never fails (messages then say "a paid plan")."""
        try:
            return await self.plans()
        except Problem:
            return ()

    async def handle_webhook(self, payload: bytes, signature: str) -> billing_pb2.HandleProviderWebhookResponse:
        request = billing_pb2.HandleProviderWebhookRequest(payload=payload, signature=signature)
        try:
            return await self._stub.HandleProviderWebhook(request, timeout=self._timeout_s)
        except grpc.aio.AioRpcError as error:
            if error.code() in (
                grpc.StatusCode.UNAUTHENTICATED,
                grpc.StatusCode.INVALID_ARGUMENT,
                grpc.StatusCode.PERMISSION_DENIED,
            ):
                raise WebhookRejected(error.details() or "The event was rejected.") from error
            raise problem_from_rpc_error(error, not_found="Not found.", service=SERVICE) from error

    # --- buying plans (billing decides; the gateway passes the signed-in user and the URLs) ---

    async def _for_user(self, method, request, user_id: str, not_found: str = "Not found."):
        return await rpc.call(
            method,
            request,
            timeout_s=self._timeout_s,
            not_found=not_found,
            service=SERVICE,
            metadata=self._tokens.metadata(user_id),
        )

    async def checkout(self, user_id: str, plan: str, success_url: str, cancel_url: str) -> str:
        request = billing_pb2.CreateCheckoutSessionRequest(
            user_id=user_id, plan=plan, success_url=success_url, cancel_url=cancel_url
        )
        reply = await self._for_user(self._stub.CreateCheckoutSession, request, user_id)
        return reply.url

    async def portal(self, user_id: str, return_url: str) -> str:
        request = billing_pb2.CreatePortalSessionRequest(user_id=user_id, return_url=return_url)
        return (await self._for_user(self._stub.CreatePortalSession, request, user_id)).url

    async def standin_session(self, user_id: str, session_id: str) -> billing_pb2.StandInSession:
        request = billing_pb2.GetStandInSessionRequest(user_id=user_id, session_id=session_id)
        reply = await self._for_user(self._stub.GetStandInSession, request, user_id, STANDIN_NOT_FOUND)
        return reply.session

    async def complete_standin(
        self, user_id: str, session_id: str, action: str
    ) -> billing_pb2.CompleteStandInSessionResponse:
        request = billing_pb2.CompleteStandInSessionRequest(user_id=user_id, session_id=session_id, action=action)
        return await self._for_user(self._stub.CompleteStandInSession, request, user_id, STANDIN_NOT_FOUND)

    async def receipts(self, user_id: str, limit: int) -> list[billing_pb2.Receipt]:
        request = billing_pb2.ListReceiptsRequest(user_id=user_id, limit=limit)
        return list((await self._for_user(self._stub.ListReceipts, request, user_id)).receipts)

    async def check_serving(self) -> None:
        await rpc.check_serving(self._health, SERVICE_NAME)


def billing_client(request: Request) -> BillingClient:
    """The app's client (create_app keeps the GatewayDeps on app.state)."""
    return request.app.state.deps.billing
