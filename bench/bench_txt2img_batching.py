"""Throughput and latency of the txt2img model with and without Triton's dynamic batching, on two real
tritonservers serving the shipped tiny-diffusion model (one config with max_batch_size 0, one with
dynamic_batching on; both otherwise the shipped config.pbtxt). Each request: 4 images at the model's
default steps (25), through the generation worker's client, from 1, 4 and 8 concurrent clients; the
levels alternate between the two servers so both see the same machine load. Prints figures; never a
test.

    python -m bench.bench_txt2img_batching [--requests 8] [--levels 1,4,8] [--images 4] [--steps 25] [--threads 1]
                                           [--queue-delay-ms 50]

Each level sends max(--requests, 2 x clients) requests; each server first serves one warm-up request.
The figures behind the shipped setting are in model_repository/txt2img/config.pbtxt.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.stats import Latencies
from services.generation.inference import Progress, TritonTxt2Img, Txt2ImgRequest
from tools.devstack import TritonServer, free_ports, txt2img_repository

MODEL_REPOSITORY = Path(__file__).resolve().parents[1] / "model_repository"
PROMPTS = (
    "a red circle on a blue background",
    "a green star in the top left",
    "a small yellow square",
    "a purple triangle on a white background",
)


@dataclass(frozen=True)
class Run:
    latencies: Latencies
    images_per_s: float
    mean_batch: float  # requests per execute() call


async def nothing(_: Progress) -> None:
    pass


def request(number: int, images: int, steps: int | None) -> Txt2ImgRequest:
    return Txt2ImgRequest(
        prompt=PROMPTS[number % len(PROMPTS)], seed=number * images, num_images=images, steps=steps or 0
    )


async def warm_up(server: TritonServer, images: int, steps: int | None) -> None:
    async with TritonTxt2Img(server.grpc_url, timeout_s=1800) as model:
        await model.generate(request(10_000, images, steps), nothing)


async def run_level(server: TritonServer, clients: int, requests: int, images: int, steps: int | None) -> Run:
    pending = list(range(requests))
    latencies: list[float] = []

    async def client() -> None:
        async with TritonTxt2Img(server.grpc_url, timeout_s=1800) as model:
            while pending:
                number = pending.pop()
                started = time.perf_counter()
                await model.generate(request(number, images, steps), nothing)
                latencies.append(time.perf_counter() - started)

    batches_before = server.executed_batches()
    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    wall = time.perf_counter() - started
    await asyncio.sleep(0.5)  # Triton records a batch just after its last response
    executed = {size: count - batches_before.get(size, 0) for size, count in server.executed_batches().items()}
    calls = sum(executed.values())
    mean_batch = sum(size * count for size, count in executed.items()) / calls if calls else float("nan")
    return Run(Latencies.of(latencies), requests * images / wall, mean_batch)


def start(root: Path, name: str, dynamic_batching: bool, queue_delay_ms: float | None) -> TritonServer:
    delay_us = None if queue_delay_ms is None else round(queue_delay_ms * 1000)
    repository = txt2img_repository(
        MODEL_REPOSITORY, root / name / "models", dynamic_batching=dynamic_batching, queue_delay_us=delay_us
    )
    http_port, grpc_port, metrics_port = free_ports(3)
    server = TritonServer(
        repository, http_port, grpc_port, metrics_port, root / name / "data", pipeline="tiny-diffusion"
    )
    server.launch()
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=8)
    parser.add_argument("--levels", default="1,4,8", help="concurrent clients, comma-separated")
    parser.add_argument("--images", type=int, default=4)
    parser.add_argument("--steps", type=int, default=None, help="default: the model's (25)")
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch threads in the servers (OMP_NUM_THREADS); on a machine busy with other work, "
        "1 keeps OpenMP threads from waiting on descheduled peers. Default: torch's own",
    )
    parser.add_argument(
        "--queue-delay-ms",
        type=float,
        default=None,
        help="dynamic_batching max_queue_delay: how long a request may wait for others to join "
        "it. Default: the shipped config's",
    )
    args = parser.parse_args()
    if args.threads:
        os.environ["OMP_NUM_THREADS"] = str(args.threads)  # the servers inherit the environment
    levels = [int(level) for level in args.levels.split(",")]
    results: dict[tuple[int, bool], Run] = {}
    with tempfile.TemporaryDirectory(prefix="bench-batching-") as root:
        servers = {
            batching: start(Path(root), f"batching-{batching}", batching, args.queue_delay_ms)
            for batching in (False, True)
        }
        try:
            for server in servers.values():
                server.wait_until_ready()
                asyncio.run(warm_up(server, args.images, args.steps))
            for clients in levels:
                for batching, server in servers.items():
                    requests = max(args.requests, 2 * clients)
                    results[clients, batching] = asyncio.run(
                        run_level(server, clients, requests, args.images, args.steps)
                    )
                    run = results[clients, batching]
                    print(
                        f"  measured {clients} clients, batching {'on' if batching else 'off'}: "
                        f"{run.images_per_s:.2f} images/s",
                        flush=True,
                    )
        finally:
            for server in servers.values():
                server.stop()
    threads = os.environ.get("OMP_NUM_THREADS", "torch's default")
    delay = "as shipped" if args.queue_delay_ms is None else f"{args.queue_delay_ms:g} ms"
    print(
        f"txt2img tiny-diffusion, {args.images} images x {args.steps or 'default'} steps per request, "
        f"{threads} threads, batcher queue delay {delay}; latency per request in s:"
    )
    print(
        f"{'clients':>7} | {'off p50':>8} {'off p95':>8} {'off img/s':>9} | "
        f"{'on p50':>8} {'on p95':>8} {'on img/s':>9} {'batch':>5} | {'on/off':>6}"
    )
    for clients in levels:
        off, on = results[clients, False], results[clients, True]
        print(
            f"{clients:>7} | {off.latencies.p50:>8.2f} {off.latencies.p95:>8.2f} {off.images_per_s:>9.2f} | "
            f"{on.latencies.p50:>8.2f} {on.latencies.p95:>8.2f} {on.images_per_s:>9.2f} {on.mean_batch:>5.1f} | "
            f"{on.images_per_s / off.images_per_s:>6.2f}"
        )
    print("batch: mean requests per execute() with dynamic batching on")


if __name__ == "__main__":
    main()
