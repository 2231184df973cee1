"""Process wiring: the feed server (gRPC + the projection's three durable consumers) and the
operator's rebuild command."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import grpc

from atelier.feed.v1 import feed_pb2, feed_pb2_grpc
from glue import db
from glue.consumer import ConsumerSpec, run_consumer
from glue.events import ensure_streams
from glue.grpc_server import serve
from glue.nats_connect import connect
from services.feed import repository
from services.feed.authority import Authority
from services.feed.consumers import CONSUMERS, ProjectionWriter
from services.feed.events import STREAMS
from services.feed.handlers import FeedServicer
from services.feed.rebuild import IncompleteHistory, rebuild
from services.feed.settings import SCHEMA, FeedSettings

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE_NAME = feed_pb2.DESCRIPTOR.services_by_name["FeedService"].full_name


async def _keep_consuming(js, spec: ConsumerSpec, handler, concurrency: int) -> None:
    """A consumer loop that outlives NATS hiccups: it restarts after an error instead of leaving
    the projection silently stale while the server keeps answering."""
    while True:
        try:
            await run_consumer(js, spec, handler, concurrency)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            log.error("projection consumer stopped; restarting", extra={"consumer": spec.durable, "error": str(error)})
            await asyncio.sleep(1.0)


async def refresh_top_scores(pool, windows: list[int]) -> None:
    """Recounts the precomputed top windows; one replica at a time (advisory lock), others skip."""
    async with pool.connection() as conn, conn.transaction():
        locked = await (await conn.execute("SELECT pg_try_advisory_xact_lock(hashtext('feed.top_scores'))")).fetchone()
        if not locked[0]:
            return
        for window in windows:
            await repository.refresh_top(conn, window)
        # Fresh statistics: the planner walks the rank index only if it knows the table's size.
        await conn.execute("ANALYZE top_scores")


async def _keep_top_fresh(pool, windows: list[int], interval_s: float) -> None:
    while True:
        try:
            await refresh_top_scores(pool, windows)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # stale scores only reorder top; never stop the service for them
            log.warning("top scores refresh failed", extra={"error": str(error)})
        await asyncio.sleep(interval_s)


async def run(settings: FeedSettings) -> None:
    await asyncio.to_thread(db.migrate, settings.database_url, SCHEMA, MIGRATIONS)
    pool = await db.open_pool(settings.database_url, SCHEMA, max_size=settings.db_pool_size)
    nc = await connect(settings.nats_url, "feed")
    js = nc.jetstream()
    await ensure_streams(js, STREAMS)
    channel = grpc.aio.insecure_channel(settings.visibility_addr)
    authority = Authority(channel, settings.authorize_timeout_s)
    writer = ProjectionWriter(pool)
    background = [
        asyncio.create_task(_keep_consuming(js, spec, writer.handler_for(spec.subject), settings.consumer_concurrency))
        for spec in CONSUMERS
    ]
    background.append(asyncio.create_task(
        _keep_top_fresh(pool, settings.top_windows_hours, settings.top_refresh_s)))
    servicer = FeedServicer(pool, authority, report_threshold=settings.feed_report_threshold,
                            top_window_hours=settings.top_window_hours, top_windows_hours=settings.top_windows_hours)

    async def shutdown() -> None:
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
        await nc.drain()
        await channel.close()
        await pool.close()

    await serve(
        settings.grpc_listen,
        lambda server: feed_pb2_grpc.add_FeedServiceServicer_to_server(servicer, server),
        [SERVICE_NAME],
        on_shutdown=shutdown,
        metrics_port=settings.metrics_port,
        metrics_host=settings.metrics_host,
    )


async def run_rebuild(settings: FeedSettings, *, force: bool = False) -> None:
    await asyncio.to_thread(db.migrate, settings.database_url, SCHEMA, MIGRATIONS)
    pool = await db.open_pool(settings.database_url, SCHEMA, max_size=2)
    nc = await connect(settings.nats_url, "feed-rebuild")
    try:
        js = nc.jetstream()
        await ensure_streams(js, STREAMS)
        await rebuild(pool, js, force=force)
    except IncompleteHistory as error:
        raise SystemExit(str(error)) from None
    finally:
        await nc.close()
        await pool.close()
