"""End-to-end latency of one generation through the whole platform, against the same Triton
call made directly, at 1 and 8 concurrent users.

    .venv/bin/python -m bench.bench_generation_e2e [--requests 16] [--concurrency 1 8]

Starts its own platform (tools.devstack, free ports, throwaway data dir). Platform latency runs
from the POST to the `completed` server-sent event a browser waits for; direct latency is
TritonTxt2Img.generate with the request the worker sends. Prints p50/p95, throughput and the
overhead ratio platform/direct, both measured in this process on this machine.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
import time
from pathlib import Path

import httpx

from atelier.billing.v1 import billing_pb2, billing_pb2_grpc
from bench.stats import summary
from services.generation.inference import Progress, TritonTxt2Img, Txt2ImgRequest
from services.generation.worker import PREVIEW_EVERY
from tests.support.identity import routing_channel
from tools.devstack.config import Ports
from tools.devstack.stack import Stack

PROMPT = "a red circle on a blue background"


async def run_concurrently(concurrency: int, total: int, one) -> tuple[list[float], float]:
    latencies: list[float] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(total):
        queue.put_nowait(n)

    async def user(slot: int) -> None:
        while not queue.empty():
            n = queue.get_nowait()
            started = time.perf_counter()
            await one(slot, n)
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(user(slot) for slot in range(concurrency)))
    return latencies, time.perf_counter() - started


async def direct_call(model: TritonTxt2Img, seed: int) -> None:
    async def ignore(_: Progress) -> None:
        return None

    await model.generate(
        Txt2ImgRequest(
            prompt=PROMPT,
            seed=seed,
            num_images=4,  # steps left to the model's default, as the platform call leaves them
            width=512,
            height=512,
            preview_every=PREVIEW_EVERY,
        ),
        ignore,
    )


async def platform_call(client: httpx.AsyncClient, api_key: str, seed: int, *, num_images: int | None = None) -> None:
    headers = {"Authorization": f"Bearer {api_key}"}
    body: dict[str, object] = {"prompt": PROMPT, "seed": seed}
    if num_images is not None:
        body["num_images"] = num_images
    reply = await client.post("/api/v1/generations", headers=headers, json=body)
    reply.raise_for_status()
    await until_completed(client, headers, reply.json()["generation_id"])


async def until_completed(client: httpx.AsyncClient, headers: dict[str, str], generation_id: str) -> None:
    """Returns at the `completed` server-sent event a browser waits for; raises at `failed`."""
    async with client.stream("GET", f"/api/v1/generations/{generation_id}/events", headers=headers) as events:
        async for line in events.aiter_lines():
            if line.startswith("event: completed"):
                return
            if line.startswith("event: failed"):
                raise RuntimeError(f"generation {generation_id} failed")
    raise RuntimeError("event stream ended without completion")


async def measure(stack: Stack, requests: int, levels: list[int]) -> None:
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=120) as client:
        keys = []
        async with routing_channel("billing", f"127.0.0.1:{stack.ports.billing}", stack.pki) as channel:
            billing = billing_pb2_grpc.BillingServiceStub(channel)
            for n in range(max(levels)):
                reply = await client.post(
                    "/api/v1/auth/signup", json={"username": f"bench_{n}", "password": "bench-pass-1"}
                )
                reply.raise_for_status()
                keys.append(reply.json()["api_key"])
                # Enough credits for every run: an operator puts the bench users on the pro plan.
                await billing.ChangePlan(
                    billing_pb2.ChangePlanRequest(user_id=reply.json()["user_id"], plan="pro", actor="operator:bench")
                )
        model = TritonTxt2Img(stack.triton.grpc_url)
        await direct_call(model, 0)  # warm-up: first request loads lazily-initialised state
        await platform_call(client, keys[0], 0)
        for concurrency in levels:
            direct, direct_wall = await run_concurrently(concurrency, requests, lambda s, n: direct_call(model, n))
            through, through_wall = await run_concurrently(
                concurrency, requests, lambda s, n: platform_call(client, keys[s], n)
            )
            print(
                f"\n-- {concurrency} concurrent user(s), {requests} generations of 4 images, "
                "the model's default steps, 512x512"
            )
            d = summary("direct Triton call", direct, direct_wall, unit="generations/s", width=28)
            p = summary("through the platform", through, through_wall, unit="generations/s", width=28)
            print(
                f"overhead ratio platform/direct: p50 {p['p50'] / d['p50']:.2f}x, p95 {p['p95'] / d['p95']:.2f}x, "
                f"throughput {p['throughput'] / d['throughput']:.2f}x"
            )
        await model.close()


# bench_abuse.py starts its platform the same way.
fresh_ports = Ports.free


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=16)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8])
    options = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="atelier-bench-") as data:
        Path(data).chmod(0o711)
        stack = Stack(Path(data), fresh_ports())
        stack.up()
        try:
            asyncio.run(measure(stack, options.requests, options.concurrency))
        finally:
            stack.down()


if __name__ == "__main__":
    main()
