"""Event envelopes, JetStream streams and the transactional outbox.

A service writes its domain row and an outbox row in one Postgres transaction (`enqueue_event`;
the `outbox` table lives in each publishing service's own schema, created by its migrations);
`OutboxRelay` publishes outbox rows to JetStream with Nats-Msg-Id = event_id, so a relay that
crashes between publishing and marking a row publishes a duplicate that JetStream drops.
"""

import asyncio
import dataclasses
import logging
import uuid
from datetime import timedelta
from typing import TypeVar

import psycopg
from google.protobuf import any_pb2, timestamp_pb2
from google.protobuf.message import Message
from nats.js import JetStreamContext
from nats.js.api import StorageType, StreamConfig
from nats.js.errors import BadRequestError, NotFoundError
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from atelier.common.v1 import envelope_pb2
from contracts.streams import StreamSpec
from glue.telemetry import inject_headers

log = logging.getLogger(__name__)

DEAD_LETTER_STREAM = "DEADLETTER"
DEAD_LETTER_PREFIX = "atelier.deadletter"

EventT = TypeVar("EventT", bound=Message)


def make_envelope(payload: Message, trace_headers: dict[str, str]) -> envelope_pb2.EventEnvelope:
    occurred_at = timestamp_pb2.Timestamp()
    occurred_at.GetCurrentTime()
    packed = any_pb2.Any()
    packed.Pack(payload)
    return envelope_pb2.EventEnvelope(
        event_id=str(uuid.uuid4()),
        occurred_at=occurred_at,
        traceparent=trace_headers.get("traceparent", ""),
        tracestate=trace_headers.get("tracestate", ""),
        payload=packed,
    )


class UndecodableEvent(ValueError):
    """The bytes are not an envelope holding the expected event: a poison message."""


def open_envelope(data: bytes, expected: type[EventT]) -> tuple[envelope_pb2.EventEnvelope, EventT]:
    envelope = envelope_pb2.EventEnvelope()
    try:
        envelope.ParseFromString(data)
    except Exception as error:  # protobuf raises DecodeError and friends
        raise UndecodableEvent(f"not an EventEnvelope: {error}") from error
    payload = expected()
    if not envelope.event_id or not envelope.payload.Unpack(payload):
        raise UndecodableEvent(f"envelope does not hold a {expected.DESCRIPTOR.full_name}")
    return envelope, payload


async def enqueue_event(conn: psycopg.AsyncConnection, subject: str, payload: Message) -> str:
    """Adds an event to the outbox inside the caller's transaction; returns its event id."""
    headers = inject_headers()
    envelope = make_envelope(payload, headers)
    await conn.execute(
        "INSERT INTO outbox (event_id, subject, envelope, headers) VALUES (%s, %s, %s, %s)",
        (envelope.event_id, subject, envelope.SerializeToString(), Jsonb(headers)),
    )
    await conn.execute("SELECT pg_notify(current_schema() || '_outbox', '')")
    return envelope.event_id


# Glue's own stream, not a domain's: every process that consumes may dead-letter, so every
# runtime provisions it (glue.runtime.open_runtime), always with this one declaration.
DEAD_LETTERS = StreamSpec(DEAD_LETTER_STREAM, (f"{DEAD_LETTER_PREFIX}.>",), max_age_s=30 * 24 * 3600)


async def ensure_streams(js: JetStreamContext, specs: list[StreamSpec], replicas: int = 1) -> None:
    """Creates absent streams; brings existing ones to the contract without undoing an operator.
    Safe to call from every replica at every start. Only a stream's owner calls this for it
    (contracts/): consumers of other domains wait for it instead (glue.consumer.wait_for_stream).

    Who owns which setting of an existing stream (so a restart never undoes an operator):
    - the contract (the StreamSpec): subjects, max age, duplicate window; set on every start;
    - the deployment: replicas, only ever raised to `replicas` (ATELIER_STREAM_REPLICAS), never
      lowered: an operator who gave a stream 5 copies on a 5-node cluster keeps them;
    - the operator: everything else (max_bytes, max_msgs, discard policy, placement, ...), kept as
      the server holds it.
    """
    for spec in specs:
        try:
            current = (await js.stream_info(spec.name)).config
        except NotFoundError:
            try:
                await js.add_stream(_created(spec, replicas))
                continue
            except BadRequestError:  # another replica created it meanwhile: update that one
                current = (await js.stream_info(spec.name)).config
        wanted = kept_by_operator(current, spec, replicas)
        if wanted != current:
            await js.update_stream(wanted)


def _created(spec: StreamSpec, replicas: int) -> StreamConfig:
    return StreamConfig(
        name=spec.name,
        subjects=list(spec.subjects),
        storage=StorageType.FILE,
        num_replicas=replicas,
        max_age=spec.max_age_s,
        duplicate_window=spec.duplicate_window_s,
    )


def kept_by_operator(current: StreamConfig, spec: StreamSpec, replicas: int) -> StreamConfig:
    """The existing stream's configuration with the contract's settings applied (ensure_streams)."""
    return dataclasses.replace(
        current,
        subjects=list(spec.subjects),
        max_age=spec.max_age_s,
        duplicate_window=spec.duplicate_window_s,
        num_replicas=max(current.num_replicas or 1, replicas),
    )


class OutboxRelay:
    """Publishes unpublished outbox rows in order; woken by NOTIFY, with a polling fallback."""

    def __init__(
        self,
        pool: AsyncConnectionPool,
        js: JetStreamContext,
        schema: str,
        batch: int = 100,
        poll_interval_s: float = 1.0,
    ):
        if not isinstance(pool.conninfo, str):
            raise TypeError("the outbox relay LISTENs on a connection of its own: give its pool a conninfo string")
        self._pool = pool
        self._conninfo = pool.conninfo
        self._js = js
        self._channel = f"{schema}_outbox"
        self._batch = batch
        self._poll_interval_s = poll_interval_s
        self._wake = asyncio.Event()

    async def run(self) -> None:
        listener = asyncio.create_task(self._listen())
        try:
            while True:
                try:
                    published = await self.publish_pending()
                except (TimeoutError, psycopg.OperationalError, OSError) as error:
                    log.warning("outbox relay: will retry", extra={"error": str(error)})
                    published = 0
                    await asyncio.sleep(self._poll_interval_s)
                if published < self._batch:
                    self._wake.clear()
                    try:
                        await asyncio.wait_for(self._wake.wait(), self._poll_interval_s)
                    except TimeoutError:
                        pass
        finally:
            listener.cancel()

    async def publish_pending(self) -> int:
        async with self._pool.connection() as conn, conn.transaction():
            rows = await (
                await conn.execute(
                    "SELECT id, event_id, subject, envelope, headers FROM outbox WHERE published_at IS NULL"
                    " ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED",
                    (self._batch,),
                )
            ).fetchall()
            for row_id, event_id, subject, envelope, headers in rows:
                await self._js.publish(subject, bytes(envelope), headers={**headers, "Nats-Msg-Id": str(event_id)})
                await conn.execute("UPDATE outbox SET published_at = now() WHERE id = %s", (row_id,))
        return len(rows)

    async def _listen(self) -> None:
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(self._conninfo, autocommit=True) as conn:
                    await conn.execute(f'LISTEN "{self._channel}"')
                    async for _ in conn.notifies():
                        self._wake.set()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # reconnect: the poll keeps the relay going meanwhile
                log.warning("outbox listener reconnecting", extra={"error": str(error)})
                await asyncio.sleep(self._poll_interval_s)


async def prune_outbox(pool: AsyncConnectionPool, retention_s: float, batch: int = 1000) -> int:
    """Deletes the outbox rows published more than retention_s ago, `batch` per transaction so that
    no long lock holds up the relay; returns how many. Unpublished rows are never touched."""
    pruned = 0
    while True:
        async with pool.connection() as conn, conn.transaction():
            cursor = await conn.execute(
                "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE published_at < now() - %s"
                " ORDER BY id LIMIT %s)",
                (timedelta(seconds=retention_s), batch),
            )
        pruned += cursor.rowcount
        if cursor.rowcount < batch:
            break
    if pruned:
        log.info("outbox pruned", extra={"rows": pruned, "retention_s": retention_s})
    return pruned
