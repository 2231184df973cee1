"""Process wiring: migrations, pool, NATS streams, the outbox relay, the two event consumers,
the billing client and the gRPC server (health, reflection, graceful shutdown from glue)."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from pathlib import Path

from atelier.generation.v1 import events_pb2 as generation_events
from atelier.visibility.v1 import visibility_pb2, visibility_pb2_grpc
from glue import db
from glue.consumer import ConsumerSpec, run_consumer
from glue.events import OutboxRelay, ensure_streams
from glue.grpc_server import serve
from glue.nats_connect import connect
from services.visibility.billing import BillingClient
from services.visibility.consumers import EventHandlers
from services.visibility.events import (
    GENERATION_STREAM,
    IMAGE_DELETED,
    IMAGE_DELETED_DURABLE,
    IMAGES_READY,
    IMAGES_READY_DURABLE,
    STREAMS,
)
from services.visibility.handlers import VisibilityServicer
from services.visibility.settings import SCHEMA, VisibilitySettings

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"
DRAIN_TIMEOUT_S = 2.0
SERVICE_NAME = visibility_pb2.DESCRIPTOR.services_by_name["VisibilityService"].full_name


async def run(settings: VisibilitySettings) -> None:
    await asyncio.to_thread(db.migrate, settings.database_url, SCHEMA, MIGRATIONS)
    pool = await db.open_pool(settings.database_url, SCHEMA)
    nc = await connect(settings.nats_url, "visibility")
    js = nc.jetstream()
    await ensure_streams(js, STREAMS)
    billing = BillingClient(settings.billing_addr, settings.billing_timeout_s)
    events = EventHandlers(pool)
    failed: list[BaseException] = []

    def watch(task: asyncio.Task) -> None:
        # A background loop that dies would silently stop registrations or deletions: stop the
        # whole process (gracefully) so the orchestrator restarts it.
        if not task.cancelled() and task.exception() is not None:
            failed.append(task.exception())
            log.error("background task failed; shutting down",
                      extra={"task": task.get_name(), "error": repr(task.exception())})
            os.kill(os.getpid(), signal.SIGTERM)

    tasks = [
        asyncio.create_task(OutboxRelay(pool, js, SCHEMA).run(), name="outbox-relay"),
        asyncio.create_task(run_consumer(js, ConsumerSpec(GENERATION_STREAM, IMAGES_READY_DURABLE, IMAGES_READY,
                                                          generation_events.ImagesReady), events.images_ready),
                            name="images-ready-consumer"),
        asyncio.create_task(run_consumer(js, ConsumerSpec(GENERATION_STREAM, IMAGE_DELETED_DURABLE, IMAGE_DELETED,
                                                          generation_events.ImageDeleted), events.image_deleted),
                            name="image-deleted-consumer"),
    ]
    for task in tasks:
        task.add_done_callback(watch)
    log.info("visibility policy", extra={"retroactive_privacy": settings.retroactive_privacy,
                                         "billing_addr": settings.billing_addr})

    async def shutdown() -> None:
        for task in tasks:
            task.remove_done_callback(watch)
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await billing.close()
        # Bounded: a pull subscription whose fetch was cancelled can keep a message queued that
        # nobody will read, and nats-py's drain then waits out its whole drain_timeout (30 s).
        # Nothing is lost by closing: every publish of ours awaited its ack already.
        try:
            await asyncio.wait_for(nc.drain(), DRAIN_TIMEOUT_S)
        except asyncio.TimeoutError:
            log.warning("nats drain timed out; closing", extra={"timeout_s": DRAIN_TIMEOUT_S})
            await nc.close()
        await pool.close()

    servicer = VisibilityServicer(pool, billing, retroactive_privacy=settings.retroactive_privacy)
    await serve(
        settings.grpc_listen,
        lambda server: visibility_pb2_grpc.add_VisibilityServiceServicer_to_server(servicer, server),
        [SERVICE_NAME],
        on_shutdown=shutdown,
        metrics_port=settings.metrics_port,
        metrics_host=settings.metrics_host,
    )
    if failed:
        raise SystemExit(1)
