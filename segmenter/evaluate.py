"""Figures for the model card: foreground IoU on held-out world scenes and on the default model's images.

    python -m segmenter.evaluate [--scenes 500] [--generated 60] [--steps 25]

World scenes: EVAL_SEED, never used in training (train.py draws from its own seed); the truth is
the rendered mask. The default model's images (imagemodel's shipped tiny-diffusion weights, the
held-out prompts of imagemodel.evaluate): the truth is the evaluator's own reading of the object,
every pixel farther than imagemodel.evaluate.FOREGROUND_DISTANCE from the median border colour.
The same colour-distance rule is reported on world scenes as a baseline.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from imagemodel import evaluate as image_evaluate
from segmenter import network, scenes

EVAL_SEED = 1000


def iou(truth: np.ndarray, predicted: np.ndarray) -> float:
    """Intersection over union of two boolean masks (1.0 when both are empty)."""
    union = np.logical_or(truth, predicted).sum()
    return 1.0 if union == 0 else float(np.logical_and(truth, predicted).sum() / union)


def colour_distance_mask(image: np.ndarray) -> np.ndarray:
    """The evaluator's rule: far from the median border colour is foreground."""
    background = np.median(image_evaluate.border_pixels(image), axis=0)
    distance = np.linalg.norm(image.astype(np.float32) - background, axis=2)
    return distance > image_evaluate.FOREGROUND_DISTANCE


def mean(values: Iterable[float]) -> float:
    return round(float(np.mean(list(values))), 4)


def world_figures(model: torch.nn.Module, count: int, seed: int = EVAL_SEED) -> dict[str, float]:
    """Mean IoU (masks at 0.5) of the segmenter and of the colour-distance baseline."""
    pairs = scenes.samples(seed, count)
    return {
        "segmenter_iou": mean(iou(mask > 0.5, network.foreground(model, image) > 0.5) for image, mask in pairs),
        "colour_distance_iou": mean(iou(mask > 0.5, colour_distance_mask(image)) for image, mask in pairs),
        "scenes": count,
    }


def generated_images(count: int, steps: int) -> list[np.ndarray]:
    """count images of the shipped default model at its native size, one per held-out prompt in turn."""
    from imagemodel import pipelines

    pipeline = pipelines.load_pipeline("tiny-diffusion")
    width, height = pipeline.native_size(0, 0)
    prompts = image_evaluate.held_out_prompts()
    return [
        pipeline.generate(prompts[i % len(prompts)][0], "", [i], steps, pipelines.DEFAULT_GUIDANCE, width, height)[0]
        for i in range(count)
    ]


def generated_figures(model: torch.nn.Module, images: list[np.ndarray]) -> dict[str, float]:
    """Mean IoU against the evaluator's reading of each image, at the image's own size and upsampled
    to 512 px as the service serves it."""
    served = [np.asarray(Image.fromarray(image).resize((512, 512), Image.Resampling.BICUBIC)) for image in images]
    return {
        "segmenter_iou": mean(iou(colour_distance_mask(i), network.foreground(model, i) > 0.5) for i in images),
        "segmenter_iou_served_512": mean(
            iou(colour_distance_mask(i), network.foreground(model, i) > 0.5) for i in served
        ),
        "images": len(images),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenes", type=int, default=500)
    parser.add_argument("--generated", type=int, default=60)
    parser.add_argument("--steps", type=int, default=25, help="the default model's denoising steps")
    parser.add_argument("--weights", type=Path, default=network.WEIGHTS_FILE)
    args = parser.parse_args()
    torch.set_num_threads(1)
    model = network.load(args.weights)
    figures = {
        "world": world_figures(model, args.scenes),
        "default_model": generated_figures(model, generated_images(args.generated, args.steps)),
    }
    sys.stdout.write(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
