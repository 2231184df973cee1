"""The canvas actions with the built-in model (tiny-diffusion, no server, CPU): latency p50/p95 per
action, and evaluator figures over many fills and extends. Logs figures for imagemodel/MODEL_CARD.md
("Canvas: magic fill and extend"); never a test (tests/model checks a handful against thresholds).

    python -m bench.bench_canvas [--runs 10] [--threads 1] [--seeds 2] [--steps 25]

Fill: every REMIX_SOURCE (drawn at 512 px) with its centre (the middle 3/4 of each side) masked and
filled with every REMIX_PROMPT, one image per seed: `follows` is the share the evaluator reads as the
prompt's shape and colour inside the mask (the prompts' backgrounds are not asked: the known pixels
decide it), `background_kept` the share whose filled region carries the source's background on, and
`outside_mad` the mean absolute difference outside the mask (0: untouched). Extend: each source
grown right by half its side with its own prompt: `original_kept` the share whose original pixels
are unchanged at the offset, and `new_background` the share whose new strip is read with the
source's background colour.
"""

from __future__ import annotations

import argparse
import logging
import time

import numpy as np
import torch

from bench.stats import Latencies
from imagemodel import evaluate
from imagemodel.pipelines import DEFAULT_GUIDANCE, DEFAULT_STEPS, load_pipeline

log = logging.getLogger("bench.canvas")
SIZE = 512


def centre_mask(size: int = SIZE) -> np.ndarray:
    mask = np.zeros((size, size), dtype=np.uint8)
    mask[size // 8 : -size // 8, size // 8 : -size // 8] = 255
    return mask


def extend_canvas(source: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Grown right by half its width, as services/generation/actions/extend.py builds it."""
    width = source.shape[1]
    canvas = np.pad(source, ((0, 0), (0, width // 2), (0, 0)), mode="edge")
    mask = np.zeros(canvas.shape[:2], dtype=np.uint8)
    mask[:, width:] = 255
    return canvas, mask


def prompt_words(prompt: str) -> tuple[str, str]:
    """(colour, shape) of a REMIX_PROMPT: "a green star on a white background" -> green, star."""
    words = prompt.split()
    return words[1], words[2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10, help="timed runs per action (after one warm-up)")
    parser.add_argument("--threads", type=int, default=1, help="the Triton model runs one thread per instance")
    parser.add_argument("--seeds", type=int, default=2, help="images per (source, prompt) in the figures")
    parser.add_argument("--steps", type=int, default=DEFAULT_STEPS)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    torch.set_num_threads(args.threads)
    pipeline = load_pipeline("tiny-diffusion")
    mask = centre_mask()
    inside = (slice(SIZE // 8, -SIZE // 8), slice(SIZE // 8, -SIZE // 8))

    def fill(source, prompt, seeds):
        words = " ".join(prompt.split()[:3])  # "a green star": the known pixels decide the background
        return pipeline.generate(
            words, "", seeds, args.steps, DEFAULT_GUIDANCE, SIZE, SIZE, init_image=source, mask=mask
        )

    def extend(source, prompt, seeds):
        canvas, strip = extend_canvas(source)
        height, width = strip.shape
        return pipeline.generate(
            prompt, "", seeds, args.steps, DEFAULT_GUIDANCE, width, height, init_image=canvas, mask=strip
        )

    source = evaluate.remix_source(*evaluate.REMIX_SOURCES[0])
    for name, action in (("fill", fill), ("extend", extend)):
        timings = []
        for run in range(args.runs + 1):  # the first run warms up and is not counted
            started = time.perf_counter()
            action(source, evaluate.REMIX_PROMPTS[0], [run])
            if run:
                timings.append(time.perf_counter() - started)
        figures = Latencies.of(timings)
        log.info(
            "%s, 1 image at %d px, %d steps, %d threads: p50 %.2f s, p95 %.2f s over %d runs",
            name, SIZE, args.steps, args.threads, figures.p50, figures.p95, figures.n,
        )  # fmt: skip

    follows, background_kept, outside = [], [], []
    for s, spec in enumerate(evaluate.REMIX_SOURCES):
        source = evaluate.remix_source(*spec)
        for p, prompt in enumerate(evaluate.REMIX_PROMPTS):
            seeds = [evaluate.remix_seed(s, p) + k for k in range(args.seeds)]
            colour, shape = prompt_words(prompt)
            for image in fill(source, prompt, seeds):
                reading = evaluate.measure(evaluate.at_evaluation_scale(image[inside]))
                follows.append(reading.shape == shape and reading.colour == colour)
                if not follows[-1]:
                    log.info("fill of %s with %r read as %s %s", spec, prompt, reading.colour, reading.shape)
                background_kept.append(reading.background == spec[2])
                outside.append(float(np.abs(image[mask == 0].astype(int) - source[mask == 0]).mean()))
    log.info(
        "fill over %d images: follows %.1f%%, background carried on %.1f%%, outside mean abs difference %.3f",
        len(follows), 100 * np.mean(follows), 100 * np.mean(background_kept), float(np.mean(outside)),
    )  # fmt: skip

    kept, new_background = [], []
    for s, spec in enumerate(evaluate.REMIX_SOURCES):
        source = evaluate.remix_source(*spec)
        prompt = f"a {spec[1]} {spec[0]} on a {spec[2]} background"
        seeds = [evaluate.remix_seed(s, 9) + k for k in range(args.seeds)]
        for image in extend(source, prompt, seeds):
            kept.append(bool(np.array_equal(image[:, :SIZE], source)))
            strip = evaluate.at_evaluation_scale(image[:, SIZE:])
            new_background.append(evaluate.nearest_colour(np.median(evaluate.border_pixels(strip), axis=0)) == spec[2])
    log.info(
        "extend over %d images: original kept exactly %.1f%%, new strip's background the source's %.1f%%",
        len(kept), 100 * np.mean(kept), 100 * np.mean(new_background),
    )  # fmt: skip


if __name__ == "__main__":
    main()
