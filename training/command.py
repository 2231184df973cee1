"""The command line every training script shares: `python -m <package>.train [--steps N] [--scenes N]
[--batch N] [--seed N] [--threads N] [--out FILE]`, which trains and writes the weights as safetensors.

The thread count is part of what makes a run repeatable: torch sums in a different order on more
threads, so the same arguments give byte-identical weights only with the same --threads.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable
from pathlib import Path

import torch
from safetensors.torch import save_file

# (steps, scenes, batch, seed) -> the trained network
Train = Callable[[int, int, int, int], torch.nn.Module]


def main(description: str, train: Train, *, weights_file: Path, steps: int, scenes: int, batch: int, seed: int) -> None:
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=steps)
    parser.add_argument("--scenes", type=int, default=scenes, help="training examples rendered up front")
    parser.add_argument("--batch", type=int, default=batch)
    parser.add_argument("--seed", type=int, default=seed)
    parser.add_argument("--threads", type=int, default=1, help="torch threads; part of what makes a run repeatable")
    parser.add_argument("--out", type=Path, default=weights_file)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    torch.set_num_threads(args.threads)
    model = train(args.steps, args.scenes, args.batch, args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    save_file({name: tensor.contiguous() for name, tensor in model.state_dict().items()}, str(args.out))
    logging.getLogger(__name__).info("wrote %s", args.out)
