"""The webhooks service's SQL (psycopg 3): endpoints, the deliveries they are owed (the outbox the
sender works through) and the attempts made (the log owners read)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from uuid import UUID

from psycopg.rows import class_row
from psycopg_pool import AsyncConnectionPool

from glue.db import one_row
from services.webhooks.payloads import WebhookEvent


class TooManyEndpoints(Exception):
    pass


@dataclass(frozen=True)
class Endpoint:
    endpoint_id: UUID
    owner_id: str
    url: str
    events: list[str]
    created_at: datetime
    # None: the whole account's events; otherwise those of generations submitted with this key.
    api_key_id: UUID | None = None


@dataclass(frozen=True)
class ImageOrigin:
    """Whether ImagesReady told this service of an image, and with which key its generation was submitted."""

    known: bool
    api_key_id: UUID | None = None


@dataclass(frozen=True)
class Attempt:
    attempt: int
    attempted_at: datetime
    response_status: int | None
    error: str
    duration_ms: int


@dataclass(frozen=True)
class Delivery:
    delivery_id: UUID
    endpoint_id: UUID
    event_id: UUID
    event_type: str
    body: bytes
    status: str
    created_at: datetime
    next_attempt_at: datetime
    attempts: list[Attempt] = field(default_factory=list)


@dataclass(frozen=True)
class DueDelivery:
    """A delivery taken for one attempt (its lease running)."""

    delivery_id: UUID
    url: str
    signing_secret: str
    event_id: UUID
    event_type: str
    body: bytes
    attempt: int


@dataclass(frozen=True)
class Outcome:
    attempted_at: datetime
    response_status: int | None
    error: str
    duration_ms: int

    @property
    def delivered(self) -> bool:
        return self.response_status is not None and 200 <= self.response_status < 300


_ENDPOINT_COLUMNS = "endpoint_id, owner_id, url, events, created_at, api_key_id"


async def create_endpoint(
    pool: AsyncConnectionPool,
    owner_id: str,
    url: str,
    events: list[str],
    signing_secret: str,
    max_per_account: int,
    api_key_id: UUID | None = None,
) -> Endpoint:
    async with pool.connection() as conn, conn.transaction():
        # Serialises one owner's registrations, so two at once cannot both pass the count.
        await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 14))", (owner_id,))
        (count,) = await one_row(await conn.execute("SELECT count(*) FROM endpoints WHERE owner_id = %s", (owner_id,)))
        if count >= max_per_account:
            raise TooManyEndpoints
        cursor = conn.cursor(row_factory=class_row(Endpoint))
        await cursor.execute(
            f"INSERT INTO endpoints (endpoint_id, owner_id, url, events, signing_secret, api_key_id)"
            f" VALUES (gen_random_uuid(), %s, %s, %s, %s, %s) RETURNING {_ENDPOINT_COLUMNS}",
            (owner_id, url, events, signing_secret, api_key_id),
        )
        return await one_row(cursor)


async def list_endpoints(pool: AsyncConnectionPool, owner_id: str) -> list[Endpoint]:
    async with pool.connection() as conn:
        cursor = conn.cursor(row_factory=class_row(Endpoint))
        await cursor.execute(
            f"SELECT {_ENDPOINT_COLUMNS} FROM endpoints WHERE owner_id = %s ORDER BY created_at DESC, endpoint_id",
            (owner_id,),
        )
        return await cursor.fetchall()


async def delete_endpoint(pool: AsyncConnectionPool, owner_id: str, endpoint_id: UUID) -> bool:
    async with pool.connection() as conn:
        cursor = await conn.execute(
            "DELETE FROM endpoints WHERE endpoint_id = %s AND owner_id = %s", (endpoint_id, owner_id)
        )
        return cursor.rowcount == 1


async def delete_key_endpoints(pool: AsyncConnectionPool, owner_id: str, api_key_id: UUID) -> int:
    async with pool.connection() as conn:
        cursor = await conn.execute(
            "DELETE FROM endpoints WHERE owner_id = %s AND api_key_id = %s", (owner_id, api_key_id)
        )
        return cursor.rowcount


async def record_event(pool: AsyncConnectionPool, event: WebhookEvent, image_ids: list[UUID] | None = None) -> int:
    """One pending delivery per endpoint of the event's owner that asked for its type and is either
    account-wide or tied to the key the event's generation was submitted with; idempotent (a
    redelivered event finds them there). `image_ids`: the images of a completed generation, whose
    origin (owner, key) is kept in the same transaction for their later visibility changes.
    Returns how many deliveries were added."""
    async with pool.connection() as conn, conn.transaction():
        if image_ids:
            async with conn.cursor() as cursor:
                await cursor.executemany(
                    "INSERT INTO image_origins (image_id, owner_id, api_key_id) VALUES (%s, %s, %s)"
                    " ON CONFLICT (image_id) DO NOTHING",
                    [(image_id, event.owner_id, event.api_key_id) for image_id in image_ids],
                )
        # `api_key_id = NULL` is never true: an event of no key reaches the account-wide endpoints only.
        cursor = await conn.execute(
            "INSERT INTO deliveries (delivery_id, endpoint_id, event_id, event_type, body)"
            " SELECT gen_random_uuid(), endpoint_id, %s, %s, %s FROM endpoints"
            " WHERE owner_id = %s AND %s = ANY(events) AND (api_key_id IS NULL OR api_key_id = %s)"
            " ON CONFLICT (endpoint_id, event_id) DO NOTHING",
            (event.event_id, event.event_type, event.body, event.owner_id, event.event_type, event.api_key_id),
        )
        return cursor.rowcount


async def _first_row(pool: AsyncConnectionPool, query: str, params: tuple) -> tuple | None:
    async with pool.connection() as conn:
        return await (await conn.execute(query, params)).fetchone()


async def image_origin(pool: AsyncConnectionPool, image_id: UUID, owner_id: str) -> ImageOrigin:
    """An image recorded for another owner counts as unknown: its key never routes this owner's event."""
    row = await _first_row(
        pool, "SELECT api_key_id FROM image_origins WHERE image_id = %s AND owner_id = %s", (image_id, owner_id)
    )
    return ImageOrigin(True, row[0]) if row is not None else ImageOrigin(False)


async def has_key_endpoints(pool: AsyncConnectionPool, owner_id: str, event_type: str) -> bool:
    query = "SELECT 1 FROM endpoints WHERE owner_id = %s AND api_key_id IS NOT NULL AND %s = ANY(events) LIMIT 1"
    return await _first_row(pool, query, (owner_id, event_type)) is not None


async def take_due(pool: AsyncConnectionPool, limit: int, lease_s: float) -> list[DueDelivery]:
    """Up to `limit` due deliveries, each counted as one more attempt and leased for lease_s:
    another sender (replica) takes none of them meanwhile, and one whose sender died is due again
    when the lease ends."""
    async with pool.connection() as conn, conn.transaction():
        cursor = conn.cursor(row_factory=class_row(DueDelivery))
        await cursor.execute(
            "UPDATE deliveries d SET attempts = d.attempts + 1, next_attempt_at = now() + make_interval(secs => %s)"
            " FROM endpoints e"
            " WHERE e.endpoint_id = d.endpoint_id AND d.delivery_id IN ("
            "   SELECT delivery_id FROM deliveries WHERE status = 'pending' AND next_attempt_at <= now()"
            "   ORDER BY next_attempt_at LIMIT %s FOR UPDATE SKIP LOCKED)"
            " RETURNING d.delivery_id, e.url, e.signing_secret, d.event_id, d.event_type, d.body,"
            " d.attempts AS attempt",
            (lease_s, limit),
        )
        return await cursor.fetchall()


async def record_outcome(
    pool: AsyncConnectionPool, due: DueDelivery, outcome: Outcome, retry_in_s: float | None
) -> None:
    """The attempt in the log, and the delivery delivered, due again in retry_in_s, or failed
    (retry_in_s None). Nothing when the endpoint was deleted meanwhile (its log went with it)."""
    if outcome.delivered:
        status, next_at, finished = "delivered", "now()", "now()"
    elif retry_in_s is None:
        status, next_at, finished = "failed", "now()", "now()"
    else:
        status, next_at, finished = "pending", "now() + make_interval(secs => %(retry_in_s)s)", "NULL"
    async with pool.connection() as conn, conn.transaction():
        cursor = await conn.execute(
            f"UPDATE deliveries SET status = %(status)s, next_attempt_at = {next_at}, finished_at = {finished}"
            " WHERE delivery_id = %(delivery_id)s AND attempts = %(attempt)s AND status = 'pending'",
            {"status": status, "retry_in_s": retry_in_s, "delivery_id": due.delivery_id, "attempt": due.attempt},
        )
        if cursor.rowcount != 1:
            return
        await conn.execute(
            "INSERT INTO delivery_attempts (delivery_id, attempt, attempted_at, response_status, error, duration_ms)"
            " VALUES (%s, %s, %s, %s, %s, %s)",
            (
                due.delivery_id,
                due.attempt,
                outcome.attempted_at,
                outcome.response_status,
                outcome.error,
                outcome.duration_ms,
            ),
        )


async def owns_endpoint(pool: AsyncConnectionPool, owner_id: str, endpoint_id: UUID) -> bool:
    query = "SELECT 1 FROM endpoints WHERE endpoint_id = %s AND owner_id = %s"
    return await _first_row(pool, query, (endpoint_id, owner_id)) is not None


async def list_deliveries(pool: AsyncConnectionPool, endpoint_id: UUID, limit: int) -> list[Delivery]:
    async with pool.connection() as conn:
        cursor = conn.cursor(row_factory=class_row(Delivery))
        await cursor.execute(
            "SELECT delivery_id, endpoint_id, event_id, event_type, body, status, created_at, next_attempt_at"
            " FROM deliveries WHERE endpoint_id = %s ORDER BY created_at DESC, delivery_id LIMIT %s",
            (endpoint_id, limit),
        )
        deliveries = await cursor.fetchall()
        if not deliveries:
            return []
        attempts = await (
            await conn.execute(
                "SELECT delivery_id, attempt, attempted_at, response_status, error, duration_ms"
                " FROM delivery_attempts WHERE delivery_id = ANY(%s) ORDER BY delivery_id, attempt",
                ([d.delivery_id for d in deliveries],),
            )
        ).fetchall()
    by_delivery: dict[UUID, list[Attempt]] = {}
    for delivery_id, *values in attempts:
        by_delivery.setdefault(delivery_id, []).append(Attempt(*values))
    return [replace(d, attempts=by_delivery.get(d.delivery_id, [])) for d in deliveries]


async def prune_log(pool: AsyncConnectionPool, retention_s: float) -> int:
    async with pool.connection() as conn:
        cursor = await conn.execute(
            "DELETE FROM deliveries WHERE finished_at < now() - %s", (timedelta(seconds=retention_s),)
        )
        return cursor.rowcount
