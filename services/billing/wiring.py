"""Process wiring: one process serves BillingService, relays the outbox (PlanChanged), consumes
ImagesReady and GenerationFailed, and runs the sweep (expired reservations, unannounced lapses)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from atelier.billing.v1 import billing_pb2, billing_pb2_grpc
from atelier.generation.v1 import events_pb2 as generation_events
from glue import db
from glue.consumer import ConsumerSpec, run_consumer
from glue.events import OutboxRelay, ensure_streams
from glue.grpc_server import serve
from glue.nats_connect import connect
from services.billing.catalogue import CatalogueError, load_catalogue
from services.billing.events import (
    GENERATION_FAILED,
    GENERATION_FAILED_DURABLE,
    GENERATION_STREAM,
    IMAGES_READY,
    IMAGES_READY_DURABLE,
    STREAMS,
)
from services.billing.handlers import BillingServicer, GenerationEventHandlers
from services.billing.operations import Billing
from services.billing.settings import SCHEMA, BillingSettings

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"
DRAIN_TIMEOUT_S = 3.0
SERVICE_NAME = billing_pb2.DESCRIPTOR.services_by_name["BillingService"].full_name


async def sweep_forever(billing: Billing, interval_s: float) -> None:
    while True:
        try:
            expired, announced = await billing.sweep()
            if expired or announced:
                log.info("sweep", extra={"reservations_expired": expired, "lapses_announced": announced})
        except asyncio.CancelledError:
            raise
        except Exception as error:  # the next round tries again; the sweep must not end the process
            log.warning("sweep failed", extra={"error": str(error)})
        await asyncio.sleep(interval_s)


async def drain_or_close(nc, timeout_s: float = DRAIN_TIMEOUT_S) -> None:
    """Drains NATS, bounded: nats-py's drain can wait its whole drain_timeout (30 s) for a pull
    subscription whose fetch was cancelled mid-flight. Closing instead loses nothing: every event
    is acknowledged only after its transaction commits (unacknowledged ones are redelivered) and
    the outbox relay awaits JetStream's ack for each publish."""
    try:
        await asyncio.wait_for(nc.drain(), timeout_s)
    except Exception as error:  # timeout or a connection already gone
        log.info("nats drain cut short; closing", extra={"error": str(error) or type(error).__name__})
        if not nc.is_closed:
            await nc.close()


async def _exit_when_a_task_dies(tasks: list[asyncio.Task]) -> None:
    """A background loop that ends (it only should when cancelled) takes the process down, so
    the orchestrator restarts it instead of leaving a server that silently stopped consuming."""
    done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for task in done:
        if not task.cancelled():
            log.critical("background task ended", extra={"task": task.get_name(), "error": str(task.exception())})
    raise SystemExit(1)


async def run(settings: BillingSettings) -> None:
    try:
        catalogue = load_catalogue(settings.billing_plans_file)
    except CatalogueError as error:
        raise SystemExit(f"billing: {error}") from error
    if not settings.billing_webhook_secret:
        log.warning("ATELIER_BILLING_WEBHOOK_SECRET is unset: payment-provider webhooks will be refused")
    await asyncio.to_thread(db.migrate, settings.database_url, SCHEMA, MIGRATIONS)
    pool = await db.open_pool(settings.database_url, SCHEMA)
    nc = await connect(settings.nats_url, "billing")
    js = nc.jetstream()
    await ensure_streams(js, STREAMS)
    billing = Billing(
        pool,
        catalogue,
        webhook_secret=settings.billing_webhook_secret,
        webhook_tolerance_s=settings.billing_webhook_tolerance_s,
        reservation_ttl_s=settings.billing_reservation_ttl_s,
    )
    events = GenerationEventHandlers(billing)
    specs = [
        (ConsumerSpec(GENERATION_STREAM, IMAGES_READY_DURABLE, IMAGES_READY, generation_events.ImagesReady,
                      ack_wait_s=settings.billing_consumer_ack_wait_s,
                      max_deliver=settings.billing_consumer_max_deliver), events.images_ready),
        (ConsumerSpec(GENERATION_STREAM, GENERATION_FAILED_DURABLE, GENERATION_FAILED,
                      generation_events.GenerationFailed, ack_wait_s=settings.billing_consumer_ack_wait_s,
                      max_deliver=settings.billing_consumer_max_deliver),
         events.generation_failed),
    ]
    tasks = [asyncio.create_task(OutboxRelay(pool, js, SCHEMA).run(), name="outbox-relay"),
             asyncio.create_task(sweep_forever(billing, settings.billing_sweep_interval_s), name="sweep")]
    tasks += [asyncio.create_task(run_consumer(js, spec, handler), name=spec.durable) for spec, handler in specs]
    watchdog = asyncio.create_task(_exit_when_a_task_dies(tasks))

    async def shutdown() -> None:
        watchdog.cancel()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await drain_or_close(nc)
        await pool.close()

    serving = asyncio.create_task(serve(
        settings.grpc_listen,
        lambda server: billing_pb2_grpc.add_BillingServiceServicer_to_server(BillingServicer(billing), server),
        [SERVICE_NAME],
        on_shutdown=shutdown,
        metrics_port=settings.metrics_port,
        metrics_host=settings.metrics_host,
    ))
    done, _ = await asyncio.wait({serving, watchdog}, return_when=asyncio.FIRST_COMPLETED)
    if watchdog in done and not watchdog.cancelled():
        serving.cancel()
        watchdog.result()  # raises SystemExit(1)
    await serving  # a shutdown cancels the watchdog first; serve returns once it is over
