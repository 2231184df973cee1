"""Labelled world images for the describer: rendered scenes, half of them with their shapes tilted,
degraded the way generated images are (noise, softness, small colour shifts), and the platform's
procedural stand-in's own drawings, with the slot labels `network` reads out."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from describer import standin
from describer.network import INPUT_SIDE, SLOT_SHAPES, SLOTS, to_input
from imagemodel import world

IGNORE = -100  # the colour and size of an empty slot are not asked for
# The platform's Triton draws with a procedural stand-in that tilts triangles and stars by up to 14°
# (0.25 rad); training tilts past that so those still read as what they are.
TILT = 0.35
TILTED_SHARE = 0.5
# It also places and sizes shapes its own way (a triangle centred on its centroid sits higher than the
# world's): each training batch is moved by up to SHIFT px and scaled by up to ZOOM about the centre,
# small beside the 8 px between two slots' anchors.
SHIFT = 2.0
ZOOM = 0.1
# The platform's Triton draws with that stand-in: its own sizes, places, shades and antialiasing, at
# 512 px and in other frames (squeezed to 32x32, as a non-square image is read whole for where things
# are), box-filtered down. Rendered scenes alone left some of its circles read as squares; training
# sees its drawings too, every frame here.
STANDIN_FRAMES = ((512, 512), (512, 512), (512, 384), (384, 512), (512, 288), (288, 512))


@dataclass(frozen=True)
class Labels:
    background: np.ndarray  # (n,) colour index
    shape: np.ndarray  # (n, slots) index into SLOT_SHAPES, 0: empty
    colour: np.ndarray  # (n, slots) colour index or IGNORE
    size: np.ndarray  # (n, slots) size index or IGNORE


def labels_of(scenes: list[world.Scene]) -> Labels:
    count = len(scenes)
    background = np.array([world.COLOURS.index(s.background) for s in scenes], dtype=np.int64)
    shape = np.zeros((count, len(SLOTS)), dtype=np.int64)
    colour = np.full((count, len(SLOTS)), IGNORE, dtype=np.int64)
    size = np.full((count, len(SLOTS)), IGNORE, dtype=np.int64)
    for i, scene in enumerate(scenes):
        for obj in scene.objects:
            slot = SLOTS.index(obj.position)
            shape[i, slot] = SLOT_SHAPES.index(obj.shape)
            colour[i, slot] = world.COLOURS.index(obj.colour)
            size[i, slot] = world.SIZES.index(obj.size)
    return Labels(background, shape, colour, size)


def sample_scenes(seed: int, count: int, exclude_held_out: bool) -> list[world.Scene]:
    """Scenes of the world's own distribution (a fifth with two objects); training leaves out the
    held-out (shape, colour, background) triples, as the image model's training does."""
    rng = np.random.default_rng(seed)
    exclude = world.held_out_combinations() if exclude_held_out else None
    return [world.sample_scene(rng, exclude=exclude) for _ in range(count)]


def standin_examples(seed: int, count: int) -> tuple[np.ndarray, Labels]:
    """The stand-in's drawings, 32x32, of uniformly drawn (shape, colour, background) triples (the
    held-out ones never) and positions, each in a frame of STANDIN_FRAMES; their sizes are the
    stand-in's own, so size is not asked. From a generator of their own (not the stand-in's seeds)."""
    rng = np.random.default_rng([seed, 2])
    held_out = world.held_out_combinations()
    triples = [triple for triple in world.all_combinations() if triple not in held_out]
    images = np.empty((count, INPUT_SIDE, INPUT_SIDE, 3), dtype=np.uint8)
    background = np.empty(count, dtype=np.int64)
    shape = np.zeros((count, len(SLOTS)), dtype=np.int64)
    colour = np.full((count, len(SLOTS)), IGNORE, dtype=np.int64)
    for i in range(count):
        drawn_shape, drawn_colour, drawn_background = triples[rng.integers(len(triples))]
        position = SLOTS[rng.integers(len(SLOTS))]
        width, height = STANDIN_FRAMES[rng.integers(len(STANDIN_FRAMES))]
        drawn = standin.Drawn(drawn_shape, drawn_colour, drawn_background, position)
        images[i] = to_input(standin.draw(drawn, width, height, rng))
        background[i] = world.COLOURS.index(drawn_background)
        shape[i, SLOTS.index(position)] = SLOT_SHAPES.index(drawn_shape)
        colour[i, SLOTS.index(position)] = world.COLOURS.index(drawn_colour)
    return images, Labels(background, shape, colour, np.full((count, len(SLOTS)), IGNORE, dtype=np.int64))


def joined(first: Labels, second: Labels) -> Labels:
    return Labels(
        *(
            np.concatenate([getattr(first, name), getattr(second, name)])
            for name in ("background", "shape", "colour", "size")
        )
    )


def sample_tilts(seed: int, scenes: list[world.Scene]) -> list[tuple[float, ...]]:
    """Each scene's object turns: upright for about half, up to TILT either way for the rest. From a
    generator of their own, so the scenes and batches a seed draws are what they were without."""
    rng = np.random.default_rng([seed, 1])
    return [
        tuple(rng.uniform(-TILT, TILT, size=len(scene.objects))) if rng.random() < TILTED_SHARE else ()
        for scene in scenes
    ]


def render_all(scenes: list[world.Scene], tilts: list[tuple[float, ...]] | None = None) -> np.ndarray:
    turns = tilts if tilts is not None else [()] * len(scenes)
    return np.stack([world.render(scene, INPUT_SIDE, turn) for scene, turn in zip(scenes, turns, strict=True)])


def displace(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A batch of uint8 images, each moved and scaled a little (its own amount), edges repeated."""
    out = np.empty_like(images)
    centre = (np.array(images.shape[1:3]) - 1) / 2
    for i in range(len(images)):
        scale = rng.uniform(1 - ZOOM, 1 + ZOOM)
        shift = rng.uniform(-SHIFT, SHIFT, size=2)
        # output pixel p reads input pixel centre + (p - centre - shift) / scale
        offset = centre - (centre + shift) / scale
        out[i] = ndimage.affine_transform(
            images[i], (1 / scale, 1 / scale, 1), offset=(*offset, 0), order=1, mode="nearest"
        )
    return out


def degrade(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A batch of uint8 images made to look generated: a little blur on some, a colour shift and
    noise on all (each image its own amount)."""
    out = images.astype(np.float32)
    for i in range(len(out)):
        if rng.random() < 0.4:
            sigma = rng.uniform(0.3, 0.9)
            out[i] = ndimage.gaussian_filter(out[i], sigma=(sigma, sigma, 0))
        out[i] = out[i] * rng.uniform(0.9, 1.1) + rng.uniform(-14, 14, size=3)
        out[i] += rng.normal(0.0, rng.uniform(0.0, 10.0), size=out[i].shape)
    return np.clip(out, 0, 255).round().astype(np.uint8)
