"""CPU latency of the style reference and the editor through the public API: POST → the `completed`
server-sent event a browser waits for, one at a time, p50/p95 over --requests each, beside a plain
generation of the same prompt and size as the baseline:

- generate: POST /api/v1/generations, 1 image, the model's default steps;
- generate + style reference: the same with style_image_id (strength 0.5): the model starts from the
  reference, then the palette transfer in the worker;
- edit: POST /api/v1/images/{id}/edit with a crop, a quarter turn, a flip, brightness and contrast.

    .venv/bin/python -m bench.bench_style_edit_e2e [--requests 16]

Starts its own platform (tools.devstack, free ports, throwaway data dir, the model Triton serves by
default); the bench user is put on the pro plan by an operator call. Never a test.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

from atelier.billing.v1 import billing_pb2, billing_pb2_grpc
from bench.bench_generation_e2e import fresh_ports, until_completed
from bench.stats import summary
from tests.support.identity import routing_channel
from tools.devstack.stack import Stack

PROMPT = "a red circle on a blue background"
REFERENCE_PROMPT = "a yellow square on a purple background"
OPERATIONS = [
    {"op": "crop", "x": 32, "y": 32, "width": 448, "height": 384},
    {"op": "rotate", "degrees": 90},
    {"op": "flip", "axis": "horizontal"},
    {"op": "brightness", "factor": 1.2},
    {"op": "contrast", "factor": 0.8},
]


async def first_image(client: httpx.AsyncClient, headers: dict[str, str], prompt: str) -> str:
    reply = await client.post("/api/v1/generations", headers=headers, json={"prompt": prompt, "num_images": 1})
    reply.raise_for_status()
    generation_id = reply.json()["generation_id"]
    await until_completed(client, headers, generation_id)
    return (await client.get(f"/api/v1/generations/{generation_id}", headers=headers)).json()["images"][0]["image_id"]


async def measure(stack: Stack, requests: int) -> None:
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=300) as client:
        reply = await client.post("/api/v1/auth/signup", json={"username": "bench_style", "password": "bench-pass-1"})
        reply.raise_for_status()
        headers = {"Authorization": f"Bearer {reply.json()['api_key']}"}
        async with routing_channel("billing", f"127.0.0.1:{stack.ports.billing}", stack.pki) as channel:
            await billing_pb2_grpc.BillingServiceStub(channel).ChangePlan(
                billing_pb2.ChangePlanRequest(user_id=reply.json()["user_id"], plan="pro", actor="operator:bench")
            )
        reference = await first_image(client, headers, REFERENCE_PROMPT)
        source = await first_image(client, headers, PROMPT)

        def job(path: str, body: dict) -> Callable[[], Awaitable[None]]:
            async def run() -> None:
                accepted = await client.post(path, headers=headers, json=body)
                accepted.raise_for_status()
                await until_completed(client, headers, accepted.json()["generation_id"])

            return run

        calls = {
            "generate": job("/api/v1/generations", {"prompt": PROMPT, "num_images": 1}),
            "generate + style reference": job(
                "/api/v1/generations",
                {"prompt": PROMPT, "num_images": 1, "style_image_id": reference, "style_strength": 0.5},
            ),
            "edit (5 operations)": job(f"/api/v1/images/{source}/edit", {"operations": OPERATIONS}),
        }
        for warm_up in calls.values():
            await warm_up()
        for name, call in calls.items():
            latencies = []
            started = time.perf_counter()
            for _ in range(requests):
                one = time.perf_counter()
                await call()
                latencies.append(time.perf_counter() - one)
            summary(name, latencies, time.perf_counter() - started, unit="jobs/s", width=28)


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
