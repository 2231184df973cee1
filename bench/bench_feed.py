"""Feed page latency (newest, top, search) and projection catch-up rate, on real servers.

    .venv/bin/python -m bench.bench_feed [--images 100000] [--likes 100000] [--events 20000] [--requests 200]

Starts its own Postgres and NATS (tools.devstack, free ports, throwaway data dir), seeds the feed's
read model with N public images by COPY (prompts from a small vocabulary of colours, shapes and
backgrounds, ~1000 owners, created over 60 days; likes over 30 days), and runs the feed service as a
real process. Every page goes through real gRPC and is checked against a visibility authority: a
fake VisibilityService in a separate process that allows every public id except 2% (so pages
over-fetch as they would with a slightly stale projection); it holds no database, so the figures
are the feed's own cost plus one Authorize round trip per fetch.

Catch-up: N events (ImagesReady with 4 images, VisibilityChanged, ImageDeleted; 50/40/10) are
published while the feed is stopped; the feed then starts and the rate is N over the time until
its three durable consumers have acked everything. Replay: `python -m services.feed rebuild` over
the same streams (it drops the COPY-seeded rows, which no event describes, so it runs last).

Prints figures; never fails on timing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import grpc
import nats
import psycopg
from google.protobuf.message import Message

from atelier.common.v1 import visibility_pb2 as common_pb2
from atelier.feed.v1 import feed_pb2 as pb
from atelier.feed.v1 import feed_pb2_grpc
from atelier.generation.v1 import events_pb2 as generation_events
from atelier.visibility.v1 import events_pb2 as visibility_events
from atelier.visibility.v1 import visibility_pb2, visibility_pb2_grpc
from bench.stats import percentile
from contracts import generation, visibility
from glue import db
from glue.events import ensure_streams, make_envelope
from tests.support.identity import add_port_as, routing_channel
from tools.devstack import NatsServer, PostgresServer, free_port
from tools.devstack.pki import Pki, ensure_pki
from tools.devstack.process import port_is_open
from tools.devstack.secrets import generate_secret

REPO_ROOT = Path(__file__).resolve().parents[1]
COLOURS = ["red", "blue", "green", "yellow", "purple", "orange", "black", "white", "pink", "brown", "grey", "teal"]
SHAPES = ["circle", "square", "triangle", "star", "hexagon", "heart", "cross", "ring", "diamond", "moon"]
STYLES = [
    "watercolour",
    "pixel art",
    "oil painting",
    "flat vector",
    "pencil sketch",
    "neon",
    "3d render",
    "studio photo",
    "ukiyo-e",
    "low poly",
]
RARE_WORD = "zeppelin"  # in 0.1% of prompts
DURABLES = [
    ("GENERATION", "feed-images-ready"),
    ("GENERATION", "feed-image-deleted"),
    ("VISIBILITY", "feed-visibility-changed"),
]


def report(name: str, latencies: list[float], items: list[int]) -> None:
    print(
        f"  {name:<34} n={len(latencies):<4} p50={percentile(latencies, 50) * 1000:7.1f} ms"
        f"  p95={percentile(latencies, 95) * 1000:7.1f} ms  p99={percentile(latencies, 99) * 1000:7.1f} ms"
        f"  items/page={sum(items) / max(1, len(items)):.1f}",
        flush=True,
    )


# ---------------------------------------------------------------- the fake authority (own process)


class AllowPublic(visibility_pb2_grpc.VisibilityServiceServicer):
    """Every id is allowed except those starting with ff, 00, a5, 5a or c3: a deterministic ~2%
    denied, derived from the id itself, no state."""

    async def Authorize(self, request, context):
        return visibility_pb2.AuthorizeResponse(
            allowed_image_ids=[i for i in request.image_ids if not i.startswith(("ff", "00", "a5", "5a", "c3"))]
        )


async def serve_authority(port: int, pki: Pki) -> None:
    server = grpc.aio.server()
    visibility_pb2_grpc.add_VisibilityServiceServicer_to_server(AllowPublic(), server)
    add_port_as(server, f"127.0.0.1:{port}", "visibility", pki)
    await server.start()
    await server.wait_for_termination()


# ---------------------------------------------------------------- seeding


def prompt(rng: random.Random) -> str:
    text = f"a {rng.choice(COLOURS)} {rng.choice(SHAPES)} on a {rng.choice(COLOURS)} background, {rng.choice(STYLES)}"
    return text + f" with a {RARE_WORD}" if rng.random() < 0.001 else text


def seed(database_url: str, images: int, likes: int, rng: random.Random) -> list[uuid.UUID]:
    now = datetime.now(UTC)
    ids = [uuid.UUID(int=rng.getrandbits(128), version=4) for _ in range(images)]
    started = time.perf_counter()
    with psycopg.connect(database_url) as conn:
        with conn.cursor().copy(
            "COPY feed.images (image_id, owner_id, prompt, width, height, created_at, visibility, version,"
            " deleted, known) FROM STDIN"
        ) as copy:
            for image_id in ids:
                copy.write_row(
                    (
                        image_id,
                        f"user-{rng.randrange(1000)}",
                        prompt(rng),
                        512,
                        512,
                        now - timedelta(seconds=rng.uniform(0, 60 * 86400)),
                        "public",
                        1,
                        False,
                        True,
                    )
                )
        # Likes: a few popular images, a long tail, spread over 30 days (top's default window is 7).
        popular = ids[: max(1, images // 10)]
        pairs: set[tuple[uuid.UUID, str]] = set()
        while len(pairs) < likes:
            pairs.add((rng.choice(popular) if rng.random() < 0.7 else rng.choice(ids), f"user-{rng.randrange(20000)}"))
        with conn.cursor().copy("COPY feed.likes (image_id, user_id, created_at) FROM STDIN") as copy:
            for image_id, user in pairs:
                copy.write_row((image_id, user, now - timedelta(seconds=rng.uniform(0, 30 * 86400))))
        conn.execute(
            "UPDATE feed.images i SET like_count = c.n FROM (SELECT image_id, count(*) n FROM feed.likes"
            " GROUP BY image_id) c WHERE i.image_id = c.image_id"
        )
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE feed.images")
        conn.execute("VACUUM ANALYZE feed.likes")
    print(
        f"seeded {images} public images and {likes} likes by COPY in {time.perf_counter() - started:.1f} s", flush=True
    )
    return ids


# ---------------------------------------------------------------- events


def events(n: int, rng: random.Random) -> list[tuple[str, bytes]]:
    out: list[tuple[str, bytes]] = []
    known: list[str] = []
    for _ in range(n):
        roll = rng.random()
        if roll < 0.5 or not known:
            ids = [str(uuid.uuid4()) for _ in range(4)]
            known += ids
            event: Message = generation_events.ImagesReady(
                generation_id=str(uuid.uuid4()),
                owner_id=f"user-{rng.randrange(1000)}",
                prompt=prompt(rng),
                visibility=common_pb2.VISIBILITY_PUBLIC,
                visibility_version=1,
                images=[generation_events.ReadyImage(image_id=i, width=512, height=512) for i in ids],
            )
            out.append(("atelier.generation.images_ready", make_envelope(event, {}).SerializeToString()))
        elif roll < 0.9:
            event = visibility_events.VisibilityChanged(
                image_id=rng.choice(known),
                owner_id="x",
                version=rng.randint(2, 9),
                visibility=rng.choice([common_pb2.VISIBILITY_PUBLIC, common_pb2.VISIBILITY_PRIVATE]),
            )
            out.append(("atelier.visibility.changed", make_envelope(event, {}).SerializeToString()))
        else:
            event = generation_events.ImageDeleted(owner_id="x", image_ids=[rng.choice(known)])
            out.append(("atelier.generation.image_deleted", make_envelope(event, {}).SerializeToString()))
    return out


async def publish_all(nats_url: str, wires: list[tuple[str, bytes]]) -> None:
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    # As the generation and visibility services would: the feed only reads their streams.
    await ensure_streams(js, [generation.STREAM_SPEC, visibility.STREAM_SPEC])
    started = time.perf_counter()
    for start in range(0, len(wires), 500):
        await asyncio.gather(*(js.publish(s, d) for s, d in wires[start : start + 500]))
    print(f"published {len(wires)} events in {time.perf_counter() - started:.1f} s", flush=True)
    await nc.close()


async def wait_caught_up(nats_url: str, total: int) -> float:
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    started = time.perf_counter()
    last_print = started
    while True:
        try:
            infos = [await js.consumer_info(s, d) for s, d in DURABLES]
            pending = sum(i.num_pending + i.num_ack_pending for i in infos)
            if pending == 0:
                break
            if time.perf_counter() - last_print > 10:
                print(f"    ... {total - pending} of {total} handled", flush=True)
                last_print = time.perf_counter()
        except nats.js.errors.NotFoundError:
            pass
        await asyncio.sleep(0.05)
    await nc.close()
    return time.perf_counter() - started


# ---------------------------------------------------------------- latency


async def timed(call: Callable[[Message], Awaitable[Any]], request: Message) -> tuple[float, Any]:
    started = time.perf_counter()
    reply = await call(request)
    return time.perf_counter() - started, reply


async def latency(feed_addr: str, requests: int, page_size: int, pki: Pki) -> None:
    async with routing_channel("feed", feed_addr, pki) as channel:
        feed = feed_pb2_grpc.FeedServiceStub(channel)
        await feed.ListFeed(pb.ListFeedRequest())  # warm the connection and the server's caches
        print(f"ListFeed, page_size={page_size}, sequential requests:", flush=True)
        scenarios: list[tuple[str, dict[str, Any]]] = [
            ("newest, first page", dict(sort=pb.FEED_SORT_NEW)),
            ("top 7 days, first page", dict(sort=pb.FEED_SORT_TOP)),
            ("search 'circle' (~10%)", dict(query="circle")),
            ("search 'red star' (~0.8%)", dict(query="red star")),
            (f"search '{RARE_WORD}' (~0.1%)", dict(query=RARE_WORD)),
            ("top 7 days + search 'circle'", dict(sort=pb.FEED_SORT_TOP, query="circle")),
            ("top 48 h (not precomputed: live)", dict(sort=pb.FEED_SORT_TOP, window_hours=48)),
        ]
        for name, params in scenarios:
            times, items = [], []
            for _ in range(requests):
                elapsed, reply = await timed(feed.ListFeed, pb.ListFeedRequest(page_size=page_size, **params))
                times.append(elapsed)
                items.append(len(reply.items))
            report(name, times, items)
        deep_walks: list[tuple[str, dict[str, Any]]] = [
            ("newest, walking 50 pages deep", dict(sort=pb.FEED_SORT_NEW)),
            ("top 7 days, walking 50 pages deep", dict(sort=pb.FEED_SORT_TOP)),
        ]
        for name, params in deep_walks:
            times, items, cursor = [], [], ""
            for _ in range(min(requests, 50)):
                elapsed, reply = await timed(
                    feed.ListFeed, pb.ListFeedRequest(page_size=page_size, cursor=cursor, **params)
                )
                times.append(elapsed)
                items.append(len(reply.items))
                cursor = reply.next_cursor
            report(name, times, items)
        times, items = [], []
        for n in range(requests):
            elapsed, reply = await timed(
                feed.GetProfile, pb.GetProfileRequest(owner_id=f"user-{n % 1000}", page_size=page_size)
            )
            times.append(elapsed)
            items.append(len(reply.images))
        report("profile (1 of 1000 owners)", times, items)


# ---------------------------------------------------------------- main


def start_feed(env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "services.feed"], cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )


def wait_port(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 120
    while not port_is_open(port):
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"feed did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.05)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=100_000)
    parser.add_argument("--likes", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--page-size", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=64, help="events each consumer handles at once")
    parser.add_argument("--no-rebuild", action="store_true")
    parser.add_argument("--authority-port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--pki", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.authority_port:
        asyncio.run(serve_authority(args.authority_port, Pki(Path(args.pki))))
        return

    rng = random.Random(1)
    root = Path(tempfile.mkdtemp(prefix="atelier-bench-feed-"))
    root.chmod(0o711)
    postgres = PostgresServer(root / "postgres", free_port(), durable=False)
    nats_server = NatsServer(root / "nats", free_port())
    processes: list[subprocess.Popen] = []
    try:
        postgres.start()
        nats_server.start()
        database_url = postgres.url
        from services.feed.wiring import MIGRATIONS

        db.migrate(database_url, "feed", MIGRATIONS)
        seed(database_url, args.images, args.likes, rng)

        authority_port, feed_port = free_port(), free_port()
        pki = ensure_pki(root / "pki")
        processes.append(
            subprocess.Popen(
                [sys.executable, "-m", "bench.bench_feed", "--authority-port", str(authority_port)]
                + ["--pki", str(pki.root)],
                cwd=REPO_ROOT,
            )
        )
        env = {
            **os.environ,
            "ATELIER_DATABASE_URL": database_url,
            "ATELIER_NATS_URL": nats_server.url,
            "ATELIER_GRPC_LISTEN": f"127.0.0.1:{feed_port}",
            "ATELIER_VISIBILITY_ADDR": f"127.0.0.1:{authority_port}",
            "ATELIER_LOG_LEVEL": "WARNING",
            "ATELIER_CONSUMER_CONCURRENCY": str(args.concurrency),
            "ATELIER_CURSOR_SECRET": generate_secret(),
            **pki.env("feed"),
        }

        wires = events(args.events, rng)
        asyncio.run(publish_all(nats_server.url, wires))
        log = root / "feed.log"
        feed = start_feed(env, log)
        processes.append(feed)
        wait_port(feed_port, feed, log)
        seconds = asyncio.run(wait_caught_up(nats_server.url, len(wires)))
        print(
            f"projection catch-up: {len(wires)} events in {seconds:.1f} s = {len(wires) / seconds:,.0f} events/s"
            f" (consumer concurrency {args.concurrency}; 3 consumers, 1 process)",
            flush=True,
        )

        asyncio.run(latency(f"127.0.0.1:{feed_port}", args.requests, args.page_size, pki))

        if not args.no_rebuild:
            started = time.perf_counter()
            result = subprocess.run(
                [sys.executable, "-m", "services.feed", "rebuild"],
                cwd=REPO_ROOT,
                env=env,
                capture_output=True,
                text=True,
            )
            seconds = time.perf_counter() - started
            if result.returncode != 0:
                print(f"rebuild failed:\n{result.stderr[-2000:]}")
            else:
                print(
                    f"rebuild (replay {len(wires)} events + swap, whole command): {seconds:.1f} s ="
                    f" {len(wires) / seconds:,.0f} events/s",
                    flush=True,
                )
    finally:
        for process in reversed(processes):
            stop(process)
        nats_server.stop()
        postgres.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
