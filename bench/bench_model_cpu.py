"""CPU latency of the default model: 4 images at the default steps and guidance, straight through
TinyDiffusionPipeline (no server). Logs p50/p95 over --runs; never a test.

    python -m bench.bench_model_cpu [--runs 10] [--threads 2] [--weights imagemodel/weights/]
"""

from __future__ import annotations

import argparse
import logging

import torch

from bench.stats import timed
from imagemodel.pipelines import DEFAULT_GUIDANCE, DEFAULT_STEPS, DEFAULT_WEIGHTS, TinyDiffusionPipeline

log = logging.getLogger("bench.model_cpu")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--images", type=int, default=4)
    parser.add_argument("--steps", type=int, default=DEFAULT_STEPS)
    parser.add_argument("--size", type=int, default=256, help="display size the images are upscaled to")
    parser.add_argument("--weights", default=str(DEFAULT_WEIGHTS))
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    torch.set_num_threads(args.threads)
    pipeline = TinyDiffusionPipeline.from_pretrained(args.weights)
    prompt = "a red circle on a blue background"

    def generate(run: int) -> None:
        seeds = list(range(run * args.images, (run + 1) * args.images))
        pipeline.generate(prompt, "", seeds, args.steps, DEFAULT_GUIDANCE, args.size, args.size)

    figures = timed(generate, args.runs)
    log.info(
        "%d images, %d steps, guidance %.1f, %d threads: p50 %.3f s, p95 %.3f s, mean %.3f s over %d runs",
        args.images,
        args.steps,
        DEFAULT_GUIDANCE,
        args.threads,
        figures.p50,
        figures.p95,
        figures.mean,
        figures.n,
    )


if __name__ == "__main__":
    main()
