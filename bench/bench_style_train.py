"""Custom styles on the CPU: how long a style trains, and what it costs a generation.

    python -m bench.bench_style_train [--steps 300] [--runs 3] [--generations 8] [--threads 1]

Trains the pastel style set (imagemodel/style_eval.py, 8 images) `runs` times and prints the training
time p50; then, in the same process and alternating, times `generations` text-to-image runs at the
defaults (25 steps, one 256x256 image) without and with the style, and prints both p50s.
"""

from __future__ import annotations

import argparse
import time

import torch

from bench.stats import percentile
from imagemodel import style_eval, style_lora, style_train
from imagemodel.pipelines import DEFAULT_GUIDANCE, DEFAULT_STEPS, TinyDiffusionPipeline, load_pipeline

PROMPT = "a green star on a purple background"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=style_train.DEFAULT_STEPS)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--generations", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()

    pipeline = load_pipeline("tiny-diffusion")
    assert isinstance(pipeline, TinyDiffusionPipeline)
    training = style_eval.style_set("pastel")
    captions = ["a shape"] * len(training)
    seconds = []
    for run in range(args.runs):
        started = time.perf_counter()
        style = style_train.train_style(pipeline, training, captions, args.steps, seed=run, threads=args.threads)
        seconds.append(time.perf_counter() - started)
    print(
        f"training {args.steps} steps on {len(training)} images, {args.threads} thread(s):"
        f" p50 {percentile(seconds, 50):.1f} s (runs: {', '.join(f'{s:.1f}' for s in seconds)})"
    )

    torch.set_num_threads(args.threads)
    plain, styled = [], []
    for seed in range(args.generations):
        started = time.perf_counter()
        pipeline.generate(PROMPT, "", [seed], DEFAULT_STEPS, DEFAULT_GUIDANCE, 256, 256)
        plain.append(time.perf_counter() - started)
        started = time.perf_counter()
        with style_lora.applied(pipeline.model.unet, style):
            pipeline.generate(PROMPT, "", [seed], DEFAULT_STEPS, DEFAULT_GUIDANCE, 256, 256)
        styled.append(time.perf_counter() - started)
    print(
        f"generation ({DEFAULT_STEPS} steps, 256x256): unstyled p50 {percentile(plain, 50):.2f} s,"
        f" styled p50 {percentile(styled, 50):.2f} s (x{percentile(styled, 50) / percentile(plain, 50):.2f})"
    )


if __name__ == "__main__":
    main()
