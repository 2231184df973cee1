"""Latency of the whole describe action through the public API, against the same Triton call made
directly: POST /api/v1/images/{id}/describe → the `completed` server-sent event a browser waits for,
on a 512 px source. p50/p95 over --requests, one at a time.

    .venv/bin/python -m bench.bench_describe_e2e [--requests 16]

Starts its own platform (tools.devstack, free ports, throwaway data dir). The direct figure is
TritonImageModel.suggest on the same source pixels, so platform/direct is what the job path
(outbox, JetStream, object store, authority, events) adds to the model. Never a test.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
import time
from pathlib import Path

import httpx

from bench.bench_generation_e2e import fresh_ports, until_completed
from bench.bench_upscale_e2e import source_image
from bench.stats import summary
from services.generation.inference import TritonImageModel
from tools.devstack.stack import Stack


async def measure(stack: Stack, requests: int) -> None:
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=300) as client:
        reply = await client.post(
            "/api/v1/auth/signup", json={"username": "bench_describe", "password": "bench-pass-1"}
        )
        reply.raise_for_status()
        headers = {"Authorization": f"Bearer {reply.json()['api_key']}"}
        image_id, pixels = await source_image(client, headers)  # the free plan describes (1 credit each)
        model = TritonImageModel(stack.triton.grpc_url)

        async def direct() -> None:
            await model.suggest("describe", pixels)

        async def through_platform() -> None:
            accepted = await client.post(f"/api/v1/images/{image_id}/describe", headers=headers)
            accepted.raise_for_status()
            await until_completed(client, headers, accepted.json()["generation_id"])

        for warm_up in (direct, through_platform):
            await warm_up()
        results = {}
        for name, call in (("direct Triton describe", direct), ("through the platform", through_platform)):
            latencies = []
            started = time.perf_counter()
            for _ in range(requests):
                one = time.perf_counter()
                await call()
                latencies.append(time.perf_counter() - one)
            results[name] = summary(name, latencies, time.perf_counter() - started, unit="descriptions/s", width=28)
        await model.close()
        d, p = results["direct Triton describe"], results["through the platform"]
        print(
            f"{pixels.shape[1]}x{pixels.shape[0]}; platform/direct: p50 {p['p50'] / d['p50']:.2f}x, "
            f"p95 {p['p95'] / d['p95']:.2f}x"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=16)
    options = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="atelier-bench-") as data:
        Path(data).chmod(0o711)
        stack = Stack(Path(data), fresh_ports())
        stack.up()
        try:
            asyncio.run(measure(stack, options.requests))
        finally:
            stack.down()


if __name__ == "__main__":
    main()
