"""How fast a visibility change reaches the feed, on the whole platform (real servers).

    .venv/bin/python -m bench.bench_visibility_propagation [--images 20] [--rounds 40]

Starts Postgres, NATS JetStream, the S3 store and Triton (tools.devstack, free ports, throwaway
data) and every Atelier service as a real process; a Plus user generates N public images through
the gateway (1 image each, 2 steps) and waits until the feed lists them. Then, per round, one image
is made private with `PATCH /api/v1/images/{id}` and, from the moment the PATCH returned, timed:

- feed (as users see it): until `FeedService.ListFeed` (anonymous, newest first; every page is
  checked against the authority, P1) no longer lists the image;
- projection: until the feed's read model (`feed.images.listed`) no longer lists it — the
  VisibilityChanged event's trip through the outbox relay, JetStream and the feed's consumer;

and the same back to public (the time until it is listed again). Prints p50/p95/max in ms; never
fails on timing. Polls every 2 ms, so figures below that are "at once".
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from functools import partial
from pathlib import Path

import httpx
import psycopg

from atelier.billing.v1 import billing_pb2, billing_pb2_grpc
from atelier.feed.v1 import feed_pb2, feed_pb2_grpc
from tests.support.services import Infra, ServiceStack
from tools.devstack import NatsServer, ObjectStore, PostgresServer, TritonServer, free_port, free_ports

REPO_ROOT = Path(__file__).resolve().parents[1]
POLL_S = 0.002
TIMEOUT_S = 30.0


def _first_times(conditions: dict[str, Callable[[], bool]], timeout: float = TIMEOUT_S) -> dict[str, float]:
    """Seconds from now until each condition first holds (all polled in turn)."""
    started = time.perf_counter()
    times: dict[str, float] = {}
    while len(times) < len(conditions):
        for name, condition in conditions.items():
            if name not in times and condition():
                times[name] = time.perf_counter() - started
        if time.perf_counter() - started > timeout:
            raise TimeoutError(f"not reached: {sorted(set(conditions) - set(times))}")
        time.sleep(POLL_S)
    return times


def _wait(condition: Callable[[], bool], timeout: float = TIMEOUT_S) -> float:
    """Seconds until condition() holds (polled); raises after timeout."""
    started = time.perf_counter()
    while not condition():
        if time.perf_counter() - started > timeout:
            raise TimeoutError("condition not reached")
        time.sleep(POLL_S)
    return time.perf_counter() - started


def _percentiles(label: str, seconds: list[float]) -> str:
    ms = sorted(s * 1000 for s in seconds)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    return f"{label:<44} n={len(ms):<4} p50={statistics.median(ms):7.1f} ms  p95={p95:7.1f} ms  max={ms[-1]:7.1f} ms"


def run(images: int, rounds: int) -> None:
    root = Path(tempfile.mkdtemp(prefix="atelier-bench-propagation-"))
    root.chmod(0o711)
    servers = []
    stack = None
    try:
        postgres = PostgresServer(root / "postgres", free_port(), durable=False)
        nats_server = NatsServer(root / "nats", free_port())
        store = ObjectStore(root / "objectstore", free_port())
        http_port, grpc_port, metrics_port = free_ports(3)
        triton = TritonServer(
            REPO_ROOT / "model_repository", http_port, grpc_port, metrics_port, root / "triton", pipeline="procedural"
        )
        for server in (postgres, nats_server, store, triton):
            server.start()
            servers.append(server)
        stack = ServiceStack(Infra.on(postgres.url, nats_server.url, store, triton.grpc_url), root / "logs")
        stack.start_platform()
        http = httpx.Client(base_url=stack.gateway_url, timeout=30)
        deadline = time.monotonic() + 60
        while http.get("/readyz").status_code != 200:
            if time.monotonic() > deadline:
                raise SystemExit(f"platform not ready:\n{stack.logs()}")
            time.sleep(0.2)

        signup = httpx.post(
            f"{stack.gateway_url}/api/v1/auth/signup",
            json={"username": f"bench_{uuid.uuid4().hex[:8]}", "password": "correct horse 1"},
        )
        user_id, key = signup.json()["user_id"], signup.json()["api_key"]
        headers = {"Authorization": f"Bearer {key}"}
        with stack.sync_channel("billing") as channel:
            billing_pb2_grpc.BillingServiceStub(channel).ChangePlan(
                billing_pb2.ChangePlanRequest(user_id=user_id, plan="plus", actor="operator:bench"), timeout=10
            )

        image_ids: list[str] = []
        for n in range(images):
            reply = http.post(
                "/api/v1/generations",
                headers=headers,
                json={
                    "prompt": f"a red circle on a blue background {n}",
                    "num_images": 1,
                    "steps": 2,
                    "visibility": "public",
                },
            )
            generation_id = reply.json()["generation_id"]
            _wait(
                lambda: (
                    http.get(f"/api/v1/generations/{generation_id}", headers=headers).json()["status"]
                    in ("succeeded", "failed")
                ),
                timeout=120,
            )
            image_ids += [
                i["image_id"]
                for i in http.get(f"/api/v1/generations/{generation_id}", headers=headers).json()["images"]
            ]

        feed_channel = stack.sync_channel("feed")
        feed = feed_pb2_grpc.FeedServiceStub(feed_channel)
        feed_db = psycopg.connect(stack.infra.database_url, autocommit=True)

        def in_feed(image_id: str) -> bool:
            page = feed.ListFeed(
                feed_pb2.ListFeedRequest(viewer_id="", sort=feed_pb2.FEED_SORT_NEW, page_size=100), timeout=10
            )
            return any(item.image_id == image_id for item in page.items)

        def projected(image_id: str) -> bool:
            row = feed_db.execute("SELECT listed FROM feed.images WHERE image_id = %s", (image_id,)).fetchone()
            return bool(row and row[0])

        def listed_everywhere(image_id: str) -> bool:
            return in_feed(image_id) and projected(image_id)

        for image_id in image_ids:
            _wait(partial(listed_everywhere, image_id), timeout=60)

        hide_feed, hide_projection, show_feed, show_projection = [], [], [], []
        for n in range(rounds):
            image_id = image_ids[n % len(image_ids)]
            patched = http.patch(f"/api/v1/images/{image_id}", headers=headers, json={"visibility": "private"})
            assert patched.status_code == 200, patched.text
            hidden = _first_times(
                {"feed": lambda: not in_feed(image_id), "projection": lambda: not projected(image_id)}
            )
            hide_feed.append(hidden["feed"])
            hide_projection.append(hidden["projection"])
            patched = http.patch(f"/api/v1/images/{image_id}", headers=headers, json={"visibility": "public"})
            assert patched.status_code == 200, patched.text
            shown = _first_times({"feed": lambda: in_feed(image_id), "projection": lambda: projected(image_id)})
            show_feed.append(shown["feed"])
            show_projection.append(shown["projection"])
        feed_db.close()
        feed_channel.close()
        http.close()

        print(f"visibility propagation, {rounds} rounds over {len(image_ids)} images (2 CPU cores, loopback)")
        print(_percentiles("made private → gone from ListFeed (checked)", hide_feed))
        print(_percentiles("made private → gone from the projection", hide_projection))
        print(_percentiles("made public → listed in the projection", show_projection))
        print(_percentiles("made public → listed by ListFeed", show_feed))
    finally:
        if stack is not None:
            stack.stop_all()
        for server in reversed(servers):
            server.stop()
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()
    run(args.images, args.rounds)


if __name__ == "__main__":
    main()
