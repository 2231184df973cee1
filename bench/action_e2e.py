"""What the image-action benchmarks share: an action through the public API (POST
/api/v1/images/{id}/<action> → the `completed` server-sent event) against the same Triton call made
directly on the source's pixels, p50/p95 over a number of requests, one at a time, on a platform of
its own (tools.devstack, free ports, throwaway data dir), on a 512 px source the bench user generates."""

from __future__ import annotations

import argparse
import asyncio
import io
import logging
import tempfile
import time
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from PIL import Image

from atelier.billing.v1 import billing_pb2, billing_pb2_grpc
from bench.bench_generation_e2e import fresh_ports, until_completed
from bench.stats import summary
from services.generation.inference import TritonImageModel
from tests.support.identity import routing_channel
from tools.devstack.stack import Stack

SOURCE_PROMPT = "a red circle on a blue background"


async def source_image(client: httpx.AsyncClient, headers: dict[str, str]) -> tuple[str, np.ndarray]:
    reply = await client.post("/api/v1/generations", headers=headers, json={"prompt": SOURCE_PROMPT, "num_images": 1})
    reply.raise_for_status()
    generation_id = reply.json()["generation_id"]
    await until_completed(client, headers, generation_id)
    image = (await client.get(f"/api/v1/generations/{generation_id}", headers=headers)).json()["images"][0]
    png = await client.get(f"/api/v1/images/{image['image_id']}/content", params={"format": "png"}, headers=headers)
    png.raise_for_status()
    return image["image_id"], np.asarray(Image.open(io.BytesIO(png.content)).convert("RGB"))


# The direct call: the Triton model client and the source's pixels.
DirectCall = Callable[[TritonImageModel, np.ndarray], Awaitable[object]]
SourceImage = Callable[[httpx.AsyncClient, dict[str, str]], Awaitable[tuple[str, np.ndarray]]]


async def compare(stack: Stack, action: str, direct_call: DirectCall, source: SourceImage, requests: int) -> None:
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=300) as client:
        reply = await client.post(
            "/api/v1/auth/signup", json={"username": f"bench_{action}", "password": "bench-pass-1"}
        )
        reply.raise_for_status()
        headers = {"Authorization": f"Bearer {reply.json()['api_key']}"}
        async with routing_channel("billing", f"127.0.0.1:{stack.ports.billing}", stack.pki) as channel:
            await billing_pb2_grpc.BillingServiceStub(channel).ChangePlan(
                billing_pb2.ChangePlanRequest(user_id=reply.json()["user_id"], plan="pro", actor="operator:bench")
            )
        image_id, pixels = await source(client, headers)
        model = TritonImageModel(stack.triton.grpc_url)

        async def direct() -> None:
            await direct_call(model, pixels)

        async def through_platform() -> None:
            accepted = await client.post(f"/api/v1/images/{image_id}/{action}", headers=headers)
            accepted.raise_for_status()
            await until_completed(client, headers, accepted.json()["generation_id"])

        for warm_up in (direct, through_platform):
            await warm_up()
        results = {}
        direct_name = f"direct Triton {action}"
        for name, call in ((direct_name, direct), ("through the platform", through_platform)):
            latencies = []
            started = time.perf_counter()
            for _ in range(requests):
                one = time.perf_counter()
                await call()
                latencies.append(time.perf_counter() - one)
            results[name] = summary(name, latencies, time.perf_counter() - started, unit=f"{action}s/s", width=28)
        await model.close()
        d, p = results[direct_name], results["through the platform"]
        print(
            f"{action} of {pixels.shape[1]}x{pixels.shape[0]}; platform/direct: p50 {p['p50'] / d['p50']:.2f}x, "
            f"p95 {p['p95'] / d['p95']:.2f}x"
        )


def run_on_own_platform(measure: Callable[[Stack], Coroutine[Any, Any, None]]) -> None:
    with tempfile.TemporaryDirectory(prefix="atelier-bench-") as data:
        Path(data).chmod(0o711)
        stack = Stack(Path(data), fresh_ports())
        stack.up()
        try:
            asyncio.run(measure(stack))
        finally:
            stack.down()


def main(action: str, direct_call: DirectCall, doc: str | None, source: SourceImage = source_image) -> None:
    """The command line of an action's benchmark: --requests, then the comparison on its own platform."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=16)
    options = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    run_on_own_platform(lambda stack: compare(stack, action, direct_call, source, options.requests))
