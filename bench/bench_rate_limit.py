"""What one rate-limit check costs: TokenBuckets.take against a real Postgres (the one round trip
every limited request makes), on one hot key, on many keys, with 8 concurrent checks of one key
(the row lock serialises them), and a key already denied (answered from memory, no round trip);
and the login lockout's check. `SELECT 1` on the same pool is the reference: the round trip itself.

    .venv/bin/python -m bench.bench_rate_limit [--checks 2000]

Starts its own Postgres (tools.devstack, free port, throwaway data dir). Never fails on timing.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import shutil
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from bench.stats import Latencies
from glue.db import open_pool
from services.gateway.ratelimit.buckets import TokenBuckets
from services.gateway.ratelimit.lockout import LockoutPolicy, LoginLockout
from services.gateway.ratelimit.settings import parse_rate
from services.gateway.repository import SCHEMA, migrate_schema
from tests.support.services import fresh_database
from tools.devstack import PostgresServer, free_port

PLENTY = parse_rate("1000000/second")
ONE_PER_DAY = parse_rate("1/day")


async def timed(check: Callable[[int], Awaitable[object]], n: int, concurrency: int = 1) -> Latencies:
    seconds: list[float] = []
    counter = iter(range(n))

    async def worker() -> None:
        for i in counter:
            started = time.perf_counter()
            await check(i)
            seconds.append(time.perf_counter() - started)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return Latencies.of(seconds)


def show(name: str, figures: Latencies) -> None:
    print(
        f"{name:<44} n={figures.n:<5} p50={figures.p50 * 1000:7.3f} ms  p95={figures.p95 * 1000:7.3f} ms"
        f"  max={figures.max * 1000:7.2f} ms"
    )


async def measure(database_url: str, checks: int) -> None:
    pool = await open_pool(database_url, SCHEMA, min_size=8, max_size=8)
    try:
        buckets = TokenBuckets(pool)

        async def select_1(_: int) -> None:
            async with pool.connection() as conn:
                await conn.execute("SELECT 1")

        show("reference: SELECT 1 round trip", await timed(select_1, checks))
        await timed(lambda i: buckets.take("warm-up", PLENTY), 200)
        show("take: one key, sequential", await timed(lambda i: buckets.take("hot", PLENTY), checks))
        show("take: a new key each time (insert)", await timed(lambda i: buckets.take(f"k{i}", PLENTY), checks))
        show("take: 8 concurrent on one key", await timed(lambda i: buckets.take("hot8", PLENTY), checks, 8))
        show("take: 8 concurrent on 8 keys", await timed(lambda i: buckets.take(f"s{i % 8}", PLENTY), checks, 8))
        await buckets.take("denied", ONE_PER_DAY)
        show(
            "take: key already denied (from memory)", await timed(lambda i: buckets.take("denied", ONE_PER_DAY), checks)
        )
        lockout = LoginLockout(pool, LockoutPolicy(5, 20, 1.0, 300.0, 900.0))
        show("login lockout check", await timed(lambda i: lockout.locked_for_s(f"user{i % 50}", "192.0.2.1"), checks))
        show("login failure recorded", await timed(lambda i: lockout.failed(f"user{i % 50}", "192.0.2.1"), checks // 4))
    finally:
        await pool.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checks", type=int, default=2000)
    options = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    root = Path(tempfile.mkdtemp(prefix="atelier-bench-ratelimit-"))
    root.chmod(0o711)
    postgres = PostgresServer(root / "postgres", free_port(), durable=False)
    try:
        postgres.start()
        database_url = fresh_database(postgres.url)
        migrate_schema(database_url)
        asyncio.run(measure(database_url, options.checks))
    finally:
        postgres.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
