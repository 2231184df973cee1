"""A CPU-cheap stand-in generator: draws the scene the prompt names, deterministic per (prompt, seed).

It walks a straight path from seeded noise to the drawn scene over `steps` steps, so previews show
the image really emerging, the way a sampler's would. `guidance` has no meaning here and is ignored.

The scene is read from the prompt's words: "a red circle on a blue background in the top left" -> red
circle, blue background, top left. Whatever the prompt leaves open (and the negative prompt does not
exclude) comes from the seed.

Image-to-image (remix): the result is the init image blended with the prompt's scene,
(1 - strength) * init + strength * scene, and the path starts from the init image blended with
noise by the same share, so low strength visibly keeps the source's layout and colours and
strength 1 draws the prompt alone.

Inpainting (MASK): the prompt's scene inside the mask, the init image exactly outside it.
"""

from __future__ import annotations

import functools
import hashlib
import math
import re
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from txt2img_backend.pipelines import (
    PREVIEW_MAX_SIDE,
    GenerationRequest,
    OnStep,
    PipelineDefaults,
    resize_batch,
    shrink_to_fit,
)

NOISE_SIGMA = 64.0


class ProceduralPipeline:
    defaults = PipelineDefaults(steps=20, guidance=1.0, width=256, height=256)

    def native_size(self, width: int, height: int) -> tuple[int, int]:
        return width, height

    def generate(self, request: GenerationRequest, on_preview: OnStep) -> np.ndarray:
        prompt, negative_prompt, width, height = request.prompt, request.negative_prompt, request.width, request.height
        rngs = [np.random.default_rng(_seed_material(prompt, negative_prompt, seed)) for seed in request.seeds]
        images = np.stack(
            [draw_scene(describe_scene(prompt, negative_prompt, rng), width, height, rng) for rng in rngs]
        )

        # Only previews ever show the path, so it is walked at preview size.
        preview_shape = shrink_to_fit(images[:1], PREVIEW_MAX_SIDE).shape[1:]
        noise = np.stack([rng.normal(127.5, NOISE_SIGMA, preview_shape) for rng in rngs])
        noise = noise.astype(np.float32)
        start = noise
        if request.init_image is not None and request.strength is not None:
            strength = request.strength
            source = resize_batch(request.init_image[None], width, height)
            images = _blend(source.astype(np.float32), images.astype(np.float32), strength)
            small_source = shrink_to_fit(source, PREVIEW_MAX_SIDE).astype(np.float32)
            start = small_source * (1.0 - strength) + noise * strength
        if request.init_image is not None and request.mask is not None:
            source = resize_batch(request.init_image[None], width, height)
            inside = _mask_at(request.mask, width, height)
            images = np.where(inside[None, :, :, None], images, source).astype(np.uint8)
        target = shrink_to_fit(images, PREVIEW_MAX_SIDE).astype(np.float32)

        total = request.denoising_steps
        for step in range(1, total + 1):
            on_preview(step, total, functools.partial(_blend, start, target, step / total))
        return images


def _mask_at(mask: np.ndarray, width: int, height: int) -> np.ndarray:
    """The mask as bool [height, width] (nearest pixel when the init image is of another size)."""
    if mask.shape == (height, width):
        return mask > 0
    return np.asarray(Image.fromarray((mask > 0).astype(np.uint8) * 255).resize((width, height))) > 0


def _blend(start: np.ndarray, target: np.ndarray, done: float) -> np.ndarray:
    mixed = start * (1.0 - done) + target * done
    return np.clip(np.rint(mixed), 0, 255).astype(np.uint8)


def _seed_material(prompt: str, negative_prompt: str, seed: int) -> int:
    # Python's hash() is salted per process; this must give the same image in every process.
    text = "\0".join((" ".join(words_of(prompt)), " ".join(words_of(negative_prompt)), str(seed)))
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:16], "big")


# The scene: one object read from the prompt's words, and how to draw it.

PALETTE: dict[str, tuple[int, int, int]] = {
    "red": (220, 40, 40),
    "green": (40, 170, 60),
    "blue": (40, 80, 220),
    "yellow": (240, 220, 40),
    "orange": (245, 140, 30),
    "purple": (130, 50, 170),
    "pink": (240, 130, 180),
    "brown": (130, 80, 40),
    "cyan": (40, 200, 210),
    "white": (245, 245, 245),
    "black": (20, 20, 20),
    "gray": (128, 128, 128),
}
_COLOUR_WORDS = {name: name for name in PALETTE} | {"grey": "gray", "violet": "purple"}

SHAPES = ("circle", "square", "triangle", "star")
_SHAPE_WORDS = {
    "circle": "circle",
    "circles": "circle",
    "disc": "circle",
    "disk": "circle",
    "dot": "circle",
    "square": "square",
    "squares": "square",
    "box": "square",
    "triangle": "triangle",
    "triangles": "triangle",
    "star": "star",
    "stars": "star",
}

_HORIZONTAL = {"left": 0.3, "right": 0.7}
_VERTICAL = {"top": 0.3, "upper": 0.3, "bottom": 0.7, "lower": 0.7}
_BACKGROUND_WORDS = ("background", "backdrop")
_SUPERSAMPLE = 2  # draw the shape mask at twice the size for smooth edges


@dataclass(frozen=True)
class Scene:
    shape: str
    colour: str
    background: str
    x: float  # centre of the object, as a fraction of the width
    y: float  # ... of the height


def words_of(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text.lower())


def describe_scene(prompt: str, negative_prompt: str, rng: np.random.Generator) -> Scene:
    words = words_of(prompt)
    unwanted = set(words_of(negative_prompt))

    background_at = _background_colour_positions(words)
    background = words[background_at[0]] if background_at else None
    object_colours = [w for i, w in enumerate(words) if w in _COLOUR_WORDS and i not in background_at]
    colour = _COLOUR_WORDS[object_colours[0]] if object_colours else None
    background = _COLOUR_WORDS[background] if background else None
    shapes = [_SHAPE_WORDS[w] for w in words if w in _SHAPE_WORDS]

    # Draw every choice in the same order whatever the prompt says, so one seed gives the same
    # variation (size, jitter) for "a red circle" and "a blue circle".
    unwanted_colours = {_COLOUR_WORDS[w] for w in unwanted if w in _COLOUR_WORDS}
    colour_choices = [c for c in PALETTE if c not in unwanted_colours] or list(PALETTE)
    random_colour = colour_choices[rng.integers(len(colour_choices))]
    random_background = colour_choices[rng.integers(len(colour_choices))]
    unwanted_shapes = {_SHAPE_WORDS[w] for w in unwanted if w in _SHAPE_WORDS}
    shape_choices = [s for s in SHAPES if s not in unwanted_shapes] or list(SHAPES)
    random_shape = shape_choices[rng.integers(len(shape_choices))]

    colour = colour or random_colour
    if background is None:
        background = random_background
        if background == colour:
            others = [c for c in colour_choices if c != colour] or [c for c in PALETTE if c != colour]
            background = others[rng.integers(len(others))]
    x = next((_HORIZONTAL[w] for w in words if w in _HORIZONTAL), 0.5)
    y = next((_VERTICAL[w] for w in words if w in _VERTICAL), 0.5)
    return Scene(shape=shapes[0] if shapes else random_shape, colour=colour, background=background, x=x, y=y)


def draw_scene(scene: Scene, width: int, height: int, rng: np.random.Generator) -> np.ndarray:
    """uint8 [height, width, 3]; the seed varies the object's size, position and the exact shades."""
    side = min(width, height)
    radius = rng.uniform(0.16, 0.26) * side
    cx = (scene.x + rng.uniform(-0.04, 0.04)) * width
    cy = (scene.y + rng.uniform(-0.04, 0.04)) * height
    cx = float(np.clip(cx, radius, width - radius))
    cy = float(np.clip(cy, radius, height - radius))
    rotation = rng.uniform(-0.25, 0.25)

    object_rgb = _shade(PALETTE[scene.colour], rng)
    background_rgb = _shade(PALETTE[scene.background], rng)
    coverage = _shape_mask(scene.shape, width, height, cx, cy, radius, rotation)[..., None]
    image = background_rgb * (1.0 - coverage) + object_rgb * coverage
    return np.clip(np.rint(image), 0, 255).astype(np.uint8)


def _background_colour_positions(words: list[str]) -> list[int]:
    """Indexes of colour words that name the background ("... on a blue background")."""
    positions = []
    for i, word in enumerate(words):
        if word in _BACKGROUND_WORDS:
            for j in range(i - 1, max(i - 4, -1), -1):
                if words[j] in _COLOUR_WORDS:
                    positions.append(j)
                    break
    return positions


def _shade(rgb: tuple[int, int, int], rng: np.random.Generator) -> np.ndarray:
    return np.clip(np.array(rgb, dtype=np.float32) + rng.integers(-10, 11, 3), 0, 255)


def _shape_mask(
    shape: str, width: int, height: int, cx: float, cy: float, radius: float, rotation: float
) -> np.ndarray:
    """Coverage in [0, 1], float32 [height, width]."""
    s = _SUPERSAMPLE
    mask = Image.new("L", (width * s, height * s), 0)
    draw = ImageDraw.Draw(mask)
    cx, cy, radius = cx * s, cy * s, radius * s
    if shape == "circle":
        draw.ellipse([cx - radius, cy - radius, cx + radius, cy + radius], fill=255)
    elif shape == "square":
        half = radius * 0.85
        draw.rectangle([cx - half, cy - half, cx + half, cy + half], fill=255)
    elif shape == "triangle":
        draw.polygon(_regular_points(cx, cy, radius * 1.15, 3, rotation), fill=255)
    elif shape == "star":
        outer = _regular_points(cx, cy, radius * 1.1, 5, rotation)
        inner = _regular_points(cx, cy, radius * 0.45, 5, rotation + math.pi / 5)
        draw.polygon([p for pair in zip(outer, inner) for p in pair], fill=255)
    else:
        raise ValueError(f"unknown shape {shape!r}")
    mask = mask.resize((width, height), Image.Resampling.BOX)
    return np.asarray(mask, dtype=np.float32) / 255.0


def _regular_points(cx: float, cy: float, radius: float, count: int, rotation: float) -> list[tuple[float, float]]:
    start = -math.pi / 2 + rotation  # first point straight up
    return [
        (
            cx + radius * math.cos(start + k * 2 * math.pi / count),
            cy + radius * math.sin(start + k * 2 * math.pi / count),
        )
        for k in range(count)
    ]
