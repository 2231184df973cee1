"""Process wiring: migrations, pool, NATS streams, the outbox relay, the three event consumers,
the billing client and the gRPC server (health, reflection, graceful shutdown from glue)."""

from __future__ import annotations

import logging
from pathlib import Path

from atelier.billing.v1 import events_pb2 as billing_events
from atelier.generation.v1 import events_pb2 as generation_events
from atelier.visibility.v1 import visibility_pb2, visibility_pb2_grpc
from contracts import identities
from contracts.billing import PLAN_CHANGED
from contracts.billing import STREAM as BILLING_STREAM
from contracts.generation import IMAGE_DELETED, IMAGES_READY
from contracts.generation import STREAM as GENERATION_STREAM
from glue.consumer import ConsumerSpec, run_consumer
from glue.on_behalf import NO_USER, UserPolicy, acts_for
from glue.runtime import open_runtime
from glue.service_identity import CallerPolicy, IdentityFiles
from services.visibility.billing import BillingClient
from services.visibility.consumers import EventHandlers
from services.visibility.events import (
    IMAGE_DELETED_DURABLE,
    IMAGES_READY_DURABLE,
    PLAN_CHANGED_DURABLE,
    STREAM_SPEC,
)
from services.visibility.handlers import ERRORS, VisibilityServicer
from services.visibility.settings import SCHEMA, VisibilitySettings

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE = visibility_pb2.DESCRIPTOR.services_by_name["VisibilityService"]
SERVICE_NAME = SERVICE.full_name
# Only the worker registers images, only the user's own gateway call changes a visibility, and
# every reader asks Authorize (generation-api too: BatchGetImages shows a non-owner only what is
# public now).
CALLERS = CallerPolicy.for_service(
    identities.ALL,
    SERVICE,
    {
        "RegisterImages": {identities.GENERATION_WORKER},
        "SetVisibility": {identities.GATEWAY},
        "BatchSetVisibility": {identities.GATEWAY},
        "Authorize": {identities.GATEWAY, identities.FEED, identities.GENERATION_API, identities.GENERATION_WORKER},
        "BatchGetVisibility": {identities.GATEWAY},
        "MarkDeleted": {identities.GENERATION_API},
        "RestoreImages": {identities.GENERATION_API},
        # Teams: the gateway, for the signed-in user.
        "CreateTeam": {identities.GATEWAY},
        "InviteToTeam": {identities.GATEWAY},
        "AnswerTeamInvite": {identities.GATEWAY},
        "SetTeamRole": {identities.GATEWAY},
        "RemoveFromTeam": {identities.GATEWAY},
        # And the generation service: a custom model shared with a team is usable by its current
        # members only (asked at each read and submission, and by the worker at job start).
        "ListTeams": {identities.GATEWAY, identities.GENERATION_API, identities.GENERATION_WORKER},
        "DeleteTeam": {identities.GATEWAY},
    },
)
# Changes and owner views for their user only. Authorize also for an anonymous viewer (public
# only) and for the worker, which checks on a queued remix, with no user present, that its owner
# may still see the source.
USERS = UserPolicy.for_service(
    SERVICE,
    {
        "RegisterImages": NO_USER,  # the worker, for the owner of a generation it finished
        "SetVisibility": acts_for("actor_id"),
        "BatchSetVisibility": acts_for("actor_id"),
        "Authorize": acts_for("viewer_id", anonymous=True, unattended={identities.GENERATION_WORKER}),
        "BatchGetVisibility": acts_for("owner_id"),
        "MarkDeleted": acts_for("actor_id"),
        "RestoreImages": acts_for("actor_id"),
        "CreateTeam": acts_for("actor_id"),
        "InviteToTeam": acts_for("actor_id"),
        "AnswerTeamInvite": acts_for("actor_id"),
        "SetTeamRole": acts_for("actor_id"),
        "RemoveFromTeam": acts_for("actor_id"),
        "ListTeams": acts_for("user_id", unattended={identities.GENERATION_WORKER}),
        "DeleteTeam": acts_for("actor_id"),
    },
)


async def run(settings: VisibilitySettings) -> None:
    runtime = await open_runtime(
        database_url=settings.database_url,
        schema=SCHEMA,
        migrations=MIGRATIONS,
        nats_url=settings.nats_url,
        client_name="visibility",
        owned_streams=[STREAM_SPEC],
        stream_replicas=settings.stream_replicas,
        pool_size=settings.db_pool_size,
    )
    billing = BillingClient(settings.billing_addr, settings.billing_timeout_s, IdentityFiles.from_settings(settings))
    runtime.on_close(billing.close)
    events = EventHandlers(runtime.pool)
    runtime.relay_outbox(SCHEMA, settings)
    runtime.run_in_background(
        run_consumer(
            runtime.js,
            ConsumerSpec(GENERATION_STREAM, IMAGES_READY_DURABLE, IMAGES_READY, generation_events.ImagesReady),
            events.images_ready,
        ),
        IMAGES_READY_DURABLE,
    )
    runtime.run_in_background(
        run_consumer(
            runtime.js,
            ConsumerSpec(GENERATION_STREAM, IMAGE_DELETED_DURABLE, IMAGE_DELETED, generation_events.ImageDeleted),
            events.image_deleted,
        ),
        IMAGE_DELETED_DURABLE,
    )
    runtime.run_in_background(
        run_consumer(
            runtime.js,
            ConsumerSpec(BILLING_STREAM, PLAN_CHANGED_DURABLE, PLAN_CHANGED, billing_events.PlanChanged),
            events.plan_changed,
        ),
        PLAN_CHANGED_DURABLE,
    )
    log.info(
        "visibility policy",
        extra={"retroactive_privacy": settings.retroactive_privacy, "billing_addr": settings.billing_addr},
    )
    servicer = VisibilityServicer(runtime.pool, billing, retroactive_privacy=settings.retroactive_privacy)
    await runtime.serve(
        settings,
        settings.grpc_listen,
        lambda server: visibility_pb2_grpc.add_VisibilityServiceServicer_to_server(servicer, server),
        [SERVICE_NAME],
        CALLERS,
        USERS,
        errors=ERRORS,
    )
