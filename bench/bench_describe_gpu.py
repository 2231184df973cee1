"""The describer on a lent GPU against the CPU (no server): p50/p95 of one image read into its
suggestions at each --sizes input side, batch 1, as the Triton model runs it; and, with
--blip DIR, a mounted BLIP captioning model (save_pretrained layout) through describer.mounted.
For a machine with CUDA; on one without, it says so and stops.

    .venv/bin/python -m bench.bench_describe_gpu [--runs 20] [--sizes 512 1024] [--blip DIR]

Figures go to describer/MODEL_CARD.md ("Cost") with the card's name. Never a test. The Triton
model runs the describer on the CPU (model_repository/describe, KIND_CPU): this says what the GPU
would buy, and what a mounted captioner costs there.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import numpy as np
import torch

from bench.gpu import require_cuda
from bench.stats import timed
from describer import network
from describer.suggestions import suggest
from imagemodel import world

log = logging.getLogger("bench.describe_gpu")


def read_on(model: network.Describer, device: str, image: np.ndarray) -> list[str]:
    batch = network.to_tensor([network.to_input(image)]).to(device)
    with torch.inference_mode():
        background, heads = network.split(model(batch))
        reading = network.Reading(
            background.softmax(-1)[0].cpu().numpy(),
            *(heads[name].softmax(-1)[0].cpu().numpy() for name in ("shape", "colour", "size")),
        )
    return [s.text for s in suggest(reading)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--sizes", type=int, nargs="+", default=[512, 1024])
    parser.add_argument("--blip", type=Path, help="a BLIP captioning model directory to time as well")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    require_cuda(log)
    cpu_model = network.load()
    gpu_model = network.load().to("cuda")
    scene = world.sample_scene(np.random.default_rng(0))
    for size in args.sizes:
        image = world.render(scene, size=size)
        cpu = timed(lambda _: read_on(cpu_model, "cpu", image), args.runs)
        gpu = timed(lambda _: read_on(gpu_model, "cuda", image), args.runs, torch.cuda.synchronize)
        log.info("describer %d px: GPU %s; CPU (1 thread) %s", size, gpu.seconds(4), cpu.seconds(4))
    if args.blip:
        from describer.mounted import BlipDescriber

        blip = BlipDescriber(args.blip, device="cuda")
        image = world.render(scene, size=512)
        latencies = timed(lambda _: blip.describe(image), args.runs, torch.cuda.synchronize)
        log.info("BLIP %s: %s; %s", args.blip, latencies.seconds(4), blip.describe(image))


if __name__ == "__main__":
    main()
