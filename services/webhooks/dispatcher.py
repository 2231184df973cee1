"""The outbox's sender: takes due deliveries (repository.take_due), makes one attempt each, at most
`concurrency` at once, and records the outcome: delivered, due again after a back-off, or failed
once max_attempts were made. Woken at once when new deliveries are written by this process, when a
retry it scheduled falls due, and every poll interval otherwise (deliveries another replica wrote
or left)."""

from __future__ import annotations

import asyncio
import logging

from psycopg_pool import AsyncConnectionPool

from services.webhooks import metrics, repository
from services.webhooks.backoff import retry_delay_s
from services.webhooks.repository import DueDelivery
from services.webhooks.sender import Sender

log = logging.getLogger(__name__)


class Dispatcher:
    def __init__(
        self,
        pool: AsyncConnectionPool,
        sender: Sender,
        *,
        max_attempts: int,
        retry_base_s: float,
        retry_max_s: float,
        request_timeout_s: float,
        concurrency: int,
        poll_interval_s: float,
    ):
        self._pool = pool
        self._sender = sender
        self._max_attempts = max_attempts
        self._retry_base_s = retry_base_s
        self._retry_max_s = retry_max_s
        # An attempt lasts at most the request timeout (resolution included, nearly); the lease
        # leaves a margin so that a slow attempt is never taken a second time while it runs.
        self._lease_s = 2 * request_timeout_s + 5
        self._concurrency = concurrency
        self._poll_interval_s = poll_interval_s
        self._wake = asyncio.Event()
        self._in_flight: set[asyncio.Task[None]] = set()

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        try:
            while True:
                self._wake.clear()
                taken = await self._take()
                if not taken:
                    try:
                        await asyncio.wait_for(self._wake.wait(), self._poll_interval_s)
                    except TimeoutError:
                        pass
        finally:
            for task in self._in_flight:
                task.cancel()
            await asyncio.gather(*self._in_flight, return_exceptions=True)

    async def _take(self) -> list[DueDelivery]:
        free = self._concurrency - len(self._in_flight)
        if free <= 0:
            return []
        try:
            taken = await repository.take_due(self._pool, free, self._lease_s)
        except Exception as error:  # the database restarting: the next round asks again
            log.warning("webhook deliveries not taken; trying again", extra={"error": str(error)})
            return []
        for due in taken:
            task = asyncio.create_task(self._deliver(due), name=f"webhook-{due.delivery_id}")
            self._in_flight.add(task)
            task.add_done_callback(self._finished)
        return taken

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        self._wake.set()  # a slot is free

    async def _deliver(self, due: DueDelivery) -> None:
        outcome = await self._sender.attempt(due)
        if outcome.delivered:
            retry_in_s = None
            result = "delivered"
        elif due.attempt >= self._max_attempts:
            retry_in_s = None
            result = "failed"
        else:
            retry_in_s = retry_delay_s(due.attempt, self._retry_base_s, self._retry_max_s)
            result = "retrying"
        metrics.ATTEMPTS.labels(result).inc()
        metrics.ATTEMPT_SECONDS.observe(outcome.duration_ms / 1000)
        log.info(
            "webhook attempt",
            extra={
                "delivery_id": str(due.delivery_id),
                "attempt": due.attempt,
                "result": result,
                "status": outcome.response_status,
                "error": outcome.error,
                "retry_in_s": retry_in_s,
            },
        )
        try:
            await repository.record_outcome(self._pool, due, outcome, retry_in_s)
        except Exception as error:  # the lease runs out and the delivery is tried again
            log.warning(
                "webhook outcome not recorded", extra={"delivery_id": str(due.delivery_id), "error": str(error)}
            )
            return
        if retry_in_s is not None:
            # Woken when it falls due rather than at the next poll: the back-off is what the
            # endpoint sees. (Another replica, or a restart, finds it by polling.)
            asyncio.get_running_loop().call_later(retry_in_s, self._wake.set)
