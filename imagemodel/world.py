"""The procedural world: scene specs, a renderer and the held-out prompt combinations.

A scene is one or two flat-coloured objects (circle, square, triangle, star) on a flat background.
Geometry is in normalised image coordinates (0..1, y down) so one spec renders at any resolution.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace

import numpy as np
from PIL import Image, ImageDraw

SHAPES = ("circle", "square", "triangle", "star")

# Hues far apart in RGB so the nearest-palette rule stays unambiguous after blur and noise.
PALETTE: dict[str, tuple[int, int, int]] = {
    "red": (220, 30, 30),
    "orange": (245, 140, 20),
    "yellow": (245, 225, 40),
    "green": (30, 160, 60),
    "blue": (30, 70, 220),
    "purple": (140, 50, 190),
    "white": (245, 245, 245),
    "black": (20, 20, 20),
}
COLOURS = tuple(PALETTE)

SIZES = ("small", "medium", "large")
SIZE_EXTENT = {"small": 0.34, "medium": 0.46, "large": 0.60}

POSITIONS = ("left", "right", "top", "bottom", "centre")
POSITION_ANCHOR = {
    "left": (0.25, 0.5),
    "right": (0.75, 0.5),
    "top": (0.5, 0.25),
    "bottom": (0.5, 0.75),
    "centre": (0.5, 0.5),
}
# Two objects always sit on opposite sides so they never overlap.
PAIRED_POSITIONS = (("left", "right"), ("right", "left"), ("top", "bottom"), ("bottom", "top"))

STAR_INNER_RATIO = 0.45
HELD_OUT_FRACTION = 0.15
HELD_OUT_SEED = 20261123
SUPERSAMPLE = 4


@dataclass(frozen=True)
class SceneObject:
    shape: str
    colour: str
    size: str
    position: str


@dataclass(frozen=True)
class Scene:
    objects: tuple[SceneObject, ...]
    background: str
    # Per-image variation (jitter of centre and extent) that captions never mention.
    jitter: tuple[float, ...] = field(default=(), compare=False)

    def without_jitter(self) -> Scene:
        return replace(self, jitter=())


def all_combinations() -> list[tuple[str, str, str]]:
    """Every (shape, object colour, background) triple with distinct colours."""
    return [(s, c, b) for s, c, b in itertools.product(SHAPES, COLOURS, COLOURS) if c != b]


def held_out_combinations() -> frozenset[tuple[str, str, str]]:
    """A fixed, seeded ~15% of the triples that training never draws."""
    combos = all_combinations()
    rng = np.random.default_rng(HELD_OUT_SEED)
    count = round(len(combos) * HELD_OUT_FRACTION)
    picked = rng.choice(len(combos), size=count, replace=False)
    return frozenset(combos[i] for i in sorted(picked))


def is_held_out(scene: Scene, held_out: frozenset | None = None) -> bool:
    held_out = held_out_combinations() if held_out is None else held_out
    return any((o.shape, o.colour, scene.background) in held_out for o in scene.objects)


def sample_scene(
    rng: np.random.Generator,
    two_object_probability: float = 0.2,
    exclude: frozenset | None = None,
) -> Scene:
    """Draw a random scene; `exclude` holds (shape, colour, background) triples to avoid."""
    while True:
        background = COLOURS[rng.integers(len(COLOURS))]
        object_colours = [c for c in COLOURS if c != background]
        if rng.random() < two_object_probability:
            positions: tuple[str, ...] = PAIRED_POSITIONS[rng.integers(len(PAIRED_POSITIONS))]
            sizes: tuple[str, ...] = ("small", "medium")
        else:
            positions = (POSITIONS[rng.integers(len(POSITIONS))],)
            sizes = SIZES
        objects = tuple(
            SceneObject(
                shape=SHAPES[rng.integers(len(SHAPES))],
                colour=object_colours[rng.integers(len(object_colours))],
                size=sizes[rng.integers(len(sizes))],
                position=position,
            )
            for position in positions
        )
        scene = Scene(objects, background, tuple(rng.uniform(-1.0, 1.0, size=3 * len(objects))))
        if exclude is None or not is_held_out(scene, exclude):
            return scene


def object_geometry(obj: SceneObject, jitter: tuple[float, float, float] = (0.0, 0.0, 0.0)):
    """Centre (x, y) and extent of an object in normalised coordinates, kept inside the frame."""
    extent = SIZE_EXTENT[obj.size] * (1.0 + 0.06 * jitter[2])
    half = extent / 2
    margin = 0.03
    ax, ay = POSITION_ANCHOR[obj.position]
    cx = np.clip(ax + 0.03 * jitter[0], half + margin, 1 - half - margin)
    cy = np.clip(ay + 0.03 * jitter[1], half + margin, 1 - half - margin)
    return float(cx), float(cy), float(extent)


def shape_polygon(shape: str, cx: float, cy: float, extent: float) -> list[tuple[float, float]]:
    half = extent / 2
    if shape == "square":
        side = half * 0.85
        return [(cx - side, cy - side), (cx + side, cy - side), (cx + side, cy + side), (cx - side, cy + side)]
    if shape == "triangle":
        # Equilateral, pointing up, centred on its bounding box.
        height = extent * np.sqrt(3) / 2
        return [(cx, cy - height / 2), (cx + half, cy + height / 2), (cx - half, cy + height / 2)]
    if shape == "star":
        points = []
        for k in range(10):
            radius = half if k % 2 == 0 else half * STAR_INNER_RATIO
            angle = -np.pi / 2 + k * np.pi / 5
            points.append((cx + radius * np.cos(angle), cy + radius * np.sin(angle) + half * 0.1))
        return points
    raise ValueError(f"not a polygon shape: {shape}")


def tilted(polygon: list[tuple[float, float]], angle: float) -> list[tuple[float, float]]:
    """The polygon turned by angle (radians, clockwise on screen) about the mean of its points."""
    px, py = np.mean(polygon, axis=0)
    cos, sin = np.cos(angle), np.sin(angle)
    return [(px + (x - px) * cos - (y - py) * sin, py + (x - px) * sin + (y - py) * cos) for x, y in polygon]


def render(scene: Scene, size: int = 32, tilts: tuple[float, ...] = ()) -> np.ndarray:
    """Render a scene to an anti-aliased uint8 array of shape (size, size, 3); tilts: each object's
    turn in radians (upright without)."""
    big = size * SUPERSAMPLE
    image = Image.new("RGB", (big, big), PALETTE[scene.background])
    draw = ImageDraw.Draw(image)
    jitter = scene.jitter or (0.0,) * (3 * len(scene.objects))
    for index, obj in enumerate(scene.objects):
        dx, dy, dsize = jitter[3 * index : 3 * index + 3]
        cx, cy, extent = object_geometry(obj, (dx, dy, dsize))
        colour = PALETTE[obj.colour]
        if obj.shape == "circle":
            half = extent / 2
            draw.ellipse([(cx - half) * big, (cy - half) * big, (cx + half) * big, (cy + half) * big], fill=colour)
        else:
            polygon = shape_polygon(obj.shape, cx, cy, extent)
            if tilts:
                polygon = tilted(polygon, tilts[index])
            draw.polygon([(x * big, y * big) for x, y in polygon], fill=colour)
    return np.asarray(image.resize((size, size), Image.Resampling.BOX), dtype=np.uint8)
