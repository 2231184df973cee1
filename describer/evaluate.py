"""Figures for the model card: how far the independent evaluator (imagemodel.evaluate, analytic,
never trained) agrees with the describer, on images it never saw.

    python -m describer.evaluate --rendered 2000              # rendered scenes: truth and evaluator
    python -m describer.evaluate --generated 2 --steps 25      # the default model's images, round trip
    python -m describer.evaluate --tilted 40                   # the Triton procedural stand-in's tilted shapes

Held out: rendered scenes come from EVAL_SEED (training draws from its own seed and never draws the
held-out triples, which these include); generated images are the default model's answers to the
held-out prompts (imagemodel.evaluate.held_out_prompts), which neither model trained on.
Round trip: the describer's first suggestion is generated again (another seed) and the evaluator
reads whether the new image shows the same scene as the source (shape, colour, background, position).
Tilted: the platform's Triton draws with its procedural stand-in (`model_repository/txt2img`'s
default pipeline), which tilts triangles and stars by up to 14° and sizes shapes its own way; the
first suggestion's shape against the prompt's, on its 512 px images.
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np
import torch

from describer import network, scenes, standin
from describer.suggestions import Suggestion, suggest
from imagemodel import evaluate as evaluator
from imagemodel import world
from imagemodel.captions import ObjectSpec, PromptSpec
from imagemodel.pipelines import DEFAULT_GUIDANCE

EVAL_SEED = 1000
TILTED_SIDE = standin.SIDE
# The stand-in measured at the size the platform asks by default and at 16:9 and 9:16.
STANDIN_SIZES = ((512, 512), (512, 288), (288, 512))
STANDIN_SEED = 700_000  # the seeds of its drawings; training draws with generators of its own
ATTRIBUTES = evaluator.ATTRIBUTES  # shape, colour, background, position


def first_suggestions(model: network.Describer, images: list[np.ndarray]) -> list[Suggestion]:
    return [suggest(reading)[0] for reading in network.read(model, images)]


def agrees(measurement: evaluator.Measurement, spec: PromptSpec) -> dict[str, bool]:
    """The evaluator's reading of an image against a described one-object scene, per attribute."""
    return evaluator.score(measurement, spec)


def same_scene(source: evaluator.Measurement, other: evaluator.Measurement) -> dict[str, bool]:
    """Whether the evaluator reads two images as the same scene, per attribute."""
    result = {attribute: getattr(source, attribute) == getattr(other, attribute) for attribute in ATTRIBUTES}
    result["whole"] = all(result.values())
    return result


def evaluate_rendered(model: network.Describer, count: int, seed: int = EVAL_SEED) -> dict:
    """One-object rendered scenes, degraded as generated images are: the first suggestion against
    the scene it was rendered from (truth) and against the evaluator's reading of the same pixels."""
    rng = np.random.default_rng(seed)
    world_scenes = [s for s in scenes.sample_scenes(seed, 2 * count, exclude_held_out=False) if len(s.objects) == 1]
    world_scenes = world_scenes[:count]
    images = list(scenes.degrade(scenes.render_all(world_scenes), rng))
    truth, with_evaluator = [], []
    for scene, image, suggestion in zip(world_scenes, images, first_suggestions(model, images), strict=True):
        o = scene.objects[0]
        spec = suggestion.spec
        described = spec.objects[0]
        truth.append(
            {
                "shape": described.shape == o.shape,
                "colour": described.colour == o.colour,
                "background": spec.background == scene.background,
                "position": described.position == o.position,
                "size": described.size == o.size,
                "whole": len(spec.objects) == 1
                and described == ObjectSpec(o.shape, o.colour, o.size, o.position)
                and spec.background == scene.background,
            }
        )
        with_evaluator.append(agrees(evaluator.measure(image), spec))
    return {
        "images": len(images),
        "truth": {key: float(np.mean([t[key] for t in truth])) for key in truth[0]},
        "evaluator": evaluator.summarise(with_evaluator),
    }


def evaluate_generated(
    model: network.Describer, pipeline, per_prompt: int, steps: int, limit: int | None = None
) -> dict:
    """The default model's images of the held-out prompts: the evaluator against the first
    suggestion (agreement), and against the image generated from that suggestion (round trip)."""
    size = pipeline.native_size(0, 0)[0]
    guidance = DEFAULT_GUIDANCE
    prompts = evaluator.held_out_prompts()[:limit]
    agreement: list[dict[str, bool]] = []
    round_trip: list[dict[str, bool]] = []
    examples: list[dict[str, str]] = []
    for index, (prompt, _) in enumerate(prompts):
        seeds = [1000 * index + k for k in range(per_prompt)]
        sources = pipeline.generate(prompt, "", seeds, steps, guidance, size, size)
        for k, (source, suggestion) in enumerate(zip(sources, first_suggestions(model, list(sources)), strict=True)):
            read_source = evaluator.measure(source)
            agreement.append(agrees(read_source, suggestion.spec))
            again = pipeline.generate(suggestion.text, "", [7 + 1000 * index + k], steps, guidance, size, size)[0]
            round_trip.append(same_scene(read_source, evaluator.measure(again)))
            if len(examples) < 6:
                examples.append({"prompt": prompt, "suggestion": suggestion.text})
    return {
        "images": len(agreement),
        "steps": steps,
        "evaluator_agrees": evaluator.summarise(agreement),
        "round_trip_same_scene": evaluator.summarise(round_trip),
        "examples": examples,
    }


def procedural_images(shape: str, count: int, first_seed: int = 0) -> list[np.ndarray]:
    """The procedural stand-in's drawings of shape at 512 px, count seeds from first_seed, every pair
    of world colours in turn (object, background)."""
    images = []
    for seed in range(first_seed, first_seed + count):
        colour = seed % len(world.COLOURS)
        background = (colour + 1 + (seed // len(world.COLOURS)) % (len(world.COLOURS) - 1)) % len(world.COLOURS)
        prompt = f"a {world.COLOURS[colour]} {shape} on a {world.COLOURS[background]} background"
        images.append(standin.answer(prompt, seed))
    return images


def standin_cases(per_case: int, first_seed: int = STANDIN_SEED) -> list[tuple[standin.Drawn, int]]:
    """Every shape, (object, background) pair of world colours and position, per_case seeds each;
    seeds from first_seed, one per image (training draws with generators of its own)."""
    drawn = [
        standin.Drawn(shape, colour, background, position)
        for shape in world.SHAPES
        for colour in world.COLOURS
        for background in world.COLOURS
        if colour != background
        for position in world.POSITIONS
    ]
    return [(d, first_seed + i) for i, d in enumerate(d for d in drawn for _ in range(per_case))]


def read_standin(model: network.Describer, cases: list[tuple[standin.Drawn, int]], width: int, height: int):
    """Per case, whether the first suggestion says its shape, colour, background, position and all four."""
    images = [standin.answer(drawn.prompt(), seed, width, height) for drawn, seed in cases]
    checks = []
    for (drawn, _), suggestion in zip(cases, first_suggestions(model, images), strict=True):
        spec = suggestion.spec
        read = spec.objects[0]
        check = {
            "shape": read.shape == drawn.shape,
            "colour": read.colour == drawn.colour,
            "background": spec.background == drawn.background,
            "position": read.position == drawn.position,
        }
        check["whole"] = len(spec.objects) == 1 and all(check.values())
        checks.append(check)
    return checks


def evaluate_standin(model: network.Describer, per_case: int, first_seed: int = STANDIN_SEED) -> dict:
    """The stand-in's drawings of every shape, colour pair and position at each of STANDIN_SIZES:
    the share whose first suggestion is right, per attribute, per shape, per (object, background)
    pair and per shape and pair ("named": shape, colour and background all right), the held-out
    triples apart."""
    cases = standin_cases(per_case, first_seed)
    drawn = [d for d, _ in cases]
    held_out = world.held_out_combinations()
    pairs = [(c, b) for c in world.COLOURS for b in world.COLOURS if c != b]
    result: dict = {"images_per_size": len(cases), "first_seed": first_seed}
    for width, height in STANDIN_SIZES:
        checks = read_standin(model, cases, width, height)
        for check in checks:
            check["named"] = check["shape"] and check["colour"] and check["background"]

        def share(keep, key: str = "whole", checks=checks) -> float:
            return round(float(np.mean([c[key] for c, d in zip(checks, drawn, strict=True) if keep(d)])), 4)

        def of_pair(c: str, b: str, shape: str | None = None):
            return lambda d: (d.colour, d.background) == (c, b) and shape in (None, d.shape)

        by_pair = {f"{c} on {b}": share(of_pair(c, b), "named") for c, b in pairs}
        result[f"{width}x{height}"] = {
            "overall": {key: share(lambda d: True, key) for key in ("shape", "colour", "background", "position")}
            | {"whole": share(lambda d: True)},
            "shape_named": {s: share(lambda d, s=s: d.shape == s, "shape") for s in world.SHAPES},
            "held_out_whole": share(lambda d: (d.shape, d.colour, d.background) in held_out),
            "worst_pairs": dict(sorted(by_pair.items(), key=lambda item: item[1])[:8]),
            "pairs": by_pair,
            "shape_by_pair": {
                s: {f"{c} on {b}": share(of_pair(c, b, s), "named") for c, b in pairs} for s in world.SHAPES
            },
        }
    return result


def standin_markdown(figures: dict) -> str:
    """The card's tables from evaluate_standin's figures: per frame, each shape's share named right
    and, per (object colour, background) pair, the share with shape, colour and background right."""
    lines = []
    for frame in (f"{w}x{h}" for w, h in STANDIN_SIZES):
        table = figures[frame]
        lines += [f"{frame}: " + ", ".join(f"{s} {v:.1%}" for s, v in table["shape_named"].items()), ""]
        lines += ["| object \\ background | " + " | ".join(world.COLOURS) + " |", "|---" * 9 + "|"]
        for c in world.COLOURS:
            cells = ["–" if b == c else f"{table['pairs'][f'{c} on {b}']:.0%}" for b in world.COLOURS]
            lines.append(f"| {c} | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


def evaluate_tilted(model: network.Describer, per_shape: int, first_seed: int = 0) -> dict:
    """The share of the stand-in's images of each shape whose first suggestion names that shape."""
    named = {}
    for shape in world.SHAPES:
        suggestions = first_suggestions(model, procedural_images(shape, per_shape, first_seed))
        named[shape] = sum(s.spec.objects[0].shape == shape for s in suggestions) / per_shape
    return {"images_per_shape": per_shape, "shape_named": named}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rendered", type=int, default=0, help="held-out rendered scenes to read")
    parser.add_argument("--generated", type=int, default=0, help="images per held-out prompt to generate and read")
    parser.add_argument("--tilted", type=int, default=0, help="procedural stand-in images per shape to read")
    parser.add_argument("--standin", type=int, default=0, help="stand-in drawings per shape, colour pair and position")
    parser.add_argument("--steps", type=int, default=25)
    parser.add_argument("--weights", default=str(network.WEIGHTS_FILE))
    parser.add_argument("--image-weights", default="imagemodel/weights/")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    model = network.load(args.weights)
    result: dict = {}
    if args.rendered:
        result["rendered"] = evaluate_rendered(model, args.rendered)
    if args.generated:
        from imagemodel.pipelines import TinyDiffusionPipeline

        pipeline = TinyDiffusionPipeline.from_pretrained(args.image_weights)
        result["generated"] = evaluate_generated(model, pipeline, args.generated, args.steps)
    if args.tilted:
        result["tilted"] = evaluate_tilted(model, args.tilted)
    if args.standin:
        result["standin"] = evaluate_standin(model, args.standin)
        sys.stderr.write(standin_markdown(result["standin"]) + "\n")
    sys.stdout.write(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
