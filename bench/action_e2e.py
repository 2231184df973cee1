"""What the image-action benchmarks share: an action through the public API (POST
/api/v1/images/{id}/<action> → the `completed` server-sent event) against the same Triton call made
directly on the source's pixels, p50/p95 over a number of requests, one at a time, on a platform of
its own (tools.devstack, free ports, throwaway data dir)."""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from atelier.billing.v1 import billing_pb2, billing_pb2_grpc
from bench.bench_generation_e2e import fresh_ports, until_completed
from bench.stats import summary
from services.generation.inference import TritonImageModel
from tests.support.identity import routing_channel
from tools.devstack.stack import Stack

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
