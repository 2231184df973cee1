"""Completion webhooks on the whole platform (real servers): how long from a generation's completion
to the owner's endpoint receiving it, and how deliveries behave against failing endpoints.

    .venv/bin/python -m bench.bench_webhooks [--generations 20] [--retry-rounds 3]

Starts the local stack as `./atelierctl up` does (tools.devstack.Stack: Postgres, NATS JetStream,
the S3 store, Triton with the procedural pipeline and every service, the webhooks service with the
development settings that allow receivers on 127.0.0.1; free ports, throwaway data), with retry
base 1 s and 5 attempts so that retries fit a run, and a webhook receiver on 127.0.0.1
(tests/support/webhook_receiver.py).

Latency: one user generates N images one after another (1 image, 2 steps) through the gateway;
for each `generation.completed` delivery, completion → receipt is the receiver's clock at arrival
minus the event's `created_at` (when the generation service committed the images and the
ImagesReady outbox row: the generation's completion), on the same machine. The path it measures:
outbox relay → JetStream → the webhooks consumer (a delivery row) → the dispatcher → HTTP POST.

Retries: per round, a second user's generation is delivered to two endpoints at once: one answers
500 three times and then 200 (`flaky`), one always answers 500 (`down`). Printed: the gaps between
attempts (expected 1, 2, 4, 8 s plus up to 25 % jitter plus the dispatcher's 1 s poll), time to
`delivered` and to `failed`, and what the delivery log says. Never fails on timing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

import httpx

from bench.stats import percentile
from tests.support.webhook_receiver import Receiver, webhook_receiver
from tools.devstack.config import Ports
from tools.devstack.stack import Stack

RETRY_BASE_S = 1.0
MAX_ATTEMPTS = 5


def _wait(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while not (answer := condition()):
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.01)
    return answer


def _created_at(body: dict) -> float:
    return datetime.fromisoformat(body["created_at"].replace("Z", "+00:00")).timestamp()


def _ms(values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return (
        f"n={len(ms)} p50={statistics.median(ms):.1f} ms p95={percentile(ms, 95):.1f} ms "
        f"min={min(ms):.1f} ms max={max(ms):.1f} ms"
    )


class Client:
    def __init__(self, base_url: str):
        self.base_url = base_url
        self.http = httpx.Client(base_url=base_url, timeout=30)

    def sign_up(self) -> dict[str, str]:
        reply = httpx.post(
            f"{self.base_url}/api/v1/auth/signup",
            json={"username": f"bench_{uuid.uuid4().hex[:8]}", "password": "correct horse 1"},
        )
        reply.raise_for_status()
        return {"Authorization": f"Bearer {reply.json()['api_key']}"}

    def register(self, headers: dict[str, str], url: str) -> str:
        reply = self.http.post("/api/v1/webhooks", json={"url": url}, headers=headers)
        reply.raise_for_status()
        return reply.json()["id"]

    def generate(self, headers: dict[str, str], n: int) -> str:
        reply = self.http.post(
            "/api/v1/generations",
            headers=headers,
            json={"prompt": f"a red circle on a blue background {n}", "num_images": 1, "steps": 2},
        )
        reply.raise_for_status()
        generation_id = reply.json()["generation_id"]
        _wait(
            lambda: (
                self.http.get(f"/api/v1/generations/{generation_id}", headers=headers).json()["status"]
                in ("succeeded", "failed")
            ),
            120,
            f"generation {generation_id}",
        )
        return generation_id

    def log(self, headers: dict[str, str], endpoint_id: str) -> list[dict]:
        reply = self.http.get(f"/api/v1/webhooks/{endpoint_id}/deliveries", headers=headers)
        reply.raise_for_status()
        return reply.json()["items"]


def latency(client: Client, receiver: Receiver, generations: int) -> None:
    headers = client.sign_up()
    client.register(headers, receiver.url("/latency"))
    client.generate(headers, -1)  # warm-up: the first generation after start pays for connections
    _wait(lambda: len(receiver.on("/latency")) == 1, 30, "warm-up delivery")
    latencies = []
    for n in range(generations):
        generation_id = client.generate(headers, n)
        received = _wait(
            lambda: next(
                (r for r in receiver.on("/latency") if r.json["data"]["generation_id"] == generation_id), None
            ),
            30,
            f"delivery of {generation_id}",
        )
        latencies.append(received.at - _created_at(received.json))
    print(f"completion → receipt ({generations} generations, one at a time): {_ms(latencies)}")


def retries(client: Client, receiver: Receiver, rounds: int) -> None:
    headers = client.sign_up()
    flaky = client.register(headers, receiver.url("/flaky"))
    down = client.register(headers, receiver.url("/down"))
    gaps: dict[int, list[float]] = {}
    to_delivered, to_failed = [], []
    for n in range(rounds):
        receiver.answer("/flaky", 500, 500, 500)
        receiver.answer("/down", *([500] * 20))
        before_flaky, before_down = len(receiver.on("/flaky")), len(receiver.on("/down"))
        client.generate(headers, n)
        logs = _wait(
            lambda: (
                (f := client.log(headers, flaky))
                and f[0]["status"] != "pending"
                and len(f) == n + 1
                and (d := client.log(headers, down))
                and d[0]["status"] != "pending"
                and len(d) == n + 1
                and (f[0], d[0])
            ),
            120,
            "both deliveries settled",
        )
        flaky_entry, down_entry = logs
        arrivals = [r.at for r in receiver.on("/flaky")[before_flaky:]]
        for i, (earlier, later) in enumerate(zip(arrivals, arrivals[1:]), start=1):
            gaps.setdefault(i, []).append(later - earlier)
        created = _created_at(receiver.on("/flaky")[before_flaky].json)
        to_delivered.append(arrivals[-1] - created)
        down_arrivals = [r.at for r in receiver.on("/down")[before_down:]]
        to_failed.append(down_arrivals[-1] - created)
        print(
            f"round {n + 1}: flaky {flaky_entry['status']} after {len(flaky_entry['attempts'])} attempts "
            f"{[a['response_status'] for a in flaky_entry['attempts']]}; down {down_entry['status']} after "
            f"{len(down_entry['attempts'])} attempts, {len(down_arrivals)} requests received"
        )
    for attempt, values in sorted(gaps.items()):
        expected = RETRY_BASE_S * 2 ** (attempt - 1)
        print(
            f"gap after failed attempt {attempt} (back-off {expected:.0f} s, +≤25 % jitter): "
            f"{', '.join(f'{v:.2f}' for v in values)} s"
        )
    print(f"completion → delivered on the 4th attempt: {', '.join(f'{v:.2f}' for v in to_delivered)} s")
    print(f"completion → last of {MAX_ATTEMPTS} attempts, then failed: {', '.join(f'{v:.2f}' for v in to_failed)} s")


def run(generations: int, retry_rounds: int) -> None:
    # The local stack as `./atelierctl up` runs it (its webhooks service allows receivers on
    # 127.0.0.1), with short retries and the procedural pipeline: the figures are about delivery.
    os.environ.update(
        {
            "ATELIER_WEBHOOK_RETRY_BASE_S": str(RETRY_BASE_S),
            "ATELIER_WEBHOOK_MAX_ATTEMPTS": str(MAX_ATTEMPTS),
            "ATELIER_TXT2IMG_PIPELINE": "procedural",
        }
    )
    with tempfile.TemporaryDirectory(prefix="atelier-bench-webhooks-") as data:
        Path(data).chmod(0o711)
        stack = Stack(Path(data), Ports.free())
        stack.up()
        try:
            client = Client(stack.gateway_url)
            with webhook_receiver() as receiver:
                print("completion webhooks (2 CPU cores, loopback, procedural pipeline)")
                latency(client, receiver, generations)
                retries(client, receiver, retry_rounds)
            client.http.close()
        finally:
            stack.down()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generations", type=int, default=20)
    parser.add_argument("--retry-rounds", type=int, default=3)
    args = parser.parse_args()
    run(args.generations, args.retry_rounds)


if __name__ == "__main__":
    main()
