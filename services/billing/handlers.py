"""BillingService gRPC handlers and the event handlers: protobuf ↔ domain, domain errors → gRPC
status codes with a message a person can act on."""

from __future__ import annotations

import logging
from datetime import UTC

import grpc

from atelier.billing.v1 import billing_pb2 as pb
from atelier.billing.v1 import billing_pb2_grpc
from atelier.generation.v1 import events_pb2 as generation_events
from atelier.visibility.v1 import events_pb2 as visibility_events
from glue.consumer import Delivery, PoisonMessage
from glue.grpc_errors import ErrorMapping
from glue.ids import parse_uuid
from services.billing.catalogue import Plan
from services.billing.ledger import OutOfCredits
from services.billing.licences import LicenceTermsReader, TooManyUsers
from services.billing.operations import Billing, Conflict, InvalidArgument, NotEntitled, NotFound, account_to_proto
from services.billing.payments import Payments
from services.billing.providers import ProviderUnavailable
from services.billing.receipts import CREDITS, Receipt
from services.billing.standin import CHECKOUT
from services.billing.webhooks import MAX_PAYLOAD, InvalidWebhook, SignatureError

log = logging.getLogger(__name__)

# An unreachable database is UNAVAILABLE (glue.grpc_errors): safe to retry, nothing was written.
ERRORS = ErrorMapping(
    {
        OutOfCredits: grpc.StatusCode.RESOURCE_EXHAUSTED,
        NotEntitled: grpc.StatusCode.PERMISSION_DENIED,
        SignatureError: grpc.StatusCode.UNAUTHENTICATED,
        InvalidWebhook: grpc.StatusCode.INVALID_ARGUMENT,
        InvalidArgument: grpc.StatusCode.INVALID_ARGUMENT,
        TooManyUsers: grpc.StatusCode.INVALID_ARGUMENT,
        NotFound: grpc.StatusCode.NOT_FOUND,
        Conflict: grpc.StatusCode.FAILED_PRECONDITION,
        ProviderUnavailable: grpc.StatusCode.UNAVAILABLE,
    },
    unavailable_message="billing: the database is unavailable; retry",
)


def plan_to_proto(plan: Plan, currency: str) -> pb.Plan:
    return pb.Plan(
        name=plan.name,
        display_name=plan.display_name,
        entitlements=list(plan.entitlements),
        monthly_credits=plan.monthly_credits,
        max_concurrent_generations=plan.max_concurrent_generations,
        monthly_price_cents=plan.monthly_price_cents,
        currency=currency,
    )


def receipt_to_proto(receipt: Receipt, currency: str) -> pb.Receipt:
    message = pb.Receipt(
        kind=pb.RECEIPT_KIND_CREDITS if receipt.kind == CREDITS else pb.RECEIPT_KIND_PLAN,
        description=receipt.description,
        credits=receipt.credits,
        plan=receipt.plan,
        price_cents=receipt.price_cents,
        currency=currency,
    )
    message.created_at.FromDatetime(receipt.created_at)
    return message


class BillingServicer(billing_pb2_grpc.BillingServiceServicer):
    def __init__(self, billing: Billing, payments: Payments, licences: LicenceTermsReader | None = None):
        self._billing = billing
        self._payments = payments
        self._licences = licences

    async def GetAccount(self, request: pb.GetAccountRequest, context) -> pb.GetAccountResponse:
        view = await self._billing.get_account(request.user_id)
        return pb.GetAccountResponse(account=account_to_proto(view))

    async def ListPlans(self, request: pb.ListPlansRequest, context) -> pb.ListPlansResponse:
        catalogue = self._billing.catalogue
        return pb.ListPlansResponse(plans=[plan_to_proto(plan, catalogue.currency) for plan in catalogue.plans])

    async def ReserveCredits(self, request: pb.ReserveCreditsRequest, context) -> pb.ReserveCreditsResponse:
        amount = self._amount_of(request)
        balance, created, view = await self._billing.reserve(
            request.user_id, request.generation_id, amount, request.required_entitlements
        )
        return pb.ReserveCreditsResponse(
            balance=balance, created=created, account=account_to_proto(view), reserved=amount
        )

    def _amount_of(self, request: pb.ReserveCreditsRequest) -> int:
        """The credits asked for, or an image action's price from the catalogue."""
        if not request.action:
            return request.amount
        if request.amount:
            raise InvalidArgument("amount: must be 0 for an action (billing prices it)")
        price = self._billing.catalogue.action_prices.get(request.action)
        if price is None:
            raise InvalidArgument(f"action: {request.action!r} has no price in the plan catalogue")
        return price

    async def ReleaseCredits(self, request: pb.ReleaseCreditsRequest, context) -> pb.ReleaseCreditsResponse:
        return pb.ReleaseCreditsResponse(balance=await self._billing.release(request.generation_id))

    async def ChangePlan(self, request: pb.ChangePlanRequest, context) -> pb.ChangePlanResponse:
        period_end = (
            request.current_period_end.ToDatetime(tzinfo=UTC) if request.HasField("current_period_end") else None
        )
        view = await self._billing.change_plan(request.user_id, request.plan, period_end, request.actor or "operator")
        return pb.ChangePlanResponse(account=account_to_proto(view))

    async def HandleProviderWebhook(
        self, request: pb.HandleProviderWebhookRequest, context
    ) -> pb.HandleProviderWebhookResponse:
        if len(request.payload) > MAX_PAYLOAD:
            raise InvalidWebhook(f"payload: larger than {MAX_PAYLOAD} bytes")
        processed, event_type = await self._billing.handle_webhook(request.payload, request.signature)
        return pb.HandleProviderWebhookResponse(processed=processed, event_type=event_type)

    async def CreateCheckoutSession(
        self, request: pb.CreateCheckoutSessionRequest, context
    ) -> pb.CreateCheckoutSessionResponse:
        session = await self._payments.checkout(request.user_id, request.plan, request.success_url, request.cancel_url)
        return pb.CreateCheckoutSessionResponse(session_id=session.session_id, url=session.url)

    async def CreatePortalSession(
        self, request: pb.CreatePortalSessionRequest, context
    ) -> pb.CreatePortalSessionResponse:
        session = await self._payments.portal(request.user_id, request.return_url)
        return pb.CreatePortalSessionResponse(url=session.url)

    async def GetStandInSession(self, request: pb.GetStandInSessionRequest, context) -> pb.GetStandInSessionResponse:
        view = await self._payments.standin_session(request.user_id, request.session_id)
        state = view.account.state
        session = pb.StandInSession(
            session_id=view.session.session_id,
            kind=pb.STAND_IN_SESSION_KIND_CHECKOUT
            if view.session.kind == CHECKOUT
            else pb.STAND_IN_SESSION_KIND_PORTAL,
            plan=plan_to_proto(view.plan, self._billing.catalogue.currency),
            completed=view.session.status != "open",
            cancel_at_period_end=state.cancel_at_period_end,
            return_url=view.session.return_url,
            cancel_url=view.session.cancel_url,
        )
        if state.current_period_end is not None:
            session.current_period_end.FromDatetime(state.current_period_end)
        return pb.GetStandInSessionResponse(session=session)

    async def CompleteStandInSession(
        self, request: pb.CompleteStandInSessionRequest, context
    ) -> pb.CompleteStandInSessionResponse:
        deliveries, redirect = await self._payments.complete_standin(
            request.user_id, request.session_id, request.action
        )
        return pb.CompleteStandInSessionResponse(
            webhooks=[pb.SignedWebhook(payload=payload, signature=signature) for payload, signature in deliveries],
            redirect_url=redirect,
        )

    async def ListReceipts(self, request: pb.ListReceiptsRequest, context) -> pb.ListReceiptsResponse:
        found = await self._payments.receipts(request.user_id, request.limit)
        currency = self._billing.catalogue.currency
        return pb.ListReceiptsResponse(receipts=[receipt_to_proto(receipt, currency) for receipt in found])

    async def BatchGetLicenceTerms(
        self, request: pb.BatchGetLicenceTermsRequest, context
    ) -> pb.BatchGetLicenceTermsResponse:
        assert self._licences is not None, "wired in services/billing/wiring.py"
        found = await self._licences.batch(request.user_ids)
        return pb.BatchGetLicenceTermsResponse(
            terms=[
                pb.LicenceTerms(
                    user_id=t.user_id, plan=t.plan, training_use=t.training_use, terms_version=t.terms_version
                )
                for t in found
            ]
        )


class GenerationEventHandlers:
    """ImagesReady → commit, GenerationFailed → refund. Idempotent: the ledger's rows of a
    generation decide, so a redelivered or reordered event changes nothing twice."""

    def __init__(self, billing: Billing):
        self._billing = billing

    async def images_ready(self, event: generation_events.ImagesReady, delivery: Delivery) -> None:
        if not event.generation_id or not event.owner_id:
            raise PoisonMessage("ImagesReady without generation_id or owner_id")
        try:
            await self._billing.commit(event.generation_id, event.owner_id, len(event.images))
        except InvalidArgument as error:
            raise PoisonMessage(str(error)) from error

    async def generation_failed(self, event: generation_events.GenerationFailed, delivery: Delivery) -> None:
        if not event.generation_id or not event.owner_id:
            raise PoisonMessage("GenerationFailed without generation_id or owner_id")
        try:
            await self._billing.refund(event.generation_id, event.owner_id, event.reason)
        except InvalidArgument as error:
            raise PoisonMessage(str(error)) from error


class TeamEventHandlers:
    """TeamMembershipChanged → the team's seats (owners and members), newest version kept."""

    def __init__(self, billing: Billing):
        self._billing = billing

    async def membership_changed(self, event: visibility_events.TeamMembershipChanged, delivery: Delivery) -> None:
        if parse_uuid(event.team_id) is None or event.version < 1 or event.seats < 0:
            raise PoisonMessage("TeamMembershipChanged without a team id, a version or a seat count")
        await self._billing.record_team_seats(event.team_id, event.version, list(event.owner_ids), event.seats)
