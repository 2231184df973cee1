"""CPU latency of the upscale model's network (no server): one world image doubled, p50/p95 over
--runs at each --sizes input side. Logs figures; never a test.

    python -m bench.bench_upscale_cpu [--runs 10] [--threads 1] [--sizes 128 256 512]
"""

from __future__ import annotations

import argparse
import logging

import numpy as np
import torch

from bench.stats import timed
from imagemodel import world
from upscaler import network

log = logging.getLogger("bench.upscale_cpu")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--threads", type=int, default=1, help="the Triton model runs one thread per instance")
    parser.add_argument("--sizes", type=int, nargs="+", default=[128, 256, 512])
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    torch.set_num_threads(args.threads)
    model = network.load()
    scene = world.sample_scene(np.random.default_rng(0))
    for size in args.sizes:
        image = world.render(scene, size=size)
        figures = timed(lambda _: network.upscale(model, image), args.runs)
        log.info(
            "%d -> %d px, %d threads: p50 %.3f s, p95 %.3f s over %d runs",
            size,
            2 * size,
            args.threads,
            figures.p50,
            figures.p95,
            figures.n,
        )


if __name__ == "__main__":
    main()
