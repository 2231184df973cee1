"""How much one abusive anonymous client slows everyone's generations, with rate limits off and on.

    .venv/bin/python -m bench.bench_abuse [--rounds 4] [--per-round 3] [--limits off on]
                                        [--images 4] [--pipeline procedural]

For each setting it starts its own platform (tools.devstack, free ports, throwaway data dir; the
gateway with `ATELIER_RATE_LIMITS_ENABLED` false or true and the default limits), then measures one
signed-in user's generations one after another (POST to the `completed` event, as a browser waits
for it): alone; while one anonymous client loops `GET /api/v1/feed` as fast as it can; while one
anonymous client loops failed log-ins; in rounds of the three. Each looping client is a process of its own that ignores
Retry-After, as an abuser would: a plain sequential httpx loop on one keep-alive connection. Prints
p50/p95, the slowdown ratio against alone (target with limits on: ≤ 1.20), what the looping client
got, the CPU the client itself used (on a small host it competes with the model too) and the
gateway's CPU meanwhile. Never fails on timing.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import logging
import multiprocessing
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psutil

from atelier.billing.v1 import billing_pb2, billing_pb2_grpc
from bench.bench_generation_e2e import fresh_ports, platform_call
from bench.stats import Latencies
from tests.support.identity import routing_channel
from tools.devstack.stack import Stack
from tools.devstack.state import StackState


def feed_reads(client: httpx.Client) -> int:
    return client.get("/api/v1/feed").status_code


def failed_log_ins(client: httpx.Client) -> int:
    return client.post("/api/v1/auth/login", json={"username": "victim", "password": "not the password"}).status_code


LOOPS = {"feed reads": feed_reads, "failed log-ins": failed_log_ins}


def loop_until_stopped(base_url: str, what: str, running, stop, results) -> None:
    """The abusive client (its own process): one request after another, as fast as answers come."""
    statuses: collections.Counter[int] = collections.Counter()
    # Keep-alive: one connection reused, as a tight loop written with httpx would.
    with httpx.Client(base_url=base_url, timeout=30) as client:
        statuses[LOOPS[what](client)] += 1
        running.set()
        started, cpu_started = time.perf_counter(), time.process_time()
        while not stop.is_set():
            statuses[LOOPS[what](client)] += 1
    results.put((dict(statuses), time.perf_counter() - started, time.process_time() - cpu_started))


@contextmanager
def abusive_client(base_url: str, what: str, totals: dict) -> Iterator[None]:
    """Runs the loop while the block runs; adds what it got to `totals` (statuses, requests, seconds)."""
    context = multiprocessing.get_context("spawn")
    running, stop, results = context.Event(), context.Event(), context.Queue()
    process = context.Process(target=loop_until_stopped, args=(base_url, what, running, stop, results), daemon=True)
    process.start()
    try:
        if not running.wait(timeout=180):
            raise RuntimeError(f"the looping client ({what}) did not start")
        time.sleep(1)  # with limits on, the loop spends its budget before the generations start
        yield
    finally:
        stop.set()
        statuses, seconds, cpu_seconds = results.get(timeout=60)
        process.join(timeout=30)
        totals.setdefault("statuses", collections.Counter()).update(statuses)
        totals["seconds"] = totals.get("seconds", 0.0) + seconds
        totals["cpu_seconds"] = totals.get("cpu_seconds", 0.0) + cpu_seconds


async def generations(client: httpx.AsyncClient, api_key: str, count: int, seed: int, images: int) -> list[float]:
    seconds = []
    for n in range(count):
        started = time.perf_counter()
        await platform_call(client, api_key, seed + n, num_images=images)
        seconds.append(time.perf_counter() - started)
    return seconds


class ProcessCpu:
    """CPU seconds one process of the stack used (the gateway: what the looping client costs it)."""

    def __init__(self, stack: Stack, name: str):
        state = StackState.load(stack.data_root)
        pid = next(record.pid for record in state.processes if record.name == name) if state else None
        self._process = psutil.Process(pid) if pid else None

    def seconds(self) -> float:
        if self._process is None:
            return 0.0
        times = self._process.cpu_times()
        return times.user + times.system


def show(name: str, figures: Latencies, alone: Latencies | None, loop: dict | None = None) -> None:
    line = f"  {name:<28} p50={figures.p50:6.2f} s  p95={figures.p95:6.2f} s"
    if alone is not None:
        line += f"  slowdown p50 {figures.p50 / alone.p50:.2f}x  p95 {figures.p95 / alone.p95:.2f}x"
    if loop:
        gateway_cpu = loop["gateway_cpu_seconds"] / loop["wall_seconds"]
        line += f"\n  {'':<28} the gateway's CPU meanwhile: {gateway_cpu:.0%} of a core"
        statuses = ", ".join(f"{status}: {count}" for status, count in sorted(loop["statuses"].items()))
        rate = sum(loop["statuses"].values()) / loop["seconds"]
        cpu = loop["cpu_seconds"] / loop["seconds"]
        line += f"\n  {'':<28} the looping client: {rate:.0f} requests/s ({statuses}), its own CPU {cpu:.0%} of a core"
    print(line)


async def signed_up_user(stack: Stack, client: httpx.AsyncClient) -> str:
    reply = await client.post("/api/v1/auth/signup", json={"username": "bench_user", "password": "bench-pass-1"})
    reply.raise_for_status()
    async with routing_channel("billing", f"127.0.0.1:{stack.ports.billing}", stack.pki) as channel:
        # Enough credits for every run: an operator puts the bench user on the pro plan.
        await billing_pb2_grpc.BillingServiceStub(channel).ChangePlan(
            billing_pb2.ChangePlanRequest(user_id=reply.json()["user_id"], plan="pro", actor="operator:bench")
        )
    return reply.json()["api_key"]


async def measure(stack: Stack, rounds: int, per_round: int, images: int) -> None:
    """Rounds of (alone, each loop), so that a machine whose other load drifts over the run weighs
    on every condition alike."""
    seconds: dict[str, list[float]] = {"alone": [], **{what: [] for what in LOOPS}}
    loops: dict[str, dict] = {what: {} for what in LOOPS}
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=300) as client:
        api_key = await signed_up_user(stack, client)
        await generations(client, api_key, 2, 0, images)  # warm-up
        gateway = ProcessCpu(stack, "gateway")
        alone_cpu = {"gateway_cpu_seconds": 0.0, "wall_seconds": 0.0}
        seed = 100
        for number in range(rounds):
            cpu_before, wall_before = gateway.seconds(), time.perf_counter()
            seconds["alone"] += await generations(client, api_key, per_round, seed, images)
            alone_cpu["gateway_cpu_seconds"] += gateway.seconds() - cpu_before
            alone_cpu["wall_seconds"] += time.perf_counter() - wall_before
            for what in LOOPS:
                seed += per_round
                with abusive_client(stack.gateway_url, what, loops[what]):
                    cpu_before, wall_before = gateway.seconds(), time.perf_counter()
                    seconds[what] += await generations(client, api_key, per_round, seed, images)
                    loops[what]["gateway_cpu_seconds"] = (
                        loops[what].get("gateway_cpu_seconds", 0.0) + gateway.seconds() - cpu_before
                    )
                    loops[what]["wall_seconds"] = (
                        loops[what].get("wall_seconds", 0.0) + time.perf_counter() - wall_before
                    )
            progress = ", ".join(f"{name} {times[-1]:.2f} s" for name, times in seconds.items())
            print(f"  round {number + 1}/{rounds}: last generation {progress}", file=sys.stderr, flush=True)
    alone = Latencies.of(seconds["alone"])
    show("alone", alone, None)
    gateway_cpu = alone_cpu["gateway_cpu_seconds"] / alone_cpu["wall_seconds"]
    print(f"  {'':<28} the gateway's CPU meanwhile: {gateway_cpu:.0%} of a core")
    for what in LOOPS:
        show(f"with looping {what}", Latencies.of(seconds[what]), alone, loops[what])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--per-round", type=int, default=3, help="generations per condition and round")
    parser.add_argument("--limits", nargs="+", choices=["off", "on"], default=["off", "on"])
    parser.add_argument("--images", type=int, default=4, help="images per generation (1 to 4)")
    parser.add_argument("--pipeline", help="ATELIER_TXT2IMG_PIPELINE (default: the model's, tiny-diffusion)")
    options = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if options.pipeline:
        os.environ["ATELIER_TXT2IMG_PIPELINE"] = options.pipeline
    for setting in options.limits:
        os.environ["ATELIER_RATE_LIMITS_ENABLED"] = "true" if setting == "on" else "false"
        print(
            f"\n-- rate limits {setting}: {options.rounds} rounds of {options.per_round} generations"
            f" of {options.images} images per condition, one after another,"
            f" pipeline {options.pipeline or 'tiny-diffusion'}"
        )
        with tempfile.TemporaryDirectory(prefix="atelier-bench-abuse-") as data:
            Path(data).chmod(0o711)
            stack = Stack(Path(data), fresh_ports())
            stack.up()
            print("  platform up; warming up", file=sys.stderr, flush=True)
            try:
                asyncio.run(measure(stack, options.rounds, options.per_round, options.images))
            finally:
                stack.down()


if __name__ == "__main__":
    main()
