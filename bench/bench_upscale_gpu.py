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

import numpy as np
import torch

from bench.gpu import require_cuda
from bench.stats import Latencies, timed
from imagemodel import world
from upscaler import network

log = logging.getLogger("bench.upscale_gpu")


def timed_upscale(model: torch.nn.Module, low: torch.Tensor, runs: int, sync) -> Latencies:
    with torch.inference_mode():
        return timed(lambda _: model(low).clamp(0.0, 1.0).cpu(), runs, sync)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--sizes", type=int, nargs="+", default=[128, 256, 512, 1024])
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    require_cuda(log)
    cpu_model = network.load()
    gpu_model = network.load().to("cuda")
    scene = world.sample_scene(np.random.default_rng(0))
    for size in args.sizes:
        image = world.render(scene, size=size)
        low = torch.from_numpy(np.array(image)).permute(2, 0, 1)[None].float() / 255.0
        cpu = timed_upscale(cpu_model, low, max(3, args.runs // 5), lambda: None)
        gpu = timed_upscale(gpu_model, low.to("cuda"), args.runs, torch.cuda.synchronize)
        log.info(
            "%d -> %d px: GPU %s; CPU (1 thread) %s; %.0fx",
            size,
            2 * size,
            gpu.seconds(4),
            cpu.seconds(3),
            cpu.p50 / gpu.p50,
        )


if __name__ == "__main__":
    main()
