"""From the network's probabilities to up to four ranked prompt suggestions in plain words.

The most likely scene comes first; then the next most likely readings (another shape, colour or
background where the network hesitates), each kept only while it is at least MIN_SHARE as likely as
the first; the rest of the four are the first reading said with fewer details (without size, then
without position), which stay true of the image. Every suggestion is written the way the built-in
model reads best (imagemodel.captions.canonical_caption), so a suggestion draws the scene again.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from describer.network import SLOT_SHAPES, SLOTS, Reading
from imagemodel import world
from imagemodel.captions import ObjectSpec, PromptSpec, canonical_caption

MAX_SUGGESTIONS = 4
MIN_SHARE = 0.05  # an alternative reading at least this likely relative to the first
ALTERNATIVES = 2  # values tried per hesitant attribute


@dataclass(frozen=True)
class Suggestion:
    text: str
    probability: float  # the network's joint probability of the reading (0 for a shortened one)
    spec: PromptSpec


def occupied_slots(reading: Reading) -> list[int]:
    """The slots holding an object (at most two, in caption order), the likeliest one at least."""
    present = 1.0 - reading.shape[:, 0]
    slots = [s for s in np.argsort(-present) if present[s] > 0.5][:2]
    if not slots:
        slots = [int(np.argmax(present))]
    return sorted(int(s) for s in slots)


def _top(probabilities: np.ndarray, count: int, offset: int = 0) -> list[tuple[int, float]]:
    order = np.argsort(-probabilities)[:count]
    return [(int(i) + offset, float(probabilities[i])) for i in order]


@dataclass(frozen=True)
class _ObjectReading:
    slot: int
    shape: int  # index into SLOT_SHAPES
    colour: int
    size: int
    probability: float  # of the shape (given an object is there) times of the colour

    def spec(self) -> ObjectSpec:
        return ObjectSpec(SLOT_SHAPES[self.shape], world.COLOURS[self.colour], world.SIZES[self.size], SLOTS[self.slot])


def _object_readings(reading: Reading, slot: int) -> list[_ObjectReading]:
    shape_given_present = reading.shape[slot, 1:] / max(float(reading.shape[slot, 1:].sum()), 1e-9)
    size = int(np.argmax(reading.size[slot]))
    return [
        _ObjectReading(slot, shape, colour, size, p_shape * p_colour)
        for (shape, p_shape), (colour, p_colour) in itertools.product(
            _top(shape_given_present, ALTERNATIVES, offset=1), _top(reading.colour[slot], ALTERNATIVES)
        )
    ]


def readings(reading: Reading) -> list[tuple[float, PromptSpec]]:
    """Candidate scenes with their joint probabilities, likeliest first."""
    per_object = [_object_readings(reading, slot) for slot in occupied_slots(reading)]
    candidates = []
    for background, p_background in _top(reading.background, ALTERNATIVES):
        for objects in itertools.product(*per_object):
            if any(o.colour == background for o in objects):
                continue  # the world never paints an object in its background's colour
            probability = p_background * math.prod(o.probability for o in objects)
            candidates.append((probability, PromptSpec(tuple(o.spec() for o in objects), world.COLOURS[background])))
    return sorted(candidates, key=lambda candidate: -candidate[0])


def _shortened(spec: PromptSpec) -> list[PromptSpec]:
    """The same scene with fewer details; two objects keep their positions (that is how they differ)."""
    objects = tuple(ObjectSpec(o.shape, o.colour, None, o.position) for o in spec.objects)
    without_size = PromptSpec(objects, spec.background)
    if len(spec.objects) > 1:
        return [without_size]
    only_colours = PromptSpec(tuple(ObjectSpec(o.shape, o.colour) for o in spec.objects), spec.background)
    return [without_size, only_colours]


def suggest(reading: Reading, limit: int = MAX_SUGGESTIONS) -> list[Suggestion]:
    """Up to `limit` distinct suggestions, best first."""
    candidates = readings(reading)
    best_probability, best = candidates[0]
    chosen = [Suggestion(canonical_caption(best), best_probability, best)]
    for probability, spec in candidates[1:]:
        if len(chosen) >= limit or probability < MIN_SHARE * best_probability:
            break
        chosen.append(Suggestion(canonical_caption(spec), probability, spec))
    for spec in _shortened(best):
        text = canonical_caption(spec)
        if len(chosen) < limit and all(s.text != text for s in chosen):
            chosen.append(Suggestion(text, 0.0, spec))
    return chosen[:limit]
