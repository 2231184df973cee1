"""What every event-driven service process shares: its schema migrated, a pool pinned to it,
NATS with reconnects, the JetStream streams it owns provisioned, background loops supervised,
and an orderly stop: consumers drain (no new message fetched, the ones in hand finished and
acknowledged) within drain_timeout_s, the other loops are cancelled, NATS is drained within a bound,
the pool closed.

Streams: a process creates only its own domain's stream (declared in contracts/) and glue's
DEADLETTER stream, which any consumer may publish to. Another domain's stream is its owner's to
create: a consumer of it waits until it exists (glue.consumer.wait_for_stream)."""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nats.aio.client import Client
from nats.js import JetStreamContext
from psycopg_pool import AsyncConnectionPool

from contracts.streams import StreamSpec
from glue import db
from glue.cancellation import cancel_until_done
from glue.events import DEAD_LETTERS, OutboxRelay, ensure_streams, prune_outbox
from glue.grpc_errors import ErrorMapping
from glue.grpc_server import Registrar, serve, wait_for_termination_signal
from glue.nats_connect import connect
from glue.on_behalf import UserPolicy
from glue.periodic import run_periodically
from glue.service_identity import CallerPolicy, IdentityFiles
from glue.settings import DatabaseSettings, ServiceSettings
from glue.user_token import UserTokenVerifier

log = logging.getLogger(__name__)
DRAIN_TIMEOUT_S = 2.0
LOOP_CANCEL_TIMEOUT_S = 5.0

Cleanup = Callable[[], Awaitable[None]]


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


async def _first_to_end(tasks: list[asyncio.Task[object]]) -> asyncio.Task[object]:
    done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    return done.pop()


@dataclass
class Runtime:
    pool: AsyncConnectionPool
    nc: Client
    js: JetStreamContext
    # Bounds a consumer's drain at stop; below the orchestrator's grace period (a pod's
    # terminationGracePeriodSeconds), so that whatever is cut short is given back, not killed.
    drain_timeout_s: float = 10.0
    # Set at stop: consumers given it (run_consumer's `stopping`) fetch nothing more.
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    _loops: list[asyncio.Task[object]] = field(default_factory=list)
    _draining: list[asyncio.Task[object]] = field(default_factory=list)
    _cleanups: list[Cleanup] = field(default_factory=list)
    _closing: bool = False

    def run_in_background(self, loop: Coroutine[Any, Any, object], name: str, *, drains: bool = False) -> None:
        """A loop that runs for the life of the process. If it ever ends, the process stops (exit
        1) so the orchestrator restarts it, rather than serving on without it. drains: the loop ends by
        itself once `stopping` is set (a consumer given it); stop waits for it, up to
        drain_timeout_s, before cancelling it."""
        task = asyncio.create_task(loop, name=name)
        self._loops.append(task)
        if drains:
            self._draining.append(task)

    def relay_outbox(self, schema: str, settings: DatabaseSettings) -> None:
        """For a service with an outbox: its events published to JetStream, and the published rows
        deleted once older than settings.outbox_retention_s."""
        self.run_in_background(OutboxRelay(self.pool, self.js, schema).run(), "outbox-relay")
        self.run_in_background(
            run_periodically(
                "outbox prune",
                lambda: prune_outbox(self.pool, settings.outbox_retention_s),
                settings.outbox_prune_interval_s,
            ),
            "outbox-prune",
        )

    def on_close(self, cleanup: Cleanup) -> None:
        """Runs at stop, after the loops are cancelled and before NATS and the pool close."""
        self._cleanups.append(cleanup)

    async def close(self) -> None:
        self._closing = True
        self.stopping.set()
        if self._draining:
            _, unfinished = await asyncio.wait(self._draining, timeout=self.drain_timeout_s)
            if unfinished:
                log.warning(
                    "drain cut short; in-flight messages are given back",
                    extra={"drain_timeout_s": self.drain_timeout_s, "loops": [t.get_name() for t in unfinished]},
                )
        # Bounded: a loop that ignores every cancellation must not keep the process from stopping; it
        # is named, and the process's end takes it down (glue.bootstrap).
        stuck = await cancel_until_done(self._loops, LOOP_CANCEL_TIMEOUT_S)
        if stuck:
            log.error("loops ignored their cancellation", extra={"loops": sorted(t.get_name() for t in stuck)})
        for cleanup in self._cleanups:
            await cleanup()
        await drain_or_close(self.nc)
        await self.pool.close()

    async def serve(
        self,
        settings: ServiceSettings,
        listen: str,
        register: Registrar,
        service_names: list[str],
        callers: CallerPolicy,
        users: UserPolicy,
        errors: ErrorMapping | None = None,
        max_message_bytes: int = 4 * 1024 * 1024,
    ) -> None:
        """Serves gRPC until a termination signal or the death of a background loop."""
        serving = asyncio.create_task(
            serve(
                listen,
                register,
                service_names,
                IdentityFiles.from_settings(settings),
                callers,
                users,
                UserTokenVerifier.from_file(settings.user_token_public_key),
                health_listen=settings.health_listen,
                on_shutdown=self.close,
                metrics_port=settings.metrics_port,
                metrics_host=settings.metrics_host,
                errors=errors,
                max_message_bytes=max_message_bytes,
            ),
            name="grpc-server",
        )
        ended = await _first_to_end([serving, *self._loops])
        if self._closing:  # a signal's shutdown cancels the loops itself
            await serving
            return
        if ended is serving:
            if serving.cancelled() or serving.exception() is None:
                return
            # The server could not start (a port taken, bad identity files): the loops already
            # running must stop too, or the process would live on, answering nothing.
            await self.close()
            await serving  # re-raises the server's error
        self._report_death(ended)
        serving.cancel()
        await asyncio.gather(serving, return_exceptions=True)
        await self.close()
        raise SystemExit(1)

    async def run_until_stopped(self) -> None:
        """For processes without a server (workers): until a termination signal or a loop's death."""
        signal = asyncio.create_task(wait_for_termination_signal(), name="termination-signal")
        ended = await _first_to_end([signal, *self._loops])
        signal.cancel()
        await self.close()
        if ended is not signal:
            self._report_death(ended)
            raise SystemExit(1)

    @staticmethod
    def _report_death(task: asyncio.Task[object]) -> None:
        error = None if task.cancelled() else task.exception()
        log.critical("background loop ended; stopping", extra={"task": task.get_name(), "error": repr(error)})


async def open_runtime(
    *,
    database_url: str,
    schema: str,
    migrations: Path,
    nats_url: str,
    client_name: str,
    owned_streams: list[StreamSpec],
    stream_replicas: int = 1,
    pool_size: int = 10,
    drain_timeout_s: float = 10.0,
) -> Runtime:
    await asyncio.to_thread(db.migrate, database_url, schema, migrations)
    pool = await db.open_pool(database_url, schema, max_size=pool_size)
    nc = await connect(nats_url, client_name)
    js = nc.jetstream()
    await ensure_streams(js, [*owned_streams, DEAD_LETTERS], replicas=stream_replicas)
    return Runtime(pool, nc, js, drain_timeout_s=drain_timeout_s)
