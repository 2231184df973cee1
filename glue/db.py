"""Postgres access: one async pool per service, pinned to the service's own schema,
and schema migrations with yoyo (plain SQL files, tracked per schema).

yoyo was chosen over Alembic because our services use raw SQL through psycopg 3, not an ORM;
yoyo applies ordered SQL files transactionally, records them per schema and supports psycopg 3.
"""

import logging
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql
from psycopg_pool import AsyncConnectionPool
from yoyo import get_backend, read_migrations

log = logging.getLogger(__name__)


def _yoyo_url(database_url: str, schema: str) -> str:
    parts = urlsplit(database_url)
    query = f"{parts.query}&schema={schema}" if parts.query else f"schema={schema}"
    return urlunsplit(("postgresql+psycopg", parts.netloc, parts.path, query, parts.fragment))


def migrate(database_url: str, schema: str, migrations_dir: Path) -> None:
    """Creates the schema if needed and applies every pending migration in migrations_dir."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        # A service's role may not create schemas: where its schema was provisioned for it (owned
        # by the role), asking for CREATE on the database would fail even with IF NOT EXISTS.
        exists = conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    backend = get_backend(_yoyo_url(database_url, schema))
    migrations = read_migrations(str(migrations_dir))
    with backend.lock():
        pending = backend.to_apply(migrations)
        backend.apply_migrations(pending)
    log.info("schema migrated", extra={"schema": schema, "applied": len(pending)})


async def open_pool(database_url: str, schema: str, min_size: int = 1, max_size: int = 10) -> AsyncConnectionPool:
    """A pool whose connections see only `schema` (search_path), so a service's SQL never
    names, or reaches by accident, another service's tables."""

    async def configure(conn: psycopg.AsyncConnection) -> None:
        await conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
        await conn.commit()

    pool = AsyncConnectionPool(database_url, min_size=min_size, max_size=max_size, configure=configure, open=False)
    await pool.open(wait=True, timeout=30)
    return pool


RowT = TypeVar("RowT")


async def one_row(cursor: psycopg.AsyncCursor[RowT]) -> RowT:
    """The row a statement always returns (count(*), INSERT … RETURNING); no row is a bug."""
    row = await cursor.fetchone()
    if row is None:
        raise RuntimeError("the statement returned no row")
    return row
