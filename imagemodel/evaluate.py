"""An independent, analytic evaluator for the procedural world (a GenEval-style score).

It never learns anything: background = nearest palette colour to the median border pixel; the object
= the largest connected region far from the background; object colour = nearest palette colour to the
region's median; shape = bounding-box fill ratio plus solidity (area / convex-hull area); position =
the bounding-box centre (a triangle's centroid sits low in its box, its box centre does not).

    python -m imagemodel.evaluate --weights imagemodel/weights/ --seeds 4
    python -m imagemodel.evaluate --ground-truth 2000     # validate the evaluator itself
    python -m imagemodel.evaluate --remix 0.3,0.6,1 --steps 20   # remix: follows the prompt, keeps the source
    python -m imagemodel.evaluate --phrasing templates,held-out,fresh --steps 20  # phrasings training never saw
    python -m imagemodel.evaluate --phrasing templates,unseen,unseen-2 --reading   # what the network is given, seconds
"""

from __future__ import annotations

import argparse
import json
import logging
from dataclasses import dataclass

import numpy as np
from PIL import Image
from scipy import ndimage
from scipy.spatial import ConvexHull, QhullError

from imagemodel import captions, phrasings, world
from imagemodel.captions import ObjectSpec, PromptSpec

log = logging.getLogger("imagemodel.evaluate")

PALETTE_RGB = np.array([world.PALETTE[c] for c in world.COLOURS], dtype=np.float32)
FOREGROUND_DISTANCE = 60.0
CENTRE_TOLERANCE = 0.085
ATTRIBUTES = ("shape", "colour", "background", "position")


@dataclass(frozen=True)
class Measurement:
    background: str
    shape: str | None = None
    colour: str | None = None
    position: str | None = None
    fill: float = 0.0
    solidity: float = 0.0
    aspect: float = 0.0  # the object's bounding box, width / height: 1 for an unstretched circle


def nearest_colour(rgb: np.ndarray) -> str:
    return world.COLOURS[int(np.argmin(((PALETTE_RGB - rgb) ** 2).sum(axis=1)))]


def border_pixels(image: np.ndarray) -> np.ndarray:
    return np.concatenate([image[0], image[-1], image[1:-1, 0], image[1:-1, -1]]).astype(np.float32)


def classify_shape(fill: float, solidity: float) -> str:
    # Ground truth at 32x32: square fill 1.0, circle 0.78, triangle 0.53-0.59 and star 0.42-0.55, but
    # only stars have solidity below ~0.79 (triangles stay above ~0.86).
    if solidity < 0.825:
        return "star"
    if fill > 0.89:
        return "square"
    if fill > 0.685:
        return "circle"
    return "triangle"


def box_aspect(coverage: np.ndarray) -> float:
    """Width / height of the object's bounding box, from coverage projected on each axis."""
    return float(coverage.max(axis=0).sum()) / max(float(coverage.max(axis=1).sum()), 1e-6)


def shape_features(mask: np.ndarray, coverage: np.ndarray) -> tuple[float, float]:
    """Fill ratio of the bounding box and solidity, robust to anti-aliasing at tiny sizes.

    The box comes from coverage projected on each axis (sub-pixel extents); solidity compares the
    pixel count with the convex hull of pixel centres grown by half a pixel (area + perimeter/2 + 1),
    which is what a convex shape's pixels fill.
    """
    width = float(coverage.max(axis=0).sum())
    height = float(coverage.max(axis=1).sum())
    fill = float(coverage.sum()) / max(width * height, 1e-6)
    ys, xs = np.nonzero(mask)
    try:
        hull = ConvexHull(np.stack([xs, ys], axis=1))
        grown_hull_area = hull.volume + 0.5 * hull.area + 1.0
    except QhullError:  # a line or a point: degenerate, treat as solid
        grown_hull_area = float(mask.sum())
    return fill, float(mask.sum()) / grown_hull_area


def position_of(mask: np.ndarray) -> str:
    ys, xs = np.nonzero(mask)
    height, width = mask.shape
    dx = (xs.min() + xs.max() + 1) / 2 / width - 0.5
    dy = (ys.min() + ys.max() + 1) / 2 / height - 0.5
    if max(abs(dx), abs(dy)) < CENTRE_TOLERANCE:
        return "centre"
    if abs(dx) >= abs(dy):
        return "left" if dx < 0 else "right"
    return "top" if dy < 0 else "bottom"


def measure(image: np.ndarray) -> Measurement:
    """Read background, shape, colour and position of the largest object in a uint8 RGB image."""
    pixels = image.astype(np.float32)
    background_rgb = np.median(border_pixels(image), axis=0)
    background = nearest_colour(background_rgb)
    distance = np.linalg.norm(pixels - background_rgb, axis=2)
    labels, count = ndimage.label(distance > FOREGROUND_DISTANCE, structure=np.ones((3, 3)))
    if count == 0:
        return Measurement(background)
    sizes = ndimage.sum(np.ones_like(distance), labels, index=range(1, count + 1))
    region = labels == (1 + int(np.argmax(sizes)))
    object_rgb = np.median(pixels[region], axis=0)
    colour = nearest_colour(object_rgb)
    # Coverage: how far each pixel has moved from the background towards the object colour.
    span = max(float(np.linalg.norm(object_rgb - background_rgb)), 1.0)
    near_region = ndimage.binary_dilation(region, structure=np.ones((3, 3)))
    coverage = np.clip(distance / span, 0, 1) * near_region
    mask = coverage > 0.5
    if not mask.any():
        return Measurement(background, colour=colour)
    fill, solidity = shape_features(mask, coverage)
    shape = classify_shape(fill, solidity)
    return Measurement(background, shape, colour, position_of(mask), fill, solidity, box_aspect(coverage))


def score(measurement: Measurement, spec: PromptSpec) -> dict[str, bool]:
    """Per-attribute correctness of one image against a one-object prompt; unnamed attributes pass."""
    target = spec.objects[0]
    result = {
        "shape": measurement.shape == target.shape,
        "colour": target.colour is None or measurement.colour == target.colour,
        "background": spec.background is None or measurement.background == spec.background,
        "position": target.position is None or measurement.position == target.position,
    }
    result["whole"] = all(result.values())
    return result


def summarise(scores: list[dict[str, bool]]) -> dict[str, float]:
    return {key: float(np.mean([s[key] for s in scores])) for key in (*ATTRIBUTES, "whole")}


def held_out_prompts(seed: int = 0) -> list[tuple[str, PromptSpec]]:
    """One fully specified one-object prompt per held-out (shape, colour, background) triple."""
    rng = np.random.default_rng(seed)
    prompts = []
    for shape, colour, background in sorted(world.held_out_combinations()):
        obj = ObjectSpec(shape, colour, world.SIZES[rng.integers(3)], world.POSITIONS[rng.integers(5)])
        spec = PromptSpec((obj,), background)
        prompts.append((captions.caption(spec, rng), spec))
    return prompts


PHRASING_SETS = ("templates", *phrasings.FAMILIES)
# "unseen-5:world-words": that family's sentence shapes, positions, fillers and typos with the world's own
# shape, colour and size words: what phrasing costs once the vocabulary is the world's.
WORLD_WORDS = ":world-words"


def phrased_prompts(phrasing: str, per_triple: int) -> list[list[tuple[str, PromptSpec]]]:
    """Per held-out triple, `per_triple` phrasings of the spec `held_out_prompts` asks for: the caption
    templates' own ("templates"), or one of imagemodel.phrasings' families, as written or (suffix
    WORLD_WORDS) in the world's own words. The specs and the order are the same for every set, so the
    same seeds compare them."""
    rng = np.random.default_rng(7)
    rows = []
    for _, spec in held_out_prompts():
        if phrasing == "templates":
            rows.append([(captions.caption(spec, rng), spec) for _ in range(per_triple)])
        else:
            name, world_words, _ = phrasing.partition(WORLD_WORDS)
            family = phrasings.FAMILIES[name]
            family = phrasings.in_world_words(family) if world_words else family
            rows.append([(phrasings.phrase(spec, rng, family), spec) for _ in range(per_triple)])
    return rows


def evaluate_phrasing(
    pipeline, phrasing: str, per_triple: int, steps: int, guidance: float, images: dict | None = None
) -> dict:
    """Whole-prompt accuracy of held-out triples asked for in one set of phrasings, one seed per
    phrasing (seed 1000 x triple + phrasing: the same in every set). `images` (prompt as the network
    is given it, seed) -> image, shared between sets: where the reader reads two phrasings alike, the
    network is given the same caption, so their images are the same and are drawn once."""
    from imagemodel.pipelines import BatchItem

    images = {} if images is None else images
    size = pipeline.native_size(0, 0)[0]
    rows = phrased_prompts(phrasing, per_triple)
    given = [
        [(pipeline.normalise([prompt])[0], 1000 * index + k) for k, (prompt, _) in enumerate(row)]
        for index, row in enumerate(rows)
    ]
    missing = list(dict.fromkeys(key for row in given for key in row if key not in images))
    reads_phrasing, pipeline.reads_phrasing = pipeline.reads_phrasing, False  # already as it reads them
    try:
        for start in range(0, len(missing), 4):
            keys = missing[start : start + 4]
            items = [BatchItem(text, "", [seed], size, size) for text, seed in keys]
            for key, drawn in zip(keys, pipeline.generate_batch(items, steps, guidance), strict=True):
                if isinstance(drawn, Exception):
                    raise drawn
                images[key] = drawn[0]
    finally:
        pipeline.reads_phrasing = reads_phrasing
    pairs = [pair for row in rows for pair in row]
    keys = [key for row in given for key in row]
    scores = [score(measure(images[key]), spec) for (_, spec), key in zip(pairs, keys, strict=True)]
    examples = [prompt for prompt, _ in pairs[:6]]
    return {
        "phrasing": phrasing,
        **summarise(scores),
        "images": len(scores),
        "drawn": len(missing),
        "examples": examples,
    }


def reading_accuracy(reader, phrasing: str, per_triple: int) -> float:
    """The share of a phrasing set's prompts the prompt reader reads as exactly the spec asked for
    (shape, colour, size, position, background): no diffusion, seconds."""
    pairs = [pair for row in phrased_prompts(phrasing, per_triple) for pair in row]
    readings = reader.read([prompt for prompt, _ in pairs])
    return float(np.mean([reading == spec for reading, (_, spec) in zip(readings, pairs, strict=True)]))


READ_ATTRIBUTES = ("shape", "colour", "size", "position", "background")


def given_reading(pipeline, phrasing: str, per_triple: int) -> dict[str, float]:
    """Per attribute and whole, the share of a set's prompts whose text given to the network states
    the spec asked for (no diffusion, seconds): the given text is read back by `captions.parse`, exact
    on the canonical captions the front end writes; a prompt it passes on as typed is parsed as such.
    "scored": all that the diffusion evaluator scores (shape, colour, position, background) read right."""
    pairs = [pair for row in phrased_prompts(phrasing, per_triple) for pair in row]
    given = pipeline.normalise([prompt for prompt, _ in pairs])
    rows = []
    for text, (_, spec) in zip(given, pairs, strict=True):
        read = captions.parse(text)
        asked, got = spec.objects[0], read.objects[0] if len(read.objects) == 1 else ObjectSpec(None)
        row = {name: getattr(got, name) == getattr(asked, name) for name in READ_ATTRIBUTES[:4]}
        row["background"] = read.background == spec.background
        row["scored"] = all(row[name] for name in ("shape", "colour", "position", "background"))
        row["whole"] = text == captions.canonical_caption(spec)
        rows.append(row)
    return {key: float(np.mean([row[key] for row in rows])) for key in (*READ_ATTRIBUTES, "scored", "whole")}


def ground_truth_accuracy(count: int, size: int = 32, seed: int = 1) -> dict[str, float]:
    """The evaluator's accuracy on rendered ground truth: one-object scenes of every combination."""
    rng = np.random.default_rng(seed)
    scores = []
    for _ in range(count):
        scene = world.sample_scene(rng, two_object_probability=0.0)
        o = scene.objects[0]
        spec = PromptSpec((ObjectSpec(o.shape, o.colour, o.size, o.position),), scene.background)
        scores.append(score(measure(world.render(scene, size)), spec))
    return summarise(scores)


# The sizes the generation service asks for per aspect ratio (API.md, services/generation/requests.py).
ASPECT_SIZES = {"1:1": (512, 512), "16:9": (512, 288), "9:16": (288, 512), "4:3": (512, 384), "3:4": (384, 512)}
EVALUATION_SHORT_SIDE = 32  # the evaluator's thresholds hold at the model's own scale
ROUND = (0.85, 1.18)  # a circle's bounding-box aspect that reads as round


def at_evaluation_scale(image: np.ndarray) -> np.ndarray:
    """A served image box-filtered to EVALUATION_SHORT_SIDE on its short side, keeping its aspect ratio."""
    height, width = image.shape[:2]
    scale = EVALUATION_SHORT_SIDE / min(width, height)
    if scale >= 1:
        return image
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return np.asarray(Image.fromarray(image).resize(size, Image.Resampling.BOX))


def evaluate_pipeline(
    pipeline,
    seeds: int,
    steps: int,
    guidance: float,
    grid: str | None = None,
    first_seed: int = 0,
    aspect_ratio: str | None = None,
) -> dict:
    """Held-out prompts x seeds: attribute accuracy, determinism and diversity. With an aspect ratio:
    at the size the service asks for it, read back from the served image, with the circles' roundness."""
    scores, distinct, repeat_identical, rows, circles = [], [], [], [], []
    if aspect_ratio:
        width, height = ASPECT_SIZES[aspect_ratio]
    else:
        width = height = pipeline.native_size(0, 0)[0]
    for index, (prompt, spec) in enumerate(held_out_prompts()):
        seed_list = [1000 * index + first_seed + s for s in range(seeds)]
        images = pipeline.generate(prompt, "", seed_list, steps, guidance, width, height)
        images = np.stack([at_evaluation_scale(image) for image in images])
        measurements = [measure(image) for image in images]
        scores += [score(m, spec) for m in measurements]
        if spec.objects[0].shape == "circle":
            circles += [m.aspect for m in measurements if m.shape == "circle"]
        rows.append(np.concatenate(list(images), axis=1))
        distinct.append(len({image.tobytes() for image in images}) == len(images))
        if index < 3:
            again = pipeline.generate(prompt, "", seed_list, steps, guidance, width, height)
            repeat_identical.append(bool(np.array_equal(np.stack([at_evaluation_scale(i) for i in again]), images)))
    if grid:
        Image.fromarray(np.concatenate(rows, axis=0)).save(grid)
    summary: dict[str, object] = dict(summarise(scores))
    if aspect_ratio:
        summary["aspect_ratio"] = aspect_ratio
        summary["circles_measured"] = len(circles)
        summary["circle_aspect_median"] = float(np.median(circles)) if circles else float("nan")
        summary["circles_round"] = float(np.mean([ROUND[0] <= a <= ROUND[1] for a in circles])) if circles else 0.0
    summary["images"] = len(scores)
    summary["deterministic"] = all(repeat_identical)
    summary["diverse"] = float(np.mean(distinct))
    return summary


# Remix: sources and new prompts that differ in shape, colour, background and position.
REMIX_SOURCES = (  # (shape, colour, background, position), drawn large
    ("circle", "red", "blue", "centre"),
    ("circle", "red", "white", "centre"),
    ("square", "yellow", "black", "left"),
    ("triangle", "blue", "orange", "top"),
)
REMIX_PROMPTS = (
    "a green star on a white background",
    "a purple circle on a yellow background",
    "a white square on a red background",
    "an orange triangle on a green background",
)


def remix_source(shape: str, colour: str, background: str, position: str, size: int = 512) -> np.ndarray:
    """A remix source as a stored 1:1 image would hold it."""
    return world.render(world.Scene((world.SceneObject(shape, colour, "large", position),), background), size)


def remix_seed(source_index: int, prompt_index: int) -> int:
    return 100 * source_index + 10 * prompt_index


def evaluate_remix(pipeline, strengths: list[float], seeds: int, steps: int, guidance: float) -> dict:
    """Per strength, over REMIX_SOURCES x REMIX_PROMPTS x seeds: `follows`, the share of remixes read
    as their new prompt, and `keeps_source`, the share nearer the source (mean absolute pixel
    difference) than 0.6 x the plain generation of the same prompt and seed is."""
    size = pipeline.native_size(0, 0)[0]
    result: dict[str, object] = {}
    for strength in strengths:
        follows, keeps = [], []
        for s, source in enumerate(REMIX_SOURCES):
            init = remix_source(*source)
            shown = remix_source(*source, size=size).astype(np.float32)
            for p, prompt in enumerate(REMIX_PROMPTS):
                seed_list = [remix_seed(s, p) + k for k in range(seeds)]
                remixes = pipeline.generate(
                    prompt, "", seed_list, steps, guidance, size, size, init_image=init, strength=strength
                )
                plain = pipeline.generate(prompt, "", seed_list, steps, guidance, size, size)
                follows += [score(measure(image), captions.parse(prompt))["whole"] for image in remixes]
                keeps += [
                    np.abs(r - shown).mean() < 0.6 * np.abs(f - shown).mean()
                    for r, f in zip(remixes.astype(np.float32), plain.astype(np.float32), strict=True)
                ]
        result[f"{strength:g}"] = {"follows": float(np.mean(follows)), "keeps_source": float(np.mean(keeps))}
    result["images_per_strength"] = len(REMIX_SOURCES) * len(REMIX_PROMPTS) * seeds
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", default="imagemodel/weights/")
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--steps", type=int, default=25)
    parser.add_argument("--guidance", type=float, help="default: the pipeline's DEFAULT_GUIDANCE")
    parser.add_argument("--first-seed", type=int, default=0, help="another set of seeds, e.g. to validate a choice")
    parser.add_argument("--ground-truth", type=int, default=0, help="validate on N rendered images instead")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--guidance-max-timestep", type=int, help="apply guidance only below this timestep")
    parser.add_argument("--grid", help="also save the generated images as one PNG grid (a row per prompt)")
    parser.add_argument("--aspect-ratio", choices=sorted(ASPECT_SIZES), help="at the service's size for it")
    parser.add_argument(
        "--sampled-at-frame", action="store_true", help="sample wide and tall frames directly (before framing)"
    )
    parser.add_argument("--remix", help="comma-separated strengths: score remixes instead (see evaluate_remix)")
    parser.add_argument(
        "--phrasing",
        help=f"comma-separated sets of {PHRASING_SETS}, a family's with {WORLD_WORDS}: held-out triples so phrased",
    )
    parser.add_argument("--per-triple", type=int, default=4, help="with --phrasing: phrasings per triple")
    parser.add_argument("--prompts-as-typed", action="store_true", help="skip the phrasing front end (before it)")
    parser.add_argument(
        "--reading", action="store_true", help="with --phrasing: what the network is given, no diffusion"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    if args.ground_truth:
        result = {"ground_truth_images": args.ground_truth, **ground_truth_accuracy(args.ground_truth)}
    else:
        import torch

        from imagemodel.pipelines import DEFAULT_GUIDANCE, TinyDiffusionPipeline

        torch.set_num_threads(args.threads)
        pipeline = TinyDiffusionPipeline.from_pretrained(args.weights)
        pipeline.reads_phrasing = not args.prompts_as_typed
        pipeline.composes_in_square = not args.sampled_at_frame
        if args.guidance_max_timestep:
            pipeline.guidance_max_timestep = args.guidance_max_timestep
        guidance = DEFAULT_GUIDANCE if args.guidance is None else args.guidance
        if args.phrasing and args.reading:
            result = {
                phrasing: given_reading(pipeline, phrasing, args.per_triple) for phrasing in args.phrasing.split(",")
            }
        elif args.phrasing:
            images: dict = {}
            result = {
                phrasing: evaluate_phrasing(pipeline, phrasing, args.per_triple, args.steps, guidance, images)
                for phrasing in args.phrasing.split(",")
            }
        elif args.remix:
            strengths = [float(value) for value in args.remix.split(",")]
            result = evaluate_remix(pipeline, strengths, args.seeds, args.steps, guidance)
        else:
            result = evaluate_pipeline(
                pipeline, args.seeds, args.steps, guidance, args.grid, args.first_seed, args.aspect_ratio
            )
        result["guidance"] = guidance
    log.info("evaluation %s", json.dumps(result))


if __name__ == "__main__":
    main()
