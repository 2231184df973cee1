"""Train the 2x upscaler from scratch on world pairs; deterministic for a given --threads.

    python -m upscaler.train [--steps 3000] [--out upscaler/weights/upscaler.safetensors]

The data, crops and initial weights depend only on --seed; with the same thread count the same
weights come out. A few minutes on one CPU thread.
"""

from __future__ import annotations

import argparse
import logging
import math
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import save_file

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
    optimiser = torch.optim.Adam(model.parameters(), lr=2e-3)
    started = time.monotonic()
    for step in range(steps):
        for group in optimiser.param_groups:
            group["lr"] = 2e-3 * 0.5 * (1 + math.cos(math.pi * step / steps))
        low, high = crop_batch(data, rng, batch)
        loss = F.l1_loss(model(low), high)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        if step % 200 == 0 or step == steps - 1:
            log.info("step %d loss %.5f (%.0fs)", step, loss.item(), time.monotonic() - started)
    return model.eval()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--scenes", type=int, default=2000, help="training pairs rendered up front")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--seed", type=int, default=TRAIN_SEED)
    parser.add_argument("--threads", type=int, default=1, help="torch threads; part of what makes a run repeatable")
    parser.add_argument("--out", type=Path, default=WEIGHTS_FILE)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    torch.set_num_threads(args.threads)
    model = train(args.steps, args.scenes, args.batch, args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    save_file({name: tensor.contiguous() for name, tensor in model.state_dict().items()}, str(args.out))
    log.info("wrote %s", args.out)


if __name__ == "__main__":
    main()
