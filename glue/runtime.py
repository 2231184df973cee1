"""What every event-driven service opens at start: its schema migrated, a pool pinned to it,
NATS with reconnects, and the JetStream streams it touches provisioned."""

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path

from nats.aio.client import Client
from nats.js import JetStreamContext
from psycopg_pool import AsyncConnectionPool

from glue import db
from glue.events import StreamSpec, ensure_streams
from glue.nats_connect import connect

log = logging.getLogger(__name__)
DRAIN_TIMEOUT_S = 2.0


async def drain_or_close(nc: Client, timeout_s: float = DRAIN_TIMEOUT_S) -> None:
    """Drains NATS, bounded: nats-py's drain can wait its whole drain_timeout (30 s) for a pull
    subscription whose fetch was cancelled mid-flight. Closing instead loses nothing: events are
    acknowledged only after their transaction commits, and the outbox relay awaits each publish's
    JetStream ack, so whatever was in flight is redelivered or republished."""
    try:
        await asyncio.wait_for(nc.drain(), timeout_s)
    except Exception as error:  # timeout, or a connection already gone
        log.info("nats drain cut short; closing", extra={"error": str(error) or type(error).__name__})
        if not nc.is_closed:
            await nc.close()


@dataclass
class Runtime:
    pool: AsyncConnectionPool
    nc: Client
    js: JetStreamContext

    async def close(self) -> None:
        await drain_or_close(self.nc)
        await self.pool.close()


async def open_runtime(
    *,
    database_url: str,
    schema: str,
    migrations: Path,
    nats_url: str,
    client_name: str,
    streams: list[StreamSpec],
) -> Runtime:
    await asyncio.to_thread(db.migrate, database_url, schema, migrations)
    pool = await db.open_pool(database_url, schema)
    nc = await connect(nats_url, client_name)
    js = nc.jetstream()
    await ensure_streams(js, streams)
    return Runtime(pool, nc, js)
