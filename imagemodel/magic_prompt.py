"""Magic prompt: offline, deterministic expansion of a short prompt into a full scene description.

"red circle" -> "a large red circle in the centre on a white background". Whatever the prompt names is
kept; whatever it leaves out is chosen from the world's vocabulary by a generator seeded with
(seed, CRC-32 of the prompt), so the same prompt and seed always expand the same way in any process.
"""

from __future__ import annotations

import zlib

import numpy as np

from imagemodel import world
from imagemodel.captions import ObjectSpec, PromptSpec, canonical_caption, parse


def _rng(prompt: str, seed: int) -> np.random.Generator:
    return np.random.default_rng([seed & 0xFFFFFFFF, zlib.crc32(prompt.strip().lower().encode())])


def _choose(rng: np.random.Generator, options) -> str:
    return options[rng.integers(len(options))]


def complete_spec(spec: PromptSpec, rng: np.random.Generator) -> PromptSpec:
    """Fill every attribute the spec leaves open, keeping colours distinct from the background."""
    objects = list(spec.objects[: len(world.PAIRED_POSITIONS[0])]) or [ObjectSpec(shape=None)]
    named_colours = {o.colour for o in objects if o.colour}
    background = spec.background or _choose(rng, [c for c in world.COLOURS if c not in named_colours])
    if len(objects) == 1:
        positions: list[str | None] = [objects[0].position or _choose(rng, world.POSITIONS)]
        sizes: tuple[str, ...] = world.SIZES
    else:
        named = [o.position for o in objects]
        pairs = [p for p in world.PAIRED_POSITIONS if all(n in (None, q) for n, q in zip(named, p))]
        positions = list(pairs[rng.integers(len(pairs))] if pairs else named)
        sizes = ("small", "medium")
    filled = []
    for obj, position in zip(objects, positions):
        filled.append(
            ObjectSpec(
                shape=obj.shape or _choose(rng, world.SHAPES),
                colour=obj.colour or _choose(rng, [c for c in world.COLOURS if c != background]),
                size=obj.size or _choose(rng, sizes),
                position=obj.position or position,
            )
        )
    return PromptSpec(tuple(filled), background)


def expand(prompt: str, seed: int = 0) -> str:
    """A full scene description the model draws well; stable per (prompt, seed)."""
    return canonical_caption(complete_spec(parse(prompt), _rng(prompt, seed)))
