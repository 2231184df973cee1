"""What every event-driven service opens at start: its schema migrated, a pool pinned to it,
NATS with reconnects, and the JetStream streams it touches provisioned."""

import asyncio
from dataclasses import dataclass
from pathlib import Path

from nats.aio.client import Client
from nats.js import JetStreamContext
from psycopg_pool import AsyncConnectionPool

from glue import db
from glue.events import StreamSpec, ensure_streams
from glue.nats_connect import connect


@dataclass
class Runtime:
    pool: AsyncConnectionPool
    nc: Client
    js: JetStreamContext

    async def close(self) -> None:
        await self.nc.drain()
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
