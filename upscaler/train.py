"""Train the 2x upscaler from scratch on world pairs; deterministic for a given --threads.

    python -m upscaler.train [--steps 3000] [--out upscaler/weights/upscaler.safetensors]

The data, crops and initial weights depend only on --seed; with the same thread count the same
weights come out. A few minutes on one CPU thread.
"""

from __future__ import annotations

import logging

import numpy as np
import torch
import torch.nn.functional as F

from training import command, loop
from upscaler import pairs
from upscaler.network import WEIGHTS_FILE, Upscaler, parameter_count

log = logging.getLogger("upscaler.train")

TRAIN_SEED = 1  # evaluate.py draws its held-out pairs from another seed
PATCH = 24  # low-resolution crop side; every LOW_SIZE is at least this


def to_tensor(images: list[np.ndarray]) -> torch.Tensor:
    return torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).float() / 255.0


def crop_batch(
    data: list[tuple[np.ndarray, np.ndarray]], rng: np.random.Generator, size: int
) -> tuple[torch.Tensor, torch.Tensor]:
    lows, highs = [], []
    for index in rng.integers(len(data), size=size):
        low, high = data[index]
        y, x = (int(rng.integers(side - PATCH + 1)) for side in low.shape[:2])
        lows.append(low[y : y + PATCH, x : x + PATCH])
        highs.append(high[2 * y : 2 * (y + PATCH), 2 * x : 2 * (x + PATCH)])
    return to_tensor(lows), to_tensor(highs)


def train(steps: int, scenes: int, batch: int, seed: int) -> Upscaler:
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    data = pairs.pairs(seed, scenes)
    model = Upscaler()
    log.info("%d parameters, %d training pairs", parameter_count(model), len(data))

    def batch_loss(model: Upscaler) -> torch.Tensor:
        low, high = crop_batch(data, rng, batch)
        return F.l1_loss(model(low), high)

    return loop.fit(model, batch_loss, steps=steps, learning_rate=2e-3, log=log, log_every=200)


def main() -> None:
    command.main(__doc__ or "", train, weights_file=WEIGHTS_FILE, steps=3000, scenes=2000, batch=16, seed=TRAIN_SEED)


if __name__ == "__main__":
    main()
