"""Published outbox rows are deleted once past the retention; unpublished and recent ones stay."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import psycopg
import pytest

from glue import db
from glue.events import prune_outbox
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration

SERVICES_WITH_AN_OUTBOX = ("generation", "visibility", "billing")
REPO_ROOT = Path(__file__).resolve().parents[2]


def _add_row(database_url: str, schema: str, published: str | None, created: str = "now()") -> uuid.UUID:
    """published / created: SQL for the row's timestamps (None: not published yet)."""
    event_id = uuid.uuid4()
    with psycopg.connect(database_url) as conn:
        conn.execute(
            f"INSERT INTO {schema}.outbox (event_id, subject, envelope, created_at, published_at)"
            f" VALUES (%s, 'atelier.test', '', {created}, {published or 'NULL'})",
            (event_id,),
        )
    return event_id


def _event_ids(database_url: str, schema: str) -> set[uuid.UUID]:
    with psycopg.connect(database_url) as conn:
        return {row[0] for row in conn.execute(f"SELECT event_id FROM {schema}.outbox")}


async def test_prune_deletes_only_rows_published_before_the_retention(infra):
    await asyncio.to_thread(
        db.migrate, infra.service_database_url("generation"), "generation", REPO_ROOT / "services/generation/migrations"
    )
    url = infra.database_url
    old_published = {_add_row(url, "generation", "now() - interval '2 hours'") for _ in range(5)}
    recent = _add_row(url, "generation", "now() - interval '10 minutes'")
    unpublished = _add_row(url, "generation", None, created="now() - interval '3 hours'")

    pool = await db.open_pool(infra.service_database_url("generation"), "generation")
    try:
        assert await prune_outbox(pool, retention_s=3600, batch=2) == len(old_published)
    finally:
        await pool.close()
    assert _event_ids(url, "generation") == {recent, unpublished}


async def test_every_service_with_an_outbox_prunes_it(stack, infra):
    stack.overrides.update({"ATELIER_OUTBOX_RETENTION_S": "3600", "ATELIER_OUTBOX_PRUNE_INTERVAL_S": "0.5"})
    stack.start_billing()
    stack.start_visibility()
    stack.start_generation_api()  # each has migrated its schema once it listens
    kept, pruned = {}, {}
    for schema in SERVICES_WITH_AN_OUTBOX:
        pruned[schema] = _add_row(infra.database_url, schema, "now() - interval '2 hours'")
        kept[schema] = _add_row(infra.database_url, schema, "now() - interval '10 minutes'")

    for schema in SERVICES_WITH_AN_OUTBOX:
        await eventually(
            lambda schema=schema: pruned[schema] not in _event_ids(infra.database_url, schema),
            f"{schema} pruned its outbox",
            timeout=30,
        )
        assert kept[schema] in _event_ids(infra.database_url, schema)
