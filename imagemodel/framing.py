"""Wide and tall frames, composed in the square the tiny model was trained on.

The UNet learned places ("on the left", "in the centre") in square frames. Sampled at a wide shape
directly, it draws an object where it would in a square, at one end of the long axis: at 16:9 every
"centre" prompt of the held-out set read as "left" (MODEL_CARD.md). So text-to-image at another
shape runs in two passes over the same seeds: the square, sampled as the model knows it, then the
frame drawn around it by inpainting with the square's pixels known, started as a remix of the
square on its background (FRAME_STRENGTH). The square sits in the frame at the side
the prompt asks for along the frame's long axis (against the left edge for "on the left" in a wide
frame), centred when the prompt names no side there or names both (two objects), and against the
frame's edge on a side its drawn object reaches (REACH). The caller sees one run: previews of the
frame, counted out of its own steps.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

PreviewCallback = Callable[[int, int, np.ndarray], None]

# The frame's pass starts from the square on its background, noised as a remix at this strength,
# rather than from noise: it runs half the steps, and the strip keeps to the background instead of
# drawing an object of its own (16:9, 68 held-out images: 1 with a second object, 2 from noise, 5
# sampled at the frame's shape directly).
FRAME_STRENGTH = 0.5


# A drawn object this near a side of its square reaches it: that side goes against the frame's edge,
# or the frame's pass would carry the object on past it (a sliver beside a circle).
REACH = 2
# How far from the background colour a pixel is part of an object: imagemodel.evaluate's rule, kept
# here because importing the evaluator would put it and its phrasings on every generation's path.
FOREGROUND_DISTANCE = 60.0


@dataclass(frozen=True)
class Framing:
    """The squares composed for one caller, one per seed (uint8 (n, side, side, 3)), and where each
    one's top-left corner sits in the frame."""

    squares: np.ndarray
    offsets: tuple[tuple[int, int], ...]

    @classmethod
    def settled(cls, squares: np.ndarray, planned: tuple[int, int], width: int, height: int) -> Framing:
        """Each square at the planned place, or against the frame's edge its drawn object reaches."""
        return cls(squares, tuple(settled_offset(square, planned, width, height) for square in squares))

    def pixels(self, width: int, height: int) -> torch.Tensor:
        """The frame as the second pass starts from it, in the model's [-1, 1] pixel space, one row per
        seed: each square at its place on its background (`in_frame`)."""
        placed = zip(self.squares, self.offsets, strict=True)
        framed = np.concatenate([in_frame(square[None], left, top, width, height) for square, (left, top) in placed])
        return torch.tensor(framed, dtype=torch.float32).permute(0, 3, 1, 2) / 127.5 - 1.0

    def fill(self, width: int, height: int) -> torch.Tensor:
        """Inpainting's fill rows: 1 where the frame is drawn, 0 on the square (known)."""
        side = self.squares.shape[1]
        fill = torch.ones(len(self.squares), 1, height, width)
        for row, (left, top) in enumerate(self.offsets):
            fill[row, :, top : top + side, left : left + side] = 0.0
        return fill


def settled_offset(square: np.ndarray, planned: tuple[int, int], width: int, height: int) -> tuple[int, int]:
    """(left, top) of a drawn square (s, s, 3) in the frame: against the frame's edge on a side of the
    long axis that its object reaches (REACH) and the other does not, else as planned."""
    side = square.shape[0]
    distance = np.linalg.norm(square.astype(np.float32) - backgrounds(square[None])[0], axis=2)
    rows, columns = np.nonzero(distance > FOREGROUND_DISTANCE)
    left, top = planned
    if len(columns) == 0:
        return planned

    def against(low: int, high: int, spare: int, planned_offset: int) -> int:
        reaches_low, reaches_high = low < REACH, high >= side - REACH
        if reaches_low and not reaches_high:
            return 0
        if reaches_high and not reaches_low:
            return spare
        return planned_offset

    if width > side:
        left = against(int(columns.min()), int(columns.max()), width - side, left)
    if height > side:
        top = against(int(rows.min()), int(rows.max()), height - side, top)
    return left, top


def square_offset(places: Sequence[str | None], side: int, width: int, height: int) -> tuple[int, int]:
    """(left, top) of a side x side square in a width x height frame, by the places the prompt asks for."""

    def along(spare: int, low: str, high: str) -> int:
        asked = {place for place in places if place in (low, high)}
        if asked == {low}:
            return 0
        if asked == {high}:
            return spare
        return spare // 2

    return along(width - side, "left", "right"), along(height - side, "top", "bottom")


def backgrounds(squares: np.ndarray) -> np.ndarray:
    """Each square's background colour (n, 3): the median of its border pixels."""
    border = np.concatenate([squares[:, 0], squares[:, -1], squares[:, :, 0], squares[:, :, -1]], axis=1)
    return np.median(border, axis=1)


def in_frame(previews: np.ndarray, left: int, top: int, width: int, height: int) -> np.ndarray:
    """Squares (n, s, s, 3) shown in the frame: each at its place, the rest of the frame its background
    (the median of its border pixels: an object touching the square's edge is not carried out)."""
    side = previews.shape[1]
    background = backgrounds(previews).astype(previews.dtype)
    framed = np.repeat(np.repeat(background[:, None, None, :], height, axis=1), width, axis=2)
    framed[:, top : top + side, left : left + side] = previews
    return framed


class TwoPassProgress:
    """One caller's previews over both passes, as one run of `steps`: the passes' steps, together
    `first_steps + second_steps`, are scaled to the caller's count; a step it has seen is not sent again."""

    def __init__(self, on_preview: PreviewCallback | None, steps: int, first_steps: int, second_steps: int):
        self._on_preview = on_preview
        self._steps = steps
        self._first_steps = first_steps
        self._all_steps = first_steps + second_steps
        self._sent = 0

    def first(self, framing: Callable[[np.ndarray], np.ndarray]) -> PreviewCallback | None:
        """The square pass's callback; framing shows its square previews in the frame."""
        if self._on_preview is None:
            return None
        return lambda step, _total, previews: self._send(step, framing(previews))

    def second(self) -> PreviewCallback | None:
        if self._on_preview is None:
            return None
        return lambda step, _total, previews: self._send(self._first_steps + step, previews)

    def _send(self, done: int, previews: np.ndarray) -> None:
        step = done * self._steps // self._all_steps
        if step > self._sent and self._on_preview is not None:
            self._sent = step
            self._on_preview(step, self._steps, previews)
