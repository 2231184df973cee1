"""Credits reserved for a generation that was never written, given back.

Submit reserves credits with billing before it writes the generation (billing decides whether
there are credits at all). A process killed between the two would leave the reservation open
until billing's expiry a day later. So Submit first commits a pending row naming the
generation, removes it in the transaction that writes the generation, and a sweep in the API
process releases the credits of every pending row older than a submission can take.

The sweep holds each row's lock while it releases, and the writing transaction claims the row
under the same lock: either the generation is written and keeps its credits, or the credits are
released and the generation is refused; never both, never neither.
"""

import logging
from uuid import UUID

import grpc
import psycopg
from psycopg_pool import AsyncConnectionPool

from services.generation.clients import BillingClient, DependencyUnavailable

log = logging.getLogger(__name__)

SWEEP_BATCH = 100
# Billing's answers to ReleaseCredits that mean "nothing is held for it".
NOTHING_HELD = (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.ALREADY_EXISTS)


class ReservationAbandoned(DependencyUnavailable):
    """The sweep released this submission's credits (it took longer than a submission can):
    the generation must not be written; the caller may try again."""


async def note_pending(pool: AsyncConnectionPool, generation_id: UUID, owner_id: str) -> None:
    async with pool.connection() as conn:
        await conn.execute(
            "INSERT INTO pending_reservations (generation_id, owner_id) VALUES (%s, %s)", (generation_id, owner_id)
        )


async def claim_pending(conn: psycopg.AsyncConnection, generation_id: UUID) -> None:
    """Inside the transaction that writes the generation."""
    cursor = await conn.execute(
        "DELETE FROM pending_reservations WHERE generation_id = %s RETURNING generation_id", (generation_id,)
    )
    if await cursor.fetchone() is None:
        raise ReservationAbandoned(f"the credits reserved for {generation_id} were released")


async def forget_pending(pool: AsyncConnectionPool, generation_id: UUID) -> None:
    """Once the credits are released, or were never reserved."""
    async with pool.connection() as conn:
        await conn.execute("DELETE FROM pending_reservations WHERE generation_id = %s", (generation_id,))


async def release(billing: BillingClient, generation_id: UUID) -> None:
    """Gives back whatever billing holds for the generation; nothing held is fine too."""
    try:
        await billing.release(str(generation_id))
    except grpc.aio.AioRpcError as error:
        if error.code() not in NOTHING_HELD:
            raise


async def release_quietly(pool: AsyncConnectionPool, billing: BillingClient, generation_id: UUID) -> None:
    """release() after a refusal or failure: a failure to release is logged, never raised over the
    real outcome (the sweep releases what stays pending)."""
    try:
        await release(billing, generation_id)
        await forget_pending(pool, generation_id)
    except Exception as error:
        log.warning("could not release credits", extra={"generation_id": str(generation_id), "error": str(error)})


class AbandonedReservationSweep:
    def __init__(self, pool: AsyncConnectionPool, billing: BillingClient, older_than_s: float) -> None:
        self._pool = pool
        self._billing = billing
        self._older_than_s = older_than_s

    async def sweep(self) -> int:
        """Releases the credits of pending rows older than the threshold; returns how many."""
        released = 0
        async with self._pool.connection() as conn, conn.transaction():
            cursor = await conn.execute(
                "SELECT generation_id FROM pending_reservations"
                " WHERE created_at < now() - make_interval(secs => %s)"
                " ORDER BY created_at LIMIT %s FOR UPDATE SKIP LOCKED",
                (self._older_than_s, SWEEP_BATCH),
            )
            for (generation_id,) in await cursor.fetchall():
                await release(self._billing, generation_id)
                await conn.execute("DELETE FROM pending_reservations WHERE generation_id = %s", (generation_id,))
                released += 1
        if released:
            log.warning("released credits of submissions that never finished", extra={"count": released})
        return released
