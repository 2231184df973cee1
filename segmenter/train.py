"""Train the segmenter from scratch on world scenes and their masks; deterministic for a given --threads.

    python -m segmenter.train [--steps 1500] [--out segmenter/weights/segmenter.safetensors]

The scenes, the augmentation and the initial weights depend only on --seed; with the same thread
count the same weights come out. A few minutes on one CPU thread.

Augmentation (flips, colour shifts, blur, noise) stands in for what the default model's own
images have and world renders do not: colours a little off the palette, soft edges, grain.
"""

from __future__ import annotations

import logging

import numpy as np
import torch
import torch.nn.functional as F

from segmenter import scenes
from segmenter.network import WEIGHTS_FILE, Segmenter, parameter_count
from training import command, loop

log = logging.getLogger("segmenter.train")

TRAIN_SEED = 1  # evaluate.py draws its held-out scenes from another seed


def augment(images: torch.Tensor, masks: torch.Tensor, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """images (n, 3, h, w) in [0, 1], masks (n, 1, h, w): the same flips on both; colour, blur and
    noise on the images only."""
    count = images.shape[0]
    if torch.rand((), generator=generator) < 0.5:
        images, masks = images.flip(3), masks.flip(3)
    if torch.rand((), generator=generator) < 0.5:
        images, masks = images.flip(2), masks.flip(2)
    images = images + (torch.rand((count, 3, 1, 1), generator=generator) - 0.5) * 0.16
    blurred = F.avg_pool2d(F.pad(images, (1, 1, 1, 1), mode="replicate"), 3, stride=1)
    blur = (torch.rand((count, 1, 1, 1), generator=generator) < 0.4).float()
    images = blur * blurred + (1 - blur) * images
    noise = torch.rand((count, 1, 1, 1), generator=generator) * 0.06
    images = images + noise * torch.randn(images.shape, generator=generator)
    return images.clamp(0.0, 1.0), masks


def to_tensors(data: list[tuple[np.ndarray, np.ndarray]]) -> tuple[torch.Tensor, torch.Tensor]:
    images = torch.from_numpy(np.stack([image for image, _ in data])).permute(0, 3, 1, 2).float() / 255.0
    masks = torch.from_numpy(np.stack([mask for _, mask in data]))[:, None]
    return images, masks


def train(steps: int, count: int, batch: int, seed: int) -> Segmenter:
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    images, masks = to_tensors(scenes.samples(seed, count))
    model = Segmenter()
    log.info("%d parameters, %d training scenes", parameter_count(model), count)

    def batch_loss(model: Segmenter) -> torch.Tensor:
        index = torch.randint(count, (batch,), generator=generator)
        batch_images, batch_masks = augment(images[index], masks[index], generator)
        return F.binary_cross_entropy_with_logits(model(batch_images), batch_masks)

    return loop.fit(model, batch_loss, steps=steps, learning_rate=3e-3, log=log, log_every=100)


def main() -> None:
    command.main(__doc__ or "", train, weights_file=WEIGHTS_FILE, steps=1500, scenes=3000, batch=16, seed=TRAIN_SEED)


if __name__ == "__main__":
    main()
