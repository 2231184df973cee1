"""The describer network: a small CNN that reads a world image into per-attribute probabilities.

The scene is read in slots, one per place an object can be (left, right, top, bottom, centre): for
each slot, whether it holds an object and which shape (none, circle, square, triangle, star), its
colour and its size; and the background colour. A one-object scene fills one slot, a two-object
scene two opposite ones. It sees pixels only: the image is box-filtered to 32x32 (the world's own
scale, whatever size was served) and nothing else goes in.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from safetensors.torch import load_file
from torch import nn

from imagemodel import world

WEIGHTS_FILE = Path(__file__).parent / "weights" / "describer.safetensors"
INPUT_SIDE = 32
SLOTS = world.POSITIONS  # left, right, top, bottom, centre
SLOT_SHAPES = ("none", *world.SHAPES)
HEADS = {"shape": len(SLOT_SHAPES), "colour": len(world.COLOURS), "size": len(world.SIZES)}
PER_SLOT = sum(HEADS.values())
OUTPUTS = len(world.COLOURS) + len(SLOTS) * PER_SLOT


class Describer(nn.Module):
    def __init__(self, width: int = 16, hidden: int = 128) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, width, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),  # 16
            nn.Conv2d(width, 2 * width, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(2 * width, 2 * width, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),  # 8
            nn.Conv2d(2 * width, 64, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),  # 4: where things are survives in the flattened map
        )
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(64 * 4 * 4, hidden), nn.ReLU(), nn.Linear(hidden, OUTPUTS))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """images: (n, 3, 32, 32) in [0, 1] -> logits (n, OUTPUTS); `split` names them."""
        return self.head(self.features(images))


def split(logits: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """(background logits (n, 8), {head: logits (n, slots, classes)})."""
    background = logits[:, : len(world.COLOURS)]
    slots = logits[:, len(world.COLOURS) :].reshape(-1, len(SLOTS), PER_SLOT)
    heads, start = {}, 0
    for name, count in HEADS.items():
        heads[name] = slots[:, :, start : start + count]
        start += count
    return background, heads


@dataclass(frozen=True)
class Reading:
    """Probabilities of one image: background (8,), and per slot shape (5,), colour (8,), size (3,)."""

    background: np.ndarray
    shape: np.ndarray  # (slots, 5); column 0: the slot is empty
    colour: np.ndarray  # (slots, 8)
    size: np.ndarray  # (slots, 3)


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def load(weights: Path = WEIGHTS_FILE) -> Describer:
    """The shipped (or given) weights, in eval mode. Offline: reads one local file."""
    model = Describer()
    model.load_state_dict(load_file(str(weights)))
    return model.eval()


def to_input(image: np.ndarray) -> np.ndarray:
    """uint8 (h, w, 3) at any size -> uint8 (32, 32, 3), box-filtered (area average)."""
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"the image must be uint8 of shape (height, width, 3), got {image.dtype} {image.shape}")
    if image.shape[:2] == (INPUT_SIDE, INPUT_SIDE):
        return image
    resized = Image.fromarray(image).resize((INPUT_SIDE, INPUT_SIDE), Image.Resampling.BOX)
    return np.asarray(resized, dtype=np.uint8)


def to_tensor(images: list[np.ndarray] | np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.stack(list(images))).permute(0, 3, 1, 2).float() / 255.0


def read(model: Describer, images: list[np.ndarray]) -> list[Reading]:
    """The probabilities of each uint8 RGB image (any size)."""
    batch = to_tensor([to_input(image) for image in images])
    with torch.inference_mode():
        background_logits, heads = split(model(batch))
        background = background_logits.softmax(-1).numpy()
        probabilities = {name: logits.softmax(-1).numpy() for name, logits in heads.items()}
    return [
        Reading(background[i], probabilities["shape"][i], probabilities["colour"][i], probabilities["size"][i])
        for i in range(len(images))
    ]
