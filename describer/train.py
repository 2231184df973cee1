"""Train the describer from scratch on rendered world scenes; deterministic for a given --threads.

    python -m describer.train [--steps 3000] [--out describer/weights/describer.safetensors]

The scenes, the degradations and the initial weights depend only on --seed; the held-out
(shape, colour, background) triples are never drawn. A few minutes on one CPU thread.
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

from describer import scenes
from describer.network import WEIGHTS_FILE, Describer, parameter_count, split, to_tensor

log = logging.getLogger("describer.train")

TRAIN_SEED = 1  # evaluate.py draws its held-out scenes from another seed
LEARNING_RATE = 2e-3


def loss_of(model: Describer, images: torch.Tensor, labels: scenes.Labels) -> torch.Tensor:
    background, heads = split(model(images))
    loss = F.cross_entropy(background, torch.from_numpy(labels.background))
    for name in ("shape", "colour", "size"):
        logits = heads[name]
        target = torch.from_numpy(getattr(labels, name))
        flat = logits.reshape(-1, logits.shape[-1])
        loss = loss + F.cross_entropy(flat, target.reshape(-1), ignore_index=scenes.IGNORE)
    return loss


def batch_labels(labels: scenes.Labels, index: np.ndarray) -> scenes.Labels:
    return scenes.Labels(labels.background[index], labels.shape[index], labels.colour[index], labels.size[index])


def train(steps: int, count: int, batch: int, seed: int) -> Describer:
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    world_scenes = scenes.sample_scenes(seed, count, exclude_held_out=True)
    images = scenes.render_all(world_scenes)
    labels = scenes.labels_of(world_scenes)
    model = Describer()
    log.info("%d parameters, %d training scenes", parameter_count(model), count)
    optimiser = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    started = time.monotonic()
    for step in range(steps):
        for group in optimiser.param_groups:
            group["lr"] = LEARNING_RATE * 0.5 * (1 + math.cos(math.pi * step / steps))
        index = rng.integers(count, size=batch)
        loss = loss_of(model, to_tensor(scenes.degrade(images[index], rng)), batch_labels(labels, index))
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        if step % 250 == 0 or step == steps - 1:
            log.info("step %d loss %.4f (%.0fs)", step, loss.item(), time.monotonic() - started)
    return model.eval()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--scenes", type=int, default=20000, help="training scenes rendered up front")
    parser.add_argument("--batch", type=int, default=64)
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
