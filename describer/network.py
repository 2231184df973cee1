"""The describer network: a small CNN that reads a world image into per-attribute probabilities.

The scene is read in slots, one per place an object can be (left, right, top, bottom, centre): for
each slot, whether it holds an object and which shape (none, circle, square, triangle, star), its
colour and its size; and the background colour. A one-object scene fills one slot, a two-object
scene two opposite ones. It sees pixels only: the image is box-filtered to 32x32 (the world's own
scale, whatever size was served) and nothing else goes in.

A non-square image is read twice over: squeezed to 32x32 whole, for where things are (the slots
name places in the frame the user sees) and the background; and in square windows of its short
side, where shapes keep their proportions, for what each slot holds (shape, colour, size).
"""

from __future__ import annotations

from collections.abc import Callable
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
# Squeezed to 32x32 whole, a 16:9 image's circles are tall ellipses 6-10 px wide and 11% of them were
# named another shape; in a square of its short side a shape keeps its proportions. Each slot's object
# is read in three such squares a tenth of a side apart and the readings averaged: the network learnt
# five places, and an object between two of a square's places reads less surely.
WINDOW_SHIFTS = (-0.1, 0.0, 0.1)
INPUTS_PER_PASS = 512  # a non-square image is up to 10 inputs: bounds the memory of reading many


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


Box = tuple[int, int, int, int]  # left, top, right, bottom in the image's pixels


def _check(image: np.ndarray) -> np.ndarray:
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"the image must be uint8 of shape (height, width, 3), got {image.dtype} {image.shape}")
    return image


def _box_filtered(picture: Image.Image, box: Box | None = None) -> np.ndarray:
    """The picture (or its box) -> uint8 (32, 32, 3), area averaged."""
    return np.asarray(picture.resize((INPUT_SIDE, INPUT_SIDE), Image.Resampling.BOX, box=box), dtype=np.uint8)


def to_input(image: np.ndarray) -> np.ndarray:
    """uint8 (h, w, 3) at any size -> uint8 (32, 32, 3), box-filtered (area average)."""
    if _check(image).shape[:2] == (INPUT_SIDE, INPUT_SIDE):
        return image
    return _box_filtered(Image.fromarray(image))


def to_tensor(images: list[np.ndarray] | np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.stack(list(images))).permute(0, 3, 1, 2).float() / 255.0


@dataclass(frozen=True)
class Window:
    """Squares of the image's short side around one slot's place, and their slots in which that
    slot's object is read: a left object in a wide frame sits near the centre of its squares."""

    boxes: tuple[Box, ...]
    slots: tuple[int, ...]


def _square_at(centre: float, width: int, height: int) -> Box:
    side, long_side = min(width, height), max(width, height)
    start = int(np.clip(round(centre - side / 2), 0, long_side - side))
    return (start, 0, start + side, side) if width > height else (0, start, side, start + side)


def windows(width: int, height: int) -> list[Window]:
    """Per slot, squares of the short side centred on the slot's anchor along the long side (kept
    inside the image) and WINDOW_SHIFTS of a side either way."""
    side, long_side = min(width, height), max(width, height)
    centre = SLOTS.index("centre")
    result = []
    for slot, position in enumerate(SLOTS):
        along = world.POSITION_ANCHOR[position][0 if width > height else 1]
        middle = float(np.clip(along * long_side, side / 2, long_side - side / 2))
        boxes = tuple(_square_at(middle + shift * side, width, height) for shift in WINDOW_SHIFTS)
        result.append(Window(boxes, (slot,) if along == 0.5 else (slot, centre)))
    return result


def _distinct_boxes(slot_windows: list[Window]) -> list[Box]:
    return list(dict.fromkeys(box for window in slot_windows for box in window.boxes))


def _inputs(image: np.ndarray) -> tuple[list[np.ndarray], list[Window]]:
    """The network's inputs: the image whole, then (non-square only) each distinct square its slots
    are read in; and the slots' windows."""
    height, width = _check(image).shape[:2]
    slot_windows = windows(width, height) if width != height else []
    picture = Image.fromarray(image)  # PIL's box argument, where a numpy slice would be copied first
    squares = [_box_filtered(picture, box) for box in _distinct_boxes(slot_windows)]
    return [to_input(image), *squares], slot_windows


def _read_inputs(model: Describer, inputs: list[np.ndarray]) -> list[Reading]:
    with torch.inference_mode():
        passes = range(0, len(inputs), INPUTS_PER_PASS)
        logits = torch.cat([model(to_tensor(inputs[i : i + INPUTS_PER_PASS])) for i in passes])
        background_logits, heads = split(logits)
        background = background_logits.softmax(-1).numpy()
        probabilities = {name: logits.softmax(-1).numpy() for name, logits in heads.items()}
    return [
        Reading(background[i], probabilities["shape"][i], probabilities["colour"][i], probabilities["size"][i])
        for i in range(len(inputs))
    ]


def _shape_given_present(reading: Reading, slot: int) -> np.ndarray:
    return reading.shape[slot, 1:] / max(float(reading.shape[slot, 1:].sum()), 1e-9)


def _weighted(seen: list[tuple[Reading, int]], part: Callable[[Reading, int], np.ndarray]) -> np.ndarray:
    """part(reading, slot) averaged over seen, each counted as surely as its slot holds an object
    (and all alike where none does)."""
    weights = [1.0 - reading.shape[slot, 0] + 1e-6 for reading, slot in seen]
    return np.average([part(reading, slot) for reading, slot in seen], axis=0, weights=weights)


def read_in_windows(whole: Reading, squares: dict[Box, Reading], slot_windows: list[Window]) -> Reading:
    """Where things are and the background from the whole image; what each slot holds from its
    squares' readings of their window slots, each counted as surely as it holds an object (a bottom
    triangle of a 9:16 frame, centred on its centroid, sits between two slots of its square: read in
    the likeliest slot of each square, 8 of 112 were misnamed)."""
    shape, colour, size = whole.shape.copy(), whole.colour.copy(), whole.size.copy()
    for slot, window in enumerate(slot_windows):
        seen = [(squares[box], held) for box in window.boxes for held in window.slots]
        shape[slot, 1:] = (1.0 - whole.shape[slot, 0]) * _weighted(seen, _shape_given_present)
        colour[slot] = _weighted(seen, lambda reading, held: reading.colour[held])
        size[slot] = _weighted(seen, lambda reading, held: reading.size[held])
    return Reading(whole.background, shape, colour, size)


def read(model: Describer, images: list[np.ndarray]) -> list[Reading]:
    """The probabilities of each uint8 RGB image (any size)."""
    per_image = [_inputs(image) for image in images]
    readings = iter(_read_inputs(model, [one for inputs, _ in per_image for one in inputs]))
    result = []
    for _, slot_windows in per_image:
        whole = next(readings)
        squares = {box: next(readings) for box in _distinct_boxes(slot_windows)}
        result.append(read_in_windows(whole, squares, slot_windows) if slot_windows else whole)
    return result
