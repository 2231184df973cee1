"""Train the describer from scratch on rendered world scenes; deterministic for a given --threads.

    python -m describer.train [--steps 3000] [--out describer/weights/describer.safetensors]

The scenes, their tilts, the degradations and the initial weights depend only on --seed; the
held-out (shape, colour, background) triples are never drawn. A few minutes on one CPU thread.
"""

from __future__ import annotations

import logging

import numpy as np
import torch
import torch.nn.functional as F

from describer import scenes
from describer.network import WEIGHTS_FILE, Describer, parameter_count, split, to_tensor
from training import command, loop

log = logging.getLogger("describer.train")

TRAIN_SEED = 1  # evaluate.py draws its held-out scenes from another seed
LEARNING_RATE = 2e-3
# The platform's stand-in's drawings, drawn up front and in each batch, per rendered scene.
STANDIN_PER_SCENE = 0.5


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
    images = scenes.render_all(world_scenes, scenes.sample_tilts(seed, world_scenes))
    labels = scenes.labels_of(world_scenes)
    drawings, drawn_labels = scenes.standin_examples(seed, round(count * STANDIN_PER_SCENE))
    model = Describer()
    log.info("%d parameters, %d training scenes, %d stand-in drawings", parameter_count(model), count, len(drawings))

    def batch_loss(model: Describer) -> torch.Tensor:
        index = rng.integers(count, size=batch)
        drawn = rng.integers(len(drawings), size=round(batch * STANDIN_PER_SCENE))
        inputs = np.concatenate([scenes.degrade(scenes.displace(images[index], rng), rng), drawings[drawn]])
        targets = scenes.joined(batch_labels(labels, index), batch_labels(drawn_labels, drawn))
        return loss_of(model, to_tensor(inputs), targets)

    return loop.fit(model, batch_loss, steps=steps, learning_rate=LEARNING_RATE, log=log, log_every=250)


def main() -> None:
    command.main(__doc__ or "", train, weights_file=WEIGHTS_FILE, steps=4000, scenes=20000, batch=64, seed=TRAIN_SEED)


if __name__ == "__main__":
    main()
