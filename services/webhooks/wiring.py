"""Process wiring: migrations, pool, the three event consumers, the sender of deliveries, the log's
pruning and the gRPC server (health, reflection, graceful shutdown from glue). No stream of its
own and no outbox relay: what it sends leaves over HTTPS, from its deliveries table."""

from __future__ import annotations

import logging
from pathlib import Path

from atelier.generation.v1 import events_pb2 as generation_events
from atelier.visibility.v1 import events_pb2 as visibility_events
from atelier.webhooks.v1 import webhooks_pb2, webhooks_pb2_grpc
from contracts import identities
from glue.consumer import ConsumerSpec, Handler, run_consumer
from glue.events import EventT
from glue.on_behalf import UserPolicy, acts_for
from glue.periodic import run_periodically
from glue.runtime import open_runtime
from glue.service_identity import CallerPolicy
from services.webhooks import events, repository
from services.webhooks.consumers import EventHandlers
from services.webhooks.dispatcher import Dispatcher
from services.webhooks.handlers import ERRORS, WebhooksServicer
from services.webhooks.sender import Sender
from services.webhooks.settings import SCHEMA, WebhooksSettings

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE = webhooks_pb2.DESCRIPTOR.services_by_name["WebhooksService"]
SERVICE_NAME = SERVICE.full_name
# Only the gateway, for the signed-in user who manages their own endpoints.
CALLERS = CallerPolicy.for_service(
    identities.ALL,
    SERVICE,
    {
        "CreateEndpoint": {identities.GATEWAY},
        "ListEndpoints": {identities.GATEWAY},
        "DeleteEndpoint": {identities.GATEWAY},
        "ListDeliveries": {identities.GATEWAY},
        "DeleteKeyEndpoints": {identities.GATEWAY},
    },
)
USERS = UserPolicy.for_service(
    SERVICE,
    {
        "CreateEndpoint": acts_for("owner_id"),
        "ListEndpoints": acts_for("owner_id"),
        "DeleteEndpoint": acts_for("owner_id"),
        "ListDeliveries": acts_for("owner_id"),
        "DeleteKeyEndpoints": acts_for("owner_id"),
    },
)
LOG_PRUNE_INTERVAL_S = 3600.0


async def run(settings: WebhooksSettings) -> None:
    runtime = await open_runtime(
        database_url=settings.database_url,
        schema=SCHEMA,
        migrations=MIGRATIONS,
        nats_url=settings.nats_url,
        client_name="webhooks",
        owned_streams=[],
        stream_replicas=settings.stream_replicas,
        pool_size=settings.db_pool_size,
    )
    if settings.webhook_allow_private_endpoints or settings.webhook_allow_plain_http:
        log.warning(
            "webhooks may be sent to private addresses or over plain http: development settings",
            extra={
                "allow_private_endpoints": settings.webhook_allow_private_endpoints,
                "allow_plain_http": settings.webhook_allow_plain_http,
            },
        )
    sender = Sender(
        timeout_s=settings.webhook_request_timeout_s,
        allow_private=settings.webhook_allow_private_endpoints,
        allow_plain_http=settings.webhook_allow_plain_http,
        ca_bundle=settings.webhook_ca_bundle,
    )
    runtime.on_close(sender.close)
    dispatcher = Dispatcher(
        runtime.pool,
        sender,
        max_attempts=settings.webhook_max_attempts,
        retry_base_s=settings.webhook_retry_base_s,
        retry_max_s=settings.webhook_retry_max_s,
        request_timeout_s=settings.webhook_request_timeout_s,
        concurrency=settings.webhook_concurrency,
        poll_interval_s=settings.webhook_poll_interval_s,
    )
    runtime.run_in_background(dispatcher.run(), "webhook-dispatcher")
    runtime.run_in_background(
        run_periodically(
            "webhook log prune",
            lambda: repository.prune_log(runtime.pool, settings.webhook_log_retention_s),
            LOG_PRUNE_INTERVAL_S,
        ),
        "webhook-log-prune",
    )
    handlers = EventHandlers(runtime.pool, dispatcher.wake)

    def consume(spec: ConsumerSpec[EventT], handler: Handler[EventT]) -> None:
        consumer = run_consumer(runtime.js, spec, handler, stopping=runtime.stopping)
        runtime.run_in_background(consumer, spec.durable, drains=True)

    consume(
        ConsumerSpec(
            events.GENERATION_STREAM, events.IMAGES_READY_DURABLE, events.IMAGES_READY, generation_events.ImagesReady
        ),
        handlers.images_ready,
    )
    consume(
        ConsumerSpec(
            events.GENERATION_STREAM,
            events.GENERATION_FAILED_DURABLE,
            events.GENERATION_FAILED,
            generation_events.GenerationFailed,
        ),
        handlers.generation_failed,
    )
    consume(
        ConsumerSpec(
            events.VISIBILITY_STREAM,
            events.VISIBILITY_CHANGED_DURABLE,
            events.VISIBILITY_CHANGED,
            visibility_events.VisibilityChanged,
        ),
        handlers.visibility_changed,
    )
    servicer = WebhooksServicer(
        runtime.pool,
        allow_private=settings.webhook_allow_private_endpoints,
        allow_plain_http=settings.webhook_allow_plain_http,
        max_endpoints=settings.webhook_max_endpoints_per_account,
    )
    await runtime.serve(
        settings,
        settings.grpc_listen,
        lambda server: webhooks_pb2_grpc.add_WebhooksServiceServicer_to_server(servicer, server),
        [SERVICE_NAME],
        CALLERS,
        USERS,
        errors=ERRORS,
    )
