"""Latency of the whole upscale action through the public API, against the same Triton call made
directly: POST /api/v1/images/{id}/upscale → the `completed` server-sent event a browser waits for,
on a 512 px source (the result is 1024 px). p50/p95 over --requests, one at a time.

    .venv/bin/python -m bench.bench_upscale_e2e [--requests 16]

Starts its own platform (tools.devstack, free ports, throwaway data dir); the bench user is put on
the pro plan by an operator call. The direct figure is TritonImageModel.infer on the same source
pixels, so platform/direct is what the job path (outbox, JetStream, object store, authority,
events) adds to the model. Never a test.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import logging
import tempfile
import time
from collections.abc import Callable, Coroutine
from pathlib import Path

import httpx
import numpy as np
from PIL import Image

from atelier.billing.v1 import billing_pb2, billing_pb2_grpc
from bench.bench_generation_e2e import fresh_ports, until_completed
from bench.stats import summary
from services.generation.inference import TritonImageModel
from tests.support.identity import routing_channel
from tools.devstack.stack import Stack

PROMPT = "a red circle on a blue background"


async def source_image(client: httpx.AsyncClient, headers: dict[str, str]) -> tuple[str, np.ndarray]:
    reply = await client.post("/api/v1/generations", headers=headers, json={"prompt": PROMPT, "num_images": 1})
    reply.raise_for_status()
    generation_id = reply.json()["generation_id"]
    await until_completed(client, headers, generation_id)
    image = (await client.get(f"/api/v1/generations/{generation_id}", headers=headers)).json()["images"][0]
    png = await client.get(f"/api/v1/images/{image['image_id']}/content", params={"format": "png"}, headers=headers)
    png.raise_for_status()
    return image["image_id"], np.asarray(Image.open(io.BytesIO(png.content)).convert("RGB"))


async def pro_user(client: httpx.AsyncClient, stack: Stack, username: str) -> dict[str, str]:
    """A new user on the pro plan (an operator's ChangePlan): the headers of their API key."""
    reply = await client.post("/api/v1/auth/signup", json={"username": username, "password": "bench-pass-1"})
    reply.raise_for_status()
    async with routing_channel("billing", f"127.0.0.1:{stack.ports.billing}", stack.pki) as channel:
        await billing_pb2_grpc.BillingServiceStub(channel).ChangePlan(
            billing_pb2.ChangePlanRequest(user_id=reply.json()["user_id"], plan="pro", actor="operator:bench")
        )
    return {"Authorization": f"Bearer {reply.json()['api_key']}"}


async def measure(stack: Stack, requests: int) -> None:
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=300) as client:
        headers = await pro_user(client, stack, "bench_upscale")
        image_id, pixels = await source_image(client, headers)
        model = TritonImageModel(stack.triton.grpc_url)

        async def direct() -> None:
            await model.infer("upscale", pixels)

        async def through_platform() -> None:
            accepted = await client.post(f"/api/v1/images/{image_id}/upscale", headers=headers)
            accepted.raise_for_status()
            await until_completed(client, headers, accepted.json()["generation_id"])

        for warm_up in (direct, through_platform):
            await warm_up()
        results = {}
        for name, call in (("direct Triton upscale", direct), ("through the platform", through_platform)):
            latencies = []
            started = time.perf_counter()
            for _ in range(requests):
                one = time.perf_counter()
                await call()
                latencies.append(time.perf_counter() - one)
            results[name] = summary(name, latencies, time.perf_counter() - started, unit="upscales/s", width=28)
        await model.close()
        d, p = results["direct Triton upscale"], results["through the platform"]
        print(
            f"{pixels.shape[1]}x{pixels.shape[0]} -> 2x; platform/direct: p50 {p['p50'] / d['p50']:.2f}x, "
            f"p95 {p['p95'] / d['p95']:.2f}x"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=16)
    options = parser.parse_args()
    on_fresh_stack(measure, options.requests)


def on_fresh_stack(measure: Callable[[Stack, int], Coroutine[object, object, None]], requests: int) -> None:
    """measure(stack, requests) on a platform of its own (free ports, a throwaway data dir)."""
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="atelier-bench-") as data:
        Path(data).chmod(0o711)
        stack = Stack(Path(data), fresh_ports())
        stack.up()
        try:
            asyncio.run(measure(stack, requests))
        finally:
            stack.down()


if __name__ == "__main__":
    main()
