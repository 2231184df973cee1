"""The upscale network on a lent GPU against the CPU (no server): p50/p95 at each --sizes input side,
batch 1, as the Triton model runs it. For a machine with CUDA; on one without, it says so and stops.

    .venv/bin/python -m bench.bench_upscale_gpu [--runs 20] [--sizes 128 256 512 1024]

Figures go to upscaler/MODEL_CARD.md ("Cost") with the card's name. Never a test. The Triton model
itself runs on the CPU today (model_repository/upscale, KIND_CPU): this says what moving it to the
GPU would buy.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time

import numpy as np
import torch

from bench.stats import Latencies
from imagemodel import world
from upscaler import network

log = logging.getLogger("bench.upscale_gpu")


def timed(model: torch.nn.Module, low: torch.Tensor, runs: int, sync) -> Latencies:
    timings = []
    with torch.inference_mode():
        for run in range(runs + 1):  # the first run warms up (kernels, allocator) and is not counted
            started = time.perf_counter()
            model(low).clamp(0.0, 1.0).cpu()
            sync()
            if run:
                timings.append(time.perf_counter() - started)
    return Latencies.of(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--sizes", type=int, nargs="+", default=[128, 256, 512, 1024])
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    if not torch.cuda.is_available():
        log.error("no CUDA device here: run this on a lent GPU")
        sys.exit(2)
    log.info("GPU: %s", torch.cuda.get_device_name(0))
    torch.set_num_threads(1)  # the Triton CPU model's setting
    cpu_model = network.load()
    gpu_model = network.load().to("cuda")
    scene = world.sample_scene(np.random.default_rng(0))
    for size in args.sizes:
        image = world.render(scene, size=size)
        low = torch.from_numpy(np.array(image)).permute(2, 0, 1)[None].float() / 255.0
        cpu = timed(cpu_model, low, max(3, args.runs // 5), lambda: None)
        gpu = timed(gpu_model, low.to("cuda"), args.runs, torch.cuda.synchronize)
        log.info(
            "%d -> %d px: GPU p50 %.4f s p95 %.4f s; CPU (1 thread) p50 %.3f s p95 %.3f s; %.0fx",
            size,
            2 * size,
            gpu.p50,
            gpu.p95,
            cpu.p50,
            cpu.p95,
            cpu.p50 / gpu.p50,
        )


if __name__ == "__main__":
    main()
