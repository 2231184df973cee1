"""Figures for the model card: the upscaler against Lanczos and bicubic on held-out world pairs.

    python -m upscaler.evaluate [--pairs 200] [--weights upscaler/weights/upscaler.safetensors]

Held out: the pairs come from EVAL_SEED, never used in training (train.py draws from its own seed).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from upscaler import network, pairs
from upscaler.metrics import psnr, ssim

EVAL_SEED = 1000


def resample(image: np.ndarray, method: Image.Resampling) -> np.ndarray:
    height, width = image.shape[:2]
    return np.asarray(Image.fromarray(image).resize((2 * width, 2 * height), method))


def evaluate(weights: Path, count: int, seed: int = EVAL_SEED) -> dict[str, dict[str, float]]:
    """Mean PSNR (dB) and SSIM per method over `count` held-out pairs."""
    model = network.load(weights)
    methods: dict[str, Callable[[np.ndarray], np.ndarray]] = {
        "upscaler": lambda low: network.upscale(model, low),
        "lanczos": lambda low: resample(low, Image.Resampling.LANCZOS),
        "bicubic": lambda low: resample(low, Image.Resampling.BICUBIC),
    }
    scores: dict[str, dict[str, list[float]]] = {name: {"psnr": [], "ssim": []} for name in methods}
    for low, high in pairs.pairs(seed, count):
        for name, method in methods.items():
            out = method(low)
            scores[name]["psnr"].append(psnr(high, out))
            scores[name]["ssim"].append(ssim(high, out))
    return {name: {k: round(float(np.mean(v)), 4) for k, v in figures.items()} for name, figures in scores.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=200)
    parser.add_argument("--weights", type=Path, default=network.WEIGHTS_FILE)
    args = parser.parse_args()
    torch.set_num_threads(1)
    sys.stdout.write(json.dumps(evaluate(args.weights, args.pairs), indent=2) + "\n")


if __name__ == "__main__":
    main()
