"""The style reference's model work on a lent GPU against the CPU (no server): a generation started
from a reference at the style's composition strength, then the palette transfer, p50/p95 over --runs
at 512x512 output, batch --images. The built-in tiny-diffusion model runs on the CPU (as Triton runs
it); with --sd-weights, a mounted Stable Diffusion directory's img2img (the mounted-weights path) on
the CPU and on CUDA. Also the palette transfer alone (numpy) and the editor's operations (Pillow) on
a 512 px image, CPU work a GPU would not speed up. On a machine without CUDA it says so.

    .venv/bin/python -m bench.bench_style_gpu [--runs 10] [--images 4] [--sd-weights DIR]

Never a test.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable

import numpy as np
import torch

from bench.stats import Latencies, timed
from imagemodel import evaluate, pipelines, style
from services.generation import edit_operations

PROMPT = "a red circle on a blue background"
OPERATIONS: list[edit_operations.Operation] = [
    {"crop": [32, 32, 448, 384]},
    {"rotate": 90},
    {"flip": "horizontal"},
    {"brightness": 1.2},
]


def report(name: str, latencies: Latencies) -> None:
    print(f"{name:<44} p50 {latencies.p50 * 1000:8.1f} ms   p95 {latencies.p95 * 1000:8.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--images", type=int, default=4)
    parser.add_argument("--sd-weights", default="")
    options = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    reference = evaluate.remix_source("square", "yellow", "purple", "left")
    seeds = list(range(options.images))
    strength = style.composition_strength(0.5)
    runs: list[tuple[str, pipelines.Pipeline, Callable[[], None]]] = [
        ("tiny-diffusion, cpu", pipelines.load_pipeline("tiny-diffusion"), lambda: None)
    ]
    if options.sd_weights:
        for device in ["cpu"] + (["cuda"] if torch.cuda.is_available() else []):
            sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
            adapter = pipelines.StableDiffusionPipelineAdapter.from_pretrained(options.sd_weights, device=device)
            runs.append((f"stable diffusion img2img, {device}", adapter, sync))
    if not torch.cuda.is_available():
        print("no CUDA device here: CPU figures only")
    for name, pipeline, sync in runs:

        def styled(_: int, pipeline=pipeline) -> None:
            images = pipeline.generate(PROMPT, "", seeds, 25, 1.25, 512, 512, init_image=reference, strength=strength)
            style.transfer_palette(images, reference, 0.5)

        report(f"style reference, {options.images} images, {name}", timed(styled, options.runs, sync))
    images = np.stack([reference] * options.images)
    report("palette transfer alone (numpy, CPU)", timed(lambda _: style.transfer_palette(images, reference, 0.5), 20))
    report(
        "editor, 4 operations, 512 px (Pillow, CPU)", timed(lambda _: edit_operations.apply(reference, OPERATIONS), 20)
    )


if __name__ == "__main__":
    main()
