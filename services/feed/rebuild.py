"""Rebuilding the projection from scratch by replaying the event streams (`python -m services.feed rebuild`).

1. An empty shadow table `images_next` with the same columns is filled by ephemeral ordered
   consumers (DeliverPolicy.ALL) over ImagesReady, ImageDeleted and VisibilityChanged, applying
   the same merge rule as the live consumers, in batches, while the feed keeps serving the old
   table. Like the live consumers, it asks the generation service for the prompts of images made
   public (public right now, or none): a private image's prompt never enters the shadow table.
   Likes, pins, reports and moderation decisions are the feed's own data: never dropped.
2. Swap, in one transaction: lock the social tables and `images` against writes (readers go on),
   replay whatever was published meanwhile, carry over the feed's own columns (like counts from
   `likes`, the moderation flag from the live table), drop the old table and rename the shadow
   one with the original index names. Live consumers blocked on the lock retry their event and
   find it applied; the merge rule makes that a no-op.

The streams are the source of truth only while they hold the whole history: if a stream has lost
its first messages (max_age), a rebuild would drop old images from the feed, so it refuses unless
forced. (Never a leak either way: every page is checked against the visibility authority.)
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field
from uuid import UUID

import nats.errors
import psycopg
from nats.js import JetStreamContext
from nats.js.api import DeliverPolicy, StreamState
from nats.js.errors import NotFoundError
from psycopg import sql
from psycopg_pool import AsyncConnectionPool

from glue.consumer import PoisonMessage
from glue.db import one_row
from glue.events import UndecodableEvent, open_envelope
from services.feed import repository
from services.feed.consumers import EVENT_TYPES, changes_of
from services.feed.events import PROJECTION_SOURCES
from services.feed.projection import Event
from services.feed.prompts import PublicPrompts

log = logging.getLogger(__name__)

SHADOW = "images_next"
# Social tables first, then images: the order every social write transaction takes them in.
SWAP_LOCKS = ("likes", "reports", "moderation", "pins", "images")


class IncompleteHistory(RuntimeError):
    pass


@dataclass
class RebuildReport:
    events: int = 0
    skipped: int = 0
    rows: int = 0
    seconds: float = 0.0
    per_subject: dict[str, int] = field(default_factory=dict)


class _Source:
    """One ephemeral ordered push consumer over one subject, read up to a target sequence."""

    def __init__(self, js: JetStreamContext, stream: str, subject: str):
        self.js, self.stream, self.subject = js, stream, subject
        self.subscription: JetStreamContext.PushSubscription | None = None
        self.position = 0  # stream sequence of the last message read

    async def last_sequence(self) -> int:
        try:
            return (await self.js.get_last_msg(self.stream, self.subject)).seq or 0
        except NotFoundError:
            return 0

    async def read_until(self, target: int, sink, report: RebuildReport) -> None:
        if self.position >= target:
            return
        if self.subscription is None:
            self.subscription = await self.js.subscribe(
                self.subject,
                stream=self.stream,
                ordered_consumer=True,
                deliver_policy=DeliverPolicy.ALL,
                inactive_threshold=300,
            )
        while self.position < target:
            try:
                msg = await self.subscription.next_msg(timeout=30)
            except nats.errors.TimeoutError:
                raise RuntimeError(
                    f"replay of {self.subject} stalled at sequence {self.position} of {target}"
                ) from None
            self.position = msg.metadata.sequence.stream
            try:
                envelope, event = open_envelope(msg.data, EVENT_TYPES[self.subject])
                changes = changes_of(self.subject, envelope, event)
            except (UndecodableEvent, PoisonMessage) as error:
                report.skipped += 1
                log.warning(
                    "replay skips an event the live consumer dead-letters",
                    extra={"subject": self.subject, "sequence": self.position, "error": str(error)},
                )
                continue
            report.events += 1
            report.per_subject[self.subject] = report.per_subject.get(self.subject, 0) + 1
            await sink(changes)

    async def close(self) -> None:
        if self.subscription is not None:
            await self.subscription.unsubscribe()


class _Batcher:
    """Applies changes to the shadow table in batches, one transaction each."""

    def __init__(self, conn: psycopg.AsyncConnection, prompts: PublicPrompts, size: int):
        self.conn, self.prompts, self.size = conn, prompts, size
        self.pending: list[tuple[UUID, Event]] = []

    async def add(self, changes: list[tuple[UUID, Event]]) -> None:
        self.pending.extend(changes)
        if len(self.pending) >= self.size:
            await self.flush()

    async def flush(self) -> None:
        if self.pending:
            changes = await self.prompts.attach(self.pending)
            # Its own transaction while replaying; a savepoint inside the swap's transaction.
            async with self.conn.transaction():
                await repository.apply_changes(self.conn, changes, table=SHADOW)
            self.pending = []


class MissingStream(IncompleteHistory):
    """A stream the projection is built from does not exist: its owner has never started here."""


async def _stream_state(js: JetStreamContext, stream: str) -> StreamState:
    try:
        return (await js.stream_info(stream)).state
    except NotFoundError:
        raise MissingStream(
            f"stream {stream} does not exist: its owning service creates it when it first starts."
            " Start the platform (or that service) once, then rebuild."
        ) from None


async def check_history(js: JetStreamContext, *, force: bool = False) -> None:
    for stream in sorted({stream for stream, _ in PROJECTION_SOURCES}):
        state = await _stream_state(js, stream)
        if force:
            continue
        if state.first_seq > 1 or state.num_deleted:
            raise IncompleteHistory(
                f"stream {stream} no longer holds its whole history (first sequence {state.first_seq},"
                f" {state.num_deleted or 0} deleted): a rebuild would drop older images from the feed."
                " Pass --force to rebuild from what is left."
            )


_INDEX_HEAD = re.compile(r"^CREATE (UNIQUE )?INDEX (\S+) ON (\S+) ")


async def _secondary_indexes(conn: psycopg.AsyncConnection, table: str) -> list[tuple[str, str]]:
    cursor = await conn.execute(
        "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
        " WHERE i.indrelid = %s::regclass AND NOT i.indisprimary ORDER BY c.relname",
        (table,),
    )
    return list(await cursor.fetchall())


def _shadow_name(index: str) -> str:
    return f"{index[:55]}_next"


def _on_shadow(definition: str, index: str) -> str:
    """An index definition of the live table, rewritten to create `index` on the shadow table."""
    return _INDEX_HEAD.sub(lambda m: f"CREATE {m.group(1) or ''}INDEX {index} ON {SHADOW} ", definition)


async def rebuild(
    pool: AsyncConnectionPool,
    js: JetStreamContext,
    prompts: PublicPrompts,
    *,
    force: bool = False,
    batch: int = 2000,
) -> RebuildReport:
    started = time.monotonic()
    report = RebuildReport()
    await check_history(js, force=force)
    sources = [_Source(js, stream, subject) for stream, subject in PROJECTION_SOURCES]
    try:
        async with pool.connection() as conn:
            # Every statement below runs in an explicit transaction block, or on its own.
            await conn.set_autocommit(True)
            try:
                await _rebuild_into_shadow_and_swap(conn, sources, _Batcher(conn, prompts, batch), report)
            finally:
                await conn.set_autocommit(False)
    finally:
        for source in sources:
            try:
                await source.close()
            except Exception:  # the connection may be gone already; the consumer is ephemeral anyway
                pass
    report.seconds = time.monotonic() - started
    log.info(
        "projection rebuilt",
        extra={
            "events": report.events,
            "skipped": report.skipped,
            "rows": report.rows,
            "seconds": round(report.seconds, 2),
            "per_subject": report.per_subject,
        },
    )
    return report


async def _rebuild_into_shadow_and_swap(
    conn: psycopg.AsyncConnection, sources: list[_Source], batcher: _Batcher, report: RebuildReport
) -> None:
    await conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(SHADOW)))
    # Same columns, defaults, checks and generated columns; secondary indexes come after the load.
    await conn.execute(
        sql.SQL("CREATE TABLE {} (LIKE images INCLUDING ALL EXCLUDING INDEXES, PRIMARY KEY (image_id))").format(
            sql.Identifier(SHADOW)
        )
    )

    # 1. Replay everything published so far, while the feed serves the old table.
    for source in sources:
        await source.read_until(await source.last_sequence(), batcher.add, report)
        await batcher.flush()
    indexes = await _secondary_indexes(conn, "images")
    async with conn.transaction():
        for name, definition in indexes:
            await conn.execute(_on_shadow(definition, _shadow_name(name)))
    log.info("replayed; swapping in", extra={"events": report.events})

    # 2. Catch up under a write lock and swap.
    async with conn.transaction():
        for table in SWAP_LOCKS:
            await conn.execute(sql.SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(sql.Identifier(table)))
        for source in sources:
            await source.read_until(await source.last_sequence(), batcher.add, report)
        await batcher.flush()
        await _carry_over_social(conn)
        await conn.execute("DROP TABLE images")
        await conn.execute(sql.SQL("ALTER TABLE {} RENAME TO images").format(sql.Identifier(SHADOW)))
        await conn.execute(
            sql.SQL("ALTER TABLE images RENAME CONSTRAINT {} TO images_pkey").format(sql.Identifier(f"{SHADOW}_pkey"))
        )
        for name, _ in indexes:
            await conn.execute(
                sql.SQL("ALTER INDEX {} RENAME TO {}").format(sql.Identifier(_shadow_name(name)), sql.Identifier(name))
            )
        report.rows = (await one_row(await conn.execute("SELECT count(*) FROM images")))[0]


async def _carry_over_social(conn: psycopg.AsyncConnection) -> None:
    """The feed's own columns: like counts recounted from likes, moderation flags as decided."""
    shadow = sql.Identifier(SHADOW)
    await conn.execute(
        sql.SQL(
            "INSERT INTO {} (image_id, like_count) SELECT image_id, count(*) FROM likes GROUP BY image_id"
            " ON CONFLICT (image_id) DO UPDATE SET like_count = excluded.like_count"
        ).format(shadow)
    )
    await conn.execute(
        sql.SQL(
            "INSERT INTO {} (image_id, hidden_by_reports) SELECT image_id, true FROM images WHERE hidden_by_reports"
            " ON CONFLICT (image_id) DO UPDATE SET hidden_by_reports = true"
        ).format(shadow)
    )
