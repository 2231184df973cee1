"""The background model's segmenter on a lent GPU against the CPU (no server): p50/p95 of a whole
cut-out (resize to the working size, the network, the mask back to full size, RGBA) at each
--sizes side, batch 1, as the Triton model runs it. For a machine with CUDA; on one without, it
says so and stops.

    .venv/bin/python -m bench.bench_background_gpu [--runs 20] [--sizes 512 1024 2048]

Figures go to segmenter/MODEL_CARD.md ("Cost") with the card's name. Never a test. The Triton model
runs on the CPU today (model_repository/background, KIND_CPU): this says what the GPU would buy.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

from bench.stats import Latencies
from imagemodel import world
from segmenter import network

log = logging.getLogger("bench.background_gpu")


def cut_out(model: torch.nn.Module, image: torch.Tensor) -> torch.Tensor:
    """The Triton model's work on a device: image (1, 3, h, w) in [0, 1] -> RGBA uint8 (h, w, 4)."""
    small = F.interpolate(image, size=(network.WORK_SIZE, network.WORK_SIZE), mode="area")
    probability = torch.sigmoid(model(small))
    full = F.interpolate(probability, size=image.shape[2:], mode="bilinear", align_corners=False)
    ramp = ((full - network.ALPHA_FLOOR) / (network.ALPHA_CEILING - network.ALPHA_FLOOR)).clamp(0.0, 1.0)
    return (torch.cat([image, ramp], dim=1)[0].permute(1, 2, 0) * 255.0).round().to(torch.uint8).cpu()


def timed(model: torch.nn.Module, image: torch.Tensor, runs: int, sync) -> Latencies:
    timings = []
    with torch.inference_mode():
        for run in range(runs + 1):  # the first run warms up (kernels, allocator) and is not counted
            started = time.perf_counter()
            cut_out(model, image)
            sync()
            if run:
                timings.append(time.perf_counter() - started)
    return Latencies.of(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--sizes", type=int, nargs="+", default=[512, 1024, 2048])
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
        image = torch.from_numpy(world.render(scene, size=size)).permute(2, 0, 1)[None].float() / 255.0
        cpu = timed(cpu_model, image, max(3, args.runs // 5), lambda: None)
        gpu = timed(gpu_model, image.to("cuda"), args.runs, torch.cuda.synchronize)
        log.info(
            "%d px: GPU p50 %.4f s p95 %.4f s; CPU (1 thread) p50 %.3f s p95 %.3f s; %.0fx",
            size,
            gpu.p50,
            gpu.p95,
            cpu.p50,
            cpu.p95,
            cpu.p50 / gpu.p50,
        )


if __name__ == "__main__":
    main()
