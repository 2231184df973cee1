"""Latency of the remove-background action through the public API, against the same Triton call
made directly: POST /api/v1/images/{id}/remove-background → the `completed` server-sent event a
browser waits for, on a 512 px source. p50/p95 over --requests, one at a time. Also the network
alone in this process (one torch thread, as the Triton model runs it).

    .venv/bin/python -m bench.bench_background_e2e [--requests 16]

Starts its own platform (tools.devstack, free ports, throwaway data dir); the bench user is put on
the pro plan by an operator call. Never a test.
"""

from __future__ import annotations

import argparse
import time

import httpx
import torch

from bench.bench_generation_e2e import until_completed
from bench.bench_upscale_e2e import on_fresh_stack, pro_user, source_image
from bench.stats import summary
from segmenter import network
from services.generation.inference import TritonImageModel
from tools.devstack.stack import Stack


async def measure(stack: Stack, requests: int) -> None:
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=300) as client:
        headers = await pro_user(client, stack, "bench_cutout")
        image_id, pixels = await source_image(client, headers)
        model = TritonImageModel(stack.triton.grpc_url)
        torch.set_num_threads(1)
        segmenter = network.load()

        async def in_process() -> None:
            network.remove_background(segmenter, pixels)

        async def direct() -> None:
            await model.infer("background", pixels)

        async def through_platform() -> None:
            accepted = await client.post(f"/api/v1/images/{image_id}/remove-background", headers=headers)
            accepted.raise_for_status()
            await until_completed(client, headers, accepted.json()["generation_id"])

        calls = (
            ("the network in process", in_process),
            ("direct Triton background", direct),
            ("through the platform", through_platform),
        )
        for _, warm_up in calls:
            await warm_up()
        for name, call in calls:
            latencies = []
            started = time.perf_counter()
            for _ in range(requests):
                one = time.perf_counter()
                await call()
                latencies.append(time.perf_counter() - one)
            summary(name, latencies, time.perf_counter() - started, unit="cut-outs/s", width=28)
        await model.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=16)
    on_fresh_stack(measure, parser.parse_args().requests)


if __name__ == "__main__":
    main()
