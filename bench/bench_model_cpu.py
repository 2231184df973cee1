"""CPU latency of the default model: 4 images at the default steps and guidance, straight through
TinyDiffusionPipeline (no server). Logs p50/p95 over --runs; never a test. With --aspect-ratio, at the
service's size for it, composed in the square and framed (imagemodel.framing) against the baseline
sampled at the frame's shape directly, in the same process, with the ratio of their p50s.

    python -m bench.bench_model_cpu [--runs 10] [--threads 2] [--aspect-ratio 16:9] [--weights imagemodel/weights/]
"""

from __future__ import annotations

import argparse
import logging
import time

import torch

from bench.stats import Latencies
from imagemodel.evaluate import ASPECT_SIZES
from imagemodel.pipelines import DEFAULT_GUIDANCE, DEFAULT_STEPS, DEFAULT_WEIGHTS, TinyDiffusionPipeline

log = logging.getLogger("bench.model_cpu")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--images", type=int, default=4)
    parser.add_argument("--steps", type=int, default=DEFAULT_STEPS)
    parser.add_argument("--size", type=int, default=256, help="display size the images are upscaled to")
    parser.add_argument("--aspect-ratio", choices=sorted(ASPECT_SIZES), help="framed against sampled directly")
    parser.add_argument("--weights", default=str(DEFAULT_WEIGHTS))
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    torch.set_num_threads(args.threads)
    pipeline = TinyDiffusionPipeline.from_pretrained(args.weights)
    prompt = "a red circle on a blue background"

    width, height = ASPECT_SIZES[args.aspect_ratio] if args.aspect_ratio else (args.size, args.size)

    def generate(run: int) -> None:
        seeds = list(range(run * args.images, (run + 1) * args.images))
        pipeline.generate(prompt, "", seeds, args.steps, DEFAULT_GUIDANCE, width, height)

    modes = {"framed": True, "sampled at the frame": False} if args.aspect_ratio else {"square": True}
    seconds: dict[str, list[float]] = {mode: [] for mode in modes}
    # The modes take turns run by run, so a load that changes over the runs falls on each alike.
    for run in range(1 + args.runs):  # run 0 warms up
        for mode, composes in modes.items():
            pipeline.composes_in_square = composes
            started = time.perf_counter()
            generate(run)
            if run:
                seconds[mode].append(time.perf_counter() - started)
    p50s = []
    for mode, timings in seconds.items():
        figures = Latencies.of(timings)
        p50s.append(figures.p50)
        log.info(
            "%s %dx%d, %d images, %d steps, guidance %.2f, %d threads: p50 %.3f s, p95 %.3f s, mean %.3f s, %d runs",
            mode,
            width,
            height,
            args.images,
            args.steps,
            DEFAULT_GUIDANCE,
            args.threads,
            figures.p50,
            figures.p95,
            figures.mean,
            figures.n,
        )
    if len(p50s) == 2:
        log.info("framed / sampled at the frame, p50: x%.2f", p50s[0] / p50s[1])


if __name__ == "__main__":
    main()
