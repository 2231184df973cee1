"""Waiting on a condition instead of sleeping a fixed time: as fast as the system allows when it is
quick, and still right when a busy machine makes it slow."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import nats
import nats.js.errors
import psycopg

T = TypeVar("T")


def wait_until(predicate: Callable[[], T], what: str, timeout: float = 30.0, interval: float = 0.1) -> T:
    """The predicate's first truthy answer; AssertionError naming `what` once `timeout` has passed."""
    deadline = time.monotonic() + timeout
    while not (answer := predicate()):
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(interval)
    return answer


async def eventually(
    predicate: Callable[[], Awaitable[T] | T], what: str, timeout: float = 30.0, interval: float = 0.1
) -> T:
    """wait_until inside a running event loop: the predicate may answer at once or with an awaitable."""
    deadline = time.monotonic() + timeout

    async def ask():
        answer = predicate()
        return await answer if inspect.isawaitable(answer) else answer

    while not (answer := await ask()):
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s")
        await asyncio.sleep(interval)
    return answer


async def consumers_caught_up(nats_url: str, stream: str, *durables: str, timeout: float = 30.0) -> None:
    """Until each durable consumer exists and has handled (acked) everything in the stream."""
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()

        async def idle() -> bool:
            for durable in durables:
                try:
                    info = await js.consumer_info(stream, durable)
                except nats.js.errors.NotFoundError:
                    return False
                if info.num_pending or info.num_ack_pending:
                    return False
            return True

        await eventually(idle, f"{durables} catching up on {stream}", timeout)
    finally:
        await nc.close()


async def streams_exist(nats_url: str, *streams: str, timeout: float = 30.0) -> None:
    """Until every stream has been provisioned (by the service that owns it)."""
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()

        async def provisioned() -> bool:
            try:
                for stream in streams:
                    await js.stream_info(stream)
            except nats.js.errors.NotFoundError:
                return False
            return True

        await eventually(provisioned, f"streams {streams}", timeout)
    finally:
        await nc.close()


def outbox_published(database_url: str, schema: str) -> bool:
    """True once the relay has published every event the service committed to its outbox."""
    with psycopg.connect(database_url) as conn:
        (unpublished,) = conn.execute(f"SELECT count(*) FROM {schema}.outbox WHERE published_at IS NULL").fetchone()
    return unpublished == 0
