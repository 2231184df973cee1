"""Billing latencies through real gRPC against the real billing service: GetAccount (the read
visibility and the gateway make on every plan check), ReserveCredits (the write on every
Submit) on many accounts and on one account (its row lock serialises them), and how fast
ImagesReady events are committed.

    .venv/bin/python -m bench.bench_billing [--calls 300] [--concurrency 1 8] [--history 10 10000]
                                            [--events 500]

Starts its own Postgres and NATS (tools.devstack, free ports, throwaway data dir) and the billing
service as a subprocess. `--history` seeds accounts with that many ledger rows (COPY) to show what
the balance (a SUM over the account's rows) costs as an account ages. Never fails on timing.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import time
import uuid

import nats
import psycopg

from atelier.billing.v1 import billing_pb2, billing_pb2_grpc
from atelier.generation.v1 import events_pb2 as generation_events
from bench.one_service import one_service
from bench.stats import run_concurrently, summary
from contracts import generation
from glue.events import ensure_streams, make_envelope
from tests.support.identity import routing_channel


def seed_history(database_url: str, user_id: str, rows: int) -> None:
    """An account with `rows` settled generations (reserve + commit pairs) and a large grant."""
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "INSERT INTO billing.accounts (user_id, plan, period_start, announced_plan, announced_status,"
            " created_at, updated_at) VALUES (%s, 'team', now(), 'team', 'active', now(), now())",
            (user_id,),
        )
        conn.execute(
            "INSERT INTO billing.ledger (user_id, kind, amount, grant_key) VALUES (%s, 'grant', %s, %s)",
            (user_id, 10**9, f"month:team:{time.strftime('%Y-%m', time.gmtime())}"),
        )
        with conn.cursor().copy("COPY billing.ledger (user_id, kind, amount, generation_id) FROM STDIN") as copy:
            for n in range(rows // 2):
                generation_id = f"{user_id}-old-{n}"
                copy.write_row((user_id, "reserve", -4, generation_id))
                copy.write_row((user_id, "commit", 0, generation_id))
        conn.execute("ANALYZE billing.ledger")


async def measure(
    address: str, nats_url: str, database_url: str, calls: int, levels: list[int], histories: list[int], events: int
) -> None:
    async with routing_channel("billing", address) as channel:
        stub = billing_pb2_grpc.BillingServiceStub(channel)
        for rows in histories:
            user = f"aged-{rows}"
            seed_history(database_url, user, rows)
            await stub.ChangePlan(billing_pb2.ChangePlanRequest(user_id=user, plan="team"))
            work = [user] * calls

            async def get(user_id: str) -> None:
                await stub.GetAccount(billing_pb2.GetAccountRequest(user_id=user_id))

            await run_concurrently(4, work[:50], get)  # warm-up
            for concurrency in levels:
                summary(
                    f"GetAccount, {rows} ledger rows, conc {concurrency}",
                    *await run_concurrently(concurrency, work, get),
                )

        for concurrency in levels:
            users = [f"user-{concurrency}-{n}" for n in range(concurrency)]
            for user in users:
                await stub.ChangePlan(billing_pb2.ChangePlanRequest(user_id=user, plan="team"))
            many = [(users[n % concurrency], str(uuid.uuid4())) for n in range(calls)]
            one = [(users[0], str(uuid.uuid4())) for _ in range(calls)]

            async def reserve(item) -> None:
                user_id, generation_id = item
                await stub.ReserveCredits(
                    billing_pb2.ReserveCreditsRequest(user_id=user_id, generation_id=generation_id, amount=4)
                )

            summary(
                f"ReserveCredits, {concurrency} accounts, conc {concurrency}",
                *await run_concurrently(concurrency, many, reserve),
            )
            if concurrency > 1:
                summary(
                    f"ReserveCredits, 1 account, conc {concurrency}", *await run_concurrently(concurrency, one, reserve)
                )

        # Commits: reservations made, then their ImagesReady published at once.
        await stub.ChangePlan(billing_pb2.ChangePlanRequest(user_id="committer", plan="team"))
        ids = [str(uuid.uuid4()) for _ in range(events)]
        for generation_id in ids:
            await stub.ReserveCredits(
                billing_pb2.ReserveCreditsRequest(user_id="committer", generation_id=generation_id, amount=4)
            )
        nc = await nats.connect(nats_url)
        js = nc.jetstream()
        await ensure_streams(js, [generation.STREAM_SPEC])  # as the generation service would
        started = time.perf_counter()
        for generation_id in ids:
            envelope = make_envelope(
                generation_events.ImagesReady(generation_id=generation_id, owner_id="committer"), {}
            )
            await js.publish(
                generation.IMAGES_READY,
                envelope.SerializeToString(),
                headers={"Nats-Msg-Id": envelope.event_id},
            )
        published = time.perf_counter() - started
        while True:
            info = await js.consumer_info(generation.STREAM, "billing-images-ready")
            if info.num_pending == 0 and info.num_ack_pending == 0:
                break
            await asyncio.sleep(0.05)
        wall = time.perf_counter() - started
        await nc.close()
        with psycopg.connect(database_url) as conn:
            [(commits,)] = conn.execute(
                "SELECT count(*) FROM billing.ledger WHERE kind = 'commit' AND user_id = 'committer'"
            ).fetchall()
        print(
            f"{events} ImagesReady (one account): published in {published:.2f} s, all committed after"
            f" {wall:.2f} s = {events / wall:.0f} commits/s ({commits} commit rows)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--history", type=int, nargs="+", default=[10, 10_000])
    parser.add_argument("--events", type=int, default=500)
    options = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with one_service("billing") as billing:
        asyncio.run(
            measure(
                billing.address,
                billing.nats_url,
                billing.database_url,
                options.calls,
                options.concurrency,
                options.history,
                options.events,
            )
        )


if __name__ == "__main__":
    main()
