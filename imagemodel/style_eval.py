"""How well a custom style (imagemodel/style_lora.py) is learned from a handful of images.

    python -m imagemodel.style_eval [--styles pastel,sepia] [--steps 300] [--prompts 16] [--out figures.json]

Each style set is 8 procedural scenes redrawn in a look the base model never draws: `pastel` (every
colour 60% of the way to white) and `sepia` (brightness mapped onto a brown-to-cream ramp). A style
trains on them as `style_train` serves it (captions read by the describer, the default), then the base
model and the styled one draw held-out prompts (the evaluator's held-out triples, one seed each) and:

- style adoption: `gamut share`, the share of pixels whose colour (16 levels a channel) occurs in the
  style set, and the palette distance (`style.palette_distance`, RGB units) to the nearest style-set
  image; both for the base model and the styled one.
- prompt following kept: the evaluator's shape and position reads (colour and background are what a
  style changes, so they are not asked for).

Deterministic for a given thread count; the figures go to MODEL_CARD.md ("Custom styles").
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Callable

import numpy as np
import torch

from imagemodel import evaluate, style_lora, style_train, world
from imagemodel.pipelines import DEFAULT_GUIDANCE, DEFAULT_STEPS, TinyDiffusionPipeline, load_pipeline
from imagemodel.style import palette_distance

log = logging.getLogger("imagemodel.style_eval")

STYLE_SET_SIZE = 8
GAMUT_LEVELS = 16
SEPIA_DARK = np.array([70.0, 40.0, 20.0])
SEPIA_LIGHT = np.array([250.0, 232.0, 196.0])


def pastel(image: np.ndarray) -> np.ndarray:
    return np.round(image.astype(np.float32) * 0.4 + 255 * 0.6).astype(np.uint8)


def sepia(image: np.ndarray) -> np.ndarray:
    brightness = image.astype(np.float32) @ np.array([0.299, 0.587, 0.114]) / 255.0
    return np.round(SEPIA_DARK + (SEPIA_LIGHT - SEPIA_DARK) * brightness[..., None]).astype(np.uint8)


STYLES: dict[str, Callable[[np.ndarray], np.ndarray]] = {"pastel": pastel, "sepia": sepia}


def style_set(name: str, seed: int = 2026) -> list[np.ndarray]:
    rng = np.random.default_rng((seed, list(STYLES).index(name)))
    return [
        STYLES[name](world.render(world.sample_scene(rng, two_object_probability=0.0))) for _ in range(STYLE_SET_SIZE)
    ]


def gamut(images: list[np.ndarray]) -> set[int]:
    return set(np.unique(_bins(np.stack(images))).tolist())


def _bins(images: np.ndarray) -> np.ndarray:
    q = images.astype(np.int64) * GAMUT_LEVELS // 256
    return (q[..., 0] * GAMUT_LEVELS + q[..., 1]) * GAMUT_LEVELS + q[..., 2]


def gamut_share(image: np.ndarray, colours: set[int]) -> float:
    return float(np.isin(_bins(image), list(colours)).mean())


def measure_style(pipeline: TinyDiffusionPipeline, training: list[np.ndarray], style, prompts, steps: int) -> dict:
    colours = gamut(training)
    figures: dict[str, dict[str, float]] = {}
    for label, scale in (("base", None), ("styled", 1.0)):
        shares, distances, reads = [], [], []
        for index, (prompt, spec) in enumerate(prompts):
            if scale is None:
                image = pipeline.generate(prompt, "", [index], steps, DEFAULT_GUIDANCE, 32, 32)[0]
            else:
                with style_lora.applied(pipeline.model.unet, style, scale):
                    image = pipeline.generate(prompt, "", [index], steps, DEFAULT_GUIDANCE, 32, 32)[0]
            shares.append(gamut_share(image, colours))
            distances.append(min(palette_distance(image, reference) for reference in training))
            reads.append(evaluate.score(evaluate.measure(image), spec))
        figures[label] = {
            "gamut_share": round(float(np.mean(shares)), 3),
            "palette_distance": round(float(np.mean(distances)), 1),
            "shape": round(float(np.mean([r["shape"] for r in reads])), 3),
            "position": round(float(np.mean([r["position"] for r in reads])), 3),
        }
    return figures


def run(styles: list[str], steps: int, prompt_count: int, threads: int) -> dict:
    pipeline = load_pipeline("tiny-diffusion")
    assert isinstance(pipeline, TinyDiffusionPipeline)
    read_caption = style_train.describer_captions()
    prompts = evaluate.held_out_prompts()[:prompt_count]
    results = {}
    for name in styles:
        training = style_set(name)
        started = time.perf_counter()
        style = style_train.train_style(
            pipeline, training, [""] * len(training), steps, seed=0, read_caption=read_caption, threads=threads
        )
        seconds = time.perf_counter() - started
        torch.set_num_threads(threads)
        results[name] = {
            "training_seconds": round(seconds, 1),
            "style_bytes": len(style_lora.to_bytes(style, pipeline.model)),
            **measure_style(pipeline, training, style, prompts, DEFAULT_STEPS),
        }
        log.info("%s: %s", name, json.dumps(results[name]))
    return {"steps": steps, "threads": threads, "images": STYLE_SET_SIZE, "prompts": len(prompts), "styles": results}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--styles", default=",".join(STYLES))
    parser.add_argument("--steps", type=int, default=style_train.DEFAULT_STEPS)
    parser.add_argument("--prompts", type=int, default=16)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", default="")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    figures = run(args.styles.split(","), args.steps, args.prompts, args.threads)
    text = json.dumps(figures, indent=2)
    sys.stdout.write(text + "\n")
    if args.out:
        with open(args.out, "w", encoding="utf-8") as out:
            out.write(text + "\n")


if __name__ == "__main__":
    main()
