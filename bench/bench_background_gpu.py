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

import numpy as np
import torch
import torch.nn.functional as F

from bench.gpu import require_cuda
from bench.stats import Latencies, timed
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


def timed_cut_out(model: torch.nn.Module, image: torch.Tensor, runs: int, sync) -> Latencies:
    with torch.inference_mode():
        return timed(lambda _: cut_out(model, image), runs, sync)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--sizes", type=int, nargs="+", default=[512, 1024, 2048])
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    require_cuda(log)
    cpu_model = network.load()
    gpu_model = network.load().to("cuda")
    scene = world.sample_scene(np.random.default_rng(0))
    for size in args.sizes:
        image = torch.from_numpy(world.render(scene, size=size)).permute(2, 0, 1)[None].float() / 255.0
        cpu = timed_cut_out(cpu_model, image, max(3, args.runs // 5), lambda: None)
        gpu = timed_cut_out(gpu_model, image.to("cuda"), args.runs, torch.cuda.synchronize)
        log.info("%d px: GPU %s; CPU (1 thread) %s; %.0fx", size, gpu.seconds(4), cpu.seconds(3), cpu.p50 / gpu.p50)


if __name__ == "__main__":
    main()
