"""Process wiring: one process serves BillingService, relays the outbox (PlanChanged), consumes
ImagesReady and GenerationFailed, and runs the sweep (expired reservations, unannounced lapses)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from atelier.billing.v1 import billing_pb2, billing_pb2_grpc
from atelier.generation.v1 import events_pb2 as generation_events
from atelier.visibility.v1 import events_pb2 as visibility_events
from contracts import identities
from contracts.generation import GENERATION_FAILED, IMAGES_READY
from contracts.generation import STREAM as GENERATION_STREAM
from contracts.visibility import STREAM as VISIBILITY_STREAM
from contracts.visibility import TEAM_MEMBERSHIP_CHANGED
from glue.consumer import ConsumerSpec, Handler, run_consumer
from glue.on_behalf import NO_USER, UserPolicy, acts_for
from glue.periodic import run_periodically
from glue.runtime import open_runtime
from glue.service_identity import CallerPolicy
from services.billing.catalogue import Catalogue, CatalogueError, load_catalogue
from services.billing.events import (
    GENERATION_FAILED_DURABLE,
    IMAGES_READY_DURABLE,
    STREAM_SPEC,
    TEAM_MEMBERSHIP_DURABLE,
)
from services.billing.handlers import ERRORS, BillingServicer, GenerationEventHandlers, TeamEventHandlers
from services.billing.licences import LicenceTermsReader
from services.billing.operations import Billing
from services.billing.payments import Payments
from services.billing.providers import PaymentProvider
from services.billing.settings import SCHEMA, BillingSettings
from services.billing.standin import StandInProvider
from services.billing.stripe_provider import StripeProvider

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE = billing_pb2.DESCRIPTOR.services_by_name["BillingService"]
SERVICE_NAME = SERVICE.full_name
# Plans change only by an operator or a verified payment-provider webhook; credits move only with
# the generation that spends them.
CALLERS = CallerPolicy.for_service(
    identities.ALL,
    SERVICE,
    {
        "GetAccount": {identities.GATEWAY, identities.VISIBILITY, identities.OPERATOR},
        "ListPlans": {identities.GATEWAY, identities.OPERATOR},
        "ReserveCredits": {identities.GENERATION_API},
        "ReleaseCredits": {identities.GENERATION_API},
        "ChangePlan": {identities.OPERATOR},
        "HandleProviderWebhook": {identities.GATEWAY},
        "CreateCheckoutSession": {identities.GATEWAY},
        "CreatePortalSession": {identities.GATEWAY},
        "GetStandInSession": {identities.GATEWAY},
        "CompleteStandInSession": {identities.GATEWAY},
        "ListReceipts": {identities.GATEWAY},
        # The consent export's read of its images' owners' terms (services/generation/consent_export.py).
        "BatchGetLicenceTerms": {identities.GENERATION_API},
    },
)
# A user's account and credits only for that user (the token the gateway signed, forwarded by
# generation-api and visibility); the operator's command acts for nobody.
USERS = UserPolicy.for_service(
    SERVICE,
    {
        "GetAccount": acts_for("user_id", unattended={identities.OPERATOR}),
        "ListPlans": NO_USER,
        "ReserveCredits": acts_for("user_id"),
        "ReleaseCredits": NO_USER,  # by generation id, also when a generation is abandoned
        "ChangePlan": NO_USER,
        "HandleProviderWebhook": NO_USER,
        "CreateCheckoutSession": acts_for("user_id"),
        "CreatePortalSession": acts_for("user_id"),
        "GetStandInSession": acts_for("user_id"),
        "CompleteStandInSession": acts_for("user_id"),
        "ListReceipts": acts_for("user_id"),
        "BatchGetLicenceTerms": NO_USER,  # an operator's export: many users, none of them present
    },
)


async def sweep(billing: Billing) -> None:
    expired, announced = await billing.sweep()
    if expired or announced:
        log.info("sweep", extra={"reservations_expired": expired, "lapses_announced": announced})


def _now() -> datetime:
    return datetime.now(UTC)


def payment_provider(settings: BillingSettings, catalogue: Catalogue, pool: Any) -> PaymentProvider | None:
    """The provider ATELIER_BILLING_PROVIDER names; a configuration that cannot work stops the service."""
    if settings.billing_provider == "stripe":
        if settings.billing_stripe_api_key is None:
            raise SystemExit("billing: ATELIER_BILLING_PROVIDER=stripe needs ATELIER_BILLING_STRIPE_API_KEY")
        unpriced = [p.name for p in catalogue.plans if p.for_sale and p.name not in settings.billing_stripe_prices]
        if unpriced:
            raise SystemExit(f"billing: ATELIER_BILLING_STRIPE_PRICES has no Stripe Price id for {unpriced}")
        return StripeProvider(settings.billing_stripe_api_key.get_secret_value(), settings.billing_stripe_prices)
    if settings.billing_provider == "standin":
        log.warning("ATELIER_BILLING_PROVIDER=standin: anyone signed in can buy any plan for free (development only)")
        return StandInProvider(pool, _now)
    return None


async def run(settings: BillingSettings) -> None:
    try:
        catalogue = load_catalogue(settings.billing_plans_file)
    except CatalogueError as error:
        raise SystemExit(f"billing: {error}") from error
    if settings.billing_provider == "standin" and not settings.billing_webhook_secret:
        raise SystemExit(
            "billing: ATELIER_BILLING_PROVIDER=standin needs ATELIER_BILLING_WEBHOOK_SECRET (it signs its events)"
        )
    if not settings.billing_webhook_secret:
        log.warning("ATELIER_BILLING_WEBHOOK_SECRET is unset: payment-provider webhooks will be refused")
    runtime = await open_runtime(
        database_url=settings.database_url,
        schema=SCHEMA,
        migrations=MIGRATIONS,
        nats_url=settings.nats_url,
        client_name="billing",
        owned_streams=[STREAM_SPEC],
        stream_replicas=settings.stream_replicas,
        pool_size=settings.db_pool_size,
    )
    billing = Billing(
        runtime.pool,
        catalogue,
        webhook_secret=settings.billing_webhook_secret,
        webhook_tolerance_s=settings.billing_webhook_tolerance_s,
        reservation_ttl_s=settings.billing_reservation_ttl_s,
        price_plans={price: plan for plan, price in settings.billing_stripe_prices.items()},
    )
    payments = Payments(
        billing,
        runtime.pool,
        payment_provider(settings, catalogue, runtime.pool),
        webhook_secret=settings.billing_webhook_secret,
        clock=_now,
    )
    events = GenerationEventHandlers(billing)
    specs: list[tuple[ConsumerSpec[Any], Handler[Any]]] = [
        (
            ConsumerSpec(
                GENERATION_STREAM,
                IMAGES_READY_DURABLE,
                IMAGES_READY,
                generation_events.ImagesReady,
                ack_wait_s=settings.billing_consumer_ack_wait_s,
                max_deliver=settings.billing_consumer_max_deliver,
            ),
            events.images_ready,
        ),
        (
            ConsumerSpec(
                GENERATION_STREAM,
                GENERATION_FAILED_DURABLE,
                GENERATION_FAILED,
                generation_events.GenerationFailed,
                ack_wait_s=settings.billing_consumer_ack_wait_s,
                max_deliver=settings.billing_consumer_max_deliver,
            ),
            events.generation_failed,
        ),
        (
            ConsumerSpec(
                VISIBILITY_STREAM,
                TEAM_MEMBERSHIP_DURABLE,
                TEAM_MEMBERSHIP_CHANGED,
                visibility_events.TeamMembershipChanged,
                ack_wait_s=settings.billing_consumer_ack_wait_s,
                max_deliver=settings.billing_consumer_max_deliver,
            ),
            TeamEventHandlers(billing).membership_changed,
        ),
    ]
    runtime.relay_outbox(SCHEMA, settings)
    runtime.run_in_background(
        run_periodically("sweep", lambda: sweep(billing), settings.billing_sweep_interval_s), "sweep"
    )
    for spec, handler in specs:
        runtime.run_in_background(run_consumer(runtime.js, spec, handler), spec.durable)
    await runtime.serve(
        settings,
        settings.grpc_listen,
        lambda server: billing_pb2_grpc.add_BillingServiceServicer_to_server(
            BillingServicer(billing, payments, LicenceTermsReader(runtime.pool, catalogue, _now)), server
        ),
        [SERVICE_NAME],
        CALLERS,
        USERS,
        errors=ERRORS,
    )
