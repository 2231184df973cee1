"""Authorize for batches of 50 images at 100k images: through real gRPC against the real
visibility service, and the same query made directly in SQL from this process as the baseline.

    .venv/bin/python -m bench.bench_visibility_authorize [--rows 100000] [--calls 1000] [--batch 50]
                                                          [--concurrency 1 8]

Starts its own Postgres and NATS (tools.devstack, free ports, throwaway data dir) and the
visibility service as a subprocess, seeds the rows with COPY (mixed owners, ~30 % private,
~2 % deleted), then asks batches in which ~10 % of the ids are unknown, as a random owner or
anonymously. Prints p50/p95 per call and the overhead ratio gRPC/SQL. Never fails on timing.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import re
import time
import uuid

import httpx
import psycopg

from atelier.visibility.v1 import visibility_pb2, visibility_pb2_grpc
from bench.one_service import one_service
from bench.stats import run_concurrently, summary
from tests.support.identity import routing_channel
from tools.devstack import free_port

OWNERS = 1000
# The statement the service runs for one Authorize (services/visibility/repository.get_images).
QUERY = (
    "SELECT image_id, owner_id, visibility, version, deleted, made_with_privacy_entitlement"
    " FROM images WHERE image_id = ANY(%s)"
)


def seed(database_url: str, rows: int, rng: random.Random) -> list[str]:
    ids = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(rows)]
    started = time.perf_counter()
    with psycopg.connect(database_url) as conn:
        with conn.cursor().copy(
            "COPY visibility.images (image_id, owner_id, generation_id, visibility, version, deleted,"
            " made_with_privacy_entitlement) FROM STDIN"
        ) as copy:
            for n, image_id in enumerate(ids):
                owner = f"user-{rng.randrange(OWNERS)}"
                private = rng.random() < 0.3
                copy.write_row(
                    (
                        image_id,
                        owner,
                        str(uuid.UUID(int=n // 4 + 1)),
                        "private" if private else "public",
                        rng.randint(1, 5),
                        rng.random() < 0.02,
                        private or rng.random() < 0.5,
                    )
                )
        conn.execute("ANALYZE visibility.images")
        conn.commit()
        [(count,)] = conn.execute("SELECT count(*) FROM visibility.images").fetchall()
        plan = conn.execute("EXPLAIN " + QUERY.replace("FROM images", "FROM visibility.images"), (ids[:50],)).fetchall()
    print(f"seeded {count} rows with COPY in {time.perf_counter() - started:.1f} s")
    print("query plan: " + " / ".join(re.sub(r"'\{[^}]*\}'", "'{...50 ids}'", line[0].strip()) for line in plan))
    return ids


def batches(ids: list[str], calls: int, size: int, rng: random.Random) -> list[tuple[str, list[str]]]:
    out = []
    for _ in range(calls):
        known = rng.sample(ids, size - size // 10)
        unknown = [str(uuid.uuid4()) for _ in range(size // 10)]
        batch = known + unknown
        rng.shuffle(batch)
        viewer = "" if rng.random() < 0.1 else f"user-{rng.randrange(OWNERS)}"
        out.append((viewer, batch))
    return out


def handler_seconds(metrics_url: str) -> tuple[float, float]:
    """(sum, count) of the service's own atelier_visibility_authorize_seconds histogram."""
    text = httpx.get(metrics_url, timeout=10).text
    values = {}
    for line in text.splitlines():
        if line.startswith(("atelier_visibility_authorize_seconds_sum", "atelier_visibility_authorize_seconds_count")):
            name, value = line.split()
            values[name.rsplit("_", 1)[1]] = float(value)
    return values.get("sum", 0.0), values.get("count", 0.0)


async def measure(address: str, database_url: str, metrics_url: str, work: list, levels: list[int]) -> None:
    async with routing_channel("visibility", address) as channel:
        stub = visibility_pb2_grpc.VisibilityServiceStub(channel)
        connections = [await psycopg.AsyncConnection.connect(database_url, autocommit=True) for _ in range(max(levels))]
        for conn in connections:
            await conn.execute("SET search_path TO visibility")
        free = list(connections)
        allowed_total = 0

        async def via_grpc(item) -> None:
            nonlocal allowed_total
            viewer, batch = item
            reply = await stub.Authorize(visibility_pb2.AuthorizeRequest(viewer_id=viewer, image_ids=batch))
            allowed_total += len(reply.allowed_image_ids)

        async def via_sql(item) -> None:
            _viewer, batch = item
            conn = free.pop()
            try:
                await (await conn.execute(QUERY, ([uuid.UUID(i) for i in batch],))).fetchall()
            finally:
                free.append(conn)

        # Warm-up: connections, prepared statements (psycopg prepares after 5 runs), caches.
        await run_concurrently(4, work[:100], via_grpc)
        await run_concurrently(4, work[:100], via_sql)
        allowed_total = 0
        for concurrency in levels:
            print(f"\n-- Authorize, {len(work)} calls of {len(work[0][1])} ids, concurrency {concurrency}")
            sql, sql_wall = await run_concurrently(concurrency, work, via_sql)
            before = handler_seconds(metrics_url)
            rpc, rpc_wall = await run_concurrently(concurrency, work, via_grpc)
            after = handler_seconds(metrics_url)
            s = summary("direct SQL (same query, psycopg)", sql, sql_wall, width=34)
            g = summary("gRPC Authorize (real service)", rpc, rpc_wall, width=34)
            inside = (after[0] - before[0]) / max(1.0, after[1] - before[1])
            print(
                f"overhead ratio gRPC/SQL: p50 {g['p50'] / s['p50']:.1f}x, p95 {g['p95'] / s['p95']:.1f}x;"
                f" mean time inside the service's handler {inside * 1000:.2f} ms"
            )
        ids_asked = len(work) * len(work[0][1]) * len(levels)
        print(f"\nallowed {allowed_total} of {ids_asked} ids asked ({allowed_total / ids_asked:.0%})")
        for conn in connections:
            await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8])
    options = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    rng = random.Random(20261123)
    metrics_port = free_port()
    settings = {"ATELIER_BILLING_ADDR": f"127.0.0.1:{free_port()}", "ATELIER_METRICS_PORT": str(metrics_port)}
    with one_service("visibility", settings) as visibility:
        ids = seed(visibility.database_url, options.rows, rng)
        work = batches(ids, options.calls, options.batch, rng)
        asyncio.run(
            measure(
                visibility.address,
                visibility.database_url,
                f"http://127.0.0.1:{metrics_port}/metrics",
                work,
                options.concurrency,
            )
        )


if __name__ == "__main__":
    main()
