"""The canvas actions' mounted-weights path on a lent GPU: diffusers' StableDiffusionInpaintPipeline
(StableDiffusionPipelineAdapter's fill, built from_pipe on the txt2img components) with a Stable
Diffusion 1.5-sized pipeline of random weights (they cost exactly what trained ones do; see
bench_sd_triton_gpu.py), fill and extend of a 512 px image, p50/p95 per action, batch 1, fp16 on
CUDA. On a machine without CUDA it says so and stops, unless --device cpu --tiny (a smoke run of the
whole path in seconds). Never a test.

    HF_HUB_OFFLINE=1 .venv/bin/python -m bench.bench_canvas_gpu [--runs 10] [--steps 20] [--size 512]

Figures go to imagemodel/MODEL_CARD.md ("Canvas: magic fill and extend") with the card's name.
"""

from __future__ import annotations

import argparse
import logging
import sys

import numpy as np
import torch

from bench.stats import timed
from imagemodel import evaluate
from imagemodel.pipelines import StableDiffusionPipelineAdapter
from tests.support.stable_diffusion import SD15, TINY, random_stable_diffusion

log = logging.getLogger("bench.canvas_gpu")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--tiny", action="store_true", help="tiny UNet/VAE/CLIP: a smoke run, not a figure")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        log.error("no CUDA device here: run this on a lent GPU (or --device cpu --tiny for a smoke run)")
        sys.exit(2)
    dtype = torch.float16 if args.device.startswith("cuda") else torch.float32
    pipeline = random_stable_diffusion(TINY if args.tiny else SD15).to(args.device, dtype)
    adapter = StableDiffusionPipelineAdapter(pipeline)
    size = args.size
    source = evaluate.remix_source("circle", "red", "white", "centre", size=size)
    centre = np.zeros((size, size), np.uint8)
    centre[size // 8 : -size // 8, size // 8 : -size // 8] = 255
    canvas = np.pad(source, ((0, 0), (0, size // 2), (0, 0)), mode="edge")
    strip = np.zeros(canvas.shape[:2], np.uint8)
    strip[:, size:] = 255
    cases = {
        "fill": (source, centre, size, size),
        "extend": (canvas, strip, size + size // 2, size),
    }
    sync = torch.cuda.synchronize if args.device.startswith("cuda") else (lambda: None)
    for name, (init, mask, width, height) in cases.items():
        images: list[np.ndarray] = []

        def draw(run: int, init=init, mask=mask, width=width, height=height) -> None:
            images[:] = adapter.generate(
                "a blue square", "", [run], args.steps, 7.5, width, height, init_image=init, mask=mask
            )

        figures = timed(draw, args.runs, sync)
        assert np.array_equal(images[0][mask == 0], init[mask == 0])
        log.info(
            "%s on %s (%s), %dx%d px, %d steps: p50 %.3f s, p95 %.3f s over %d runs",
            name, args.device, "tiny" if args.tiny else "SD 1.5-sized", width, height, args.steps,
            figures.p50, figures.p95, figures.n,
        )  # fmt: skip


if __name__ == "__main__":
    main()
