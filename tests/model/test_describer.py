"""The shipped describer: small, ranked suggestions in the world's words, and read the way the
independent evaluator reads images it never saw (rendered scenes of a fresh seed, and the default
model's own images)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from describer import network
from describer.evaluate import (
    evaluate_generated,
    evaluate_rendered,
    first_suggestions,
    procedural_images,
    read_standin,
    standin_cases,
)
from describer.suggestions import MAX_SUGGESTIONS, suggest
from imagemodel import world
from imagemodel.captions import parse

FRESH_SEED = 424242  # neither training (1) nor the model card (1000) drew from it


@pytest.fixture(scope="module")
def model() -> network.Describer:
    torch.set_num_threads(1)
    return network.load()


def test_the_network_is_small() -> None:
    assert network.parameter_count(network.Describer()) <= 200_000
    assert network.WEIGHTS_FILE.stat().st_size <= 1_000_000


def test_a_two_object_scene_is_suggested_with_both_objects_ranked_best_first(model: network.Describer) -> None:
    scene = world.Scene(
        (world.SceneObject("star", "red", "medium", "left"), world.SceneObject("circle", "blue", "small", "right")),
        "white",
    )

    suggestions = suggest(network.read(model, [world.render(scene, 512)])[0])

    assert 1 <= len(suggestions) <= MAX_SUGGESTIONS and len({s.text for s in suggestions}) == len(suggestions)
    assert [s.probability for s in suggestions] == sorted((s.probability for s in suggestions), reverse=True)
    read = parse(suggestions[0].text)
    assert [(o.shape, o.colour, o.position) for o in read.objects] == [
        ("star", "red", "left"),
        ("circle", "blue", "right"),
    ], suggestions
    assert read.background == "white"


def test_anything_but_an_rgb_uint8_image_is_refused(model: network.Describer) -> None:
    with pytest.raises(ValueError, match="uint8 of shape"):
        network.read(model, [np.zeros((8, 8), np.uint8)])


def test_fresh_rendered_scenes_are_read_as_the_evaluator_reads_them(model: network.Describer) -> None:
    # Model card (1,000 scenes, seed 1000): truth 99.7% whole, evaluator agreement 98.6% whole.
    figures = evaluate_rendered(model, count=100, seed=FRESH_SEED)

    assert figures["truth"]["whole"] >= 0.93, figures
    assert min(figures["evaluator"][key] for key in ("shape", "colour", "background", "position")) >= 0.93, figures


def test_the_platforms_tilted_triangles_are_named(model: network.Describer) -> None:
    # The procedural stand-in the platform's Triton draws with tilts them up to 14° and places them its
    # own way. On these 16 seeds 16/16 (11/16 before training on tilted, moved shapes); the card's 40
    # seeds: 40/40 (27/40 trained upright, 36/40 before training on the stand-in's own drawings).
    images = procedural_images("triangle", 16, first_seed=FRESH_SEED)

    named = [suggestion.spec.objects[0].shape for suggestion in first_suggestions(model, images)]

    assert named.count("triangle") >= 14, named


def test_the_platforms_own_drawings_are_read_across_colour_pairs(model: network.Describer) -> None:
    # The procedural stand-in the platform's Triton draws with: fresh seeds, every shape and position,
    # colour pairs spread over all 56, half at 512 px and half at 512x288. Misread (shape, colour or
    # background): none of 48 (1 with the 512x288 half squeezed to 32x32 whole, as it was read before);
    # 7 of 48, read squeezed, with the weights trained on rendered scenes alone (their circles read as
    # squares). The card's 2,240 per frame: `python -m describer.evaluate --standin 2`.
    cases = standin_cases(per_case=1, first_seed=FRESH_SEED)[::23][:48]

    checks = read_standin(model, cases[::2], 512, 512) + read_standin(model, cases[1::2], 512, 288)

    misread = [(drawn, c) for (drawn, _), c in zip(cases[::2] + cases[1::2], checks, strict=True) if not c["whole"]]
    assert len(checks) == 48 and len(misread) <= 3, misread


def test_a_wide_or_tall_frame_is_read_in_squares_of_its_short_side_around_each_slot() -> None:
    left, right, top, bottom, centre = network.windows(512, 288)

    assert left.boxes[1] == (0, 0, 288, 288) and right.boxes[1] == (224, 0, 512, 288)
    assert top.boxes == bottom.boxes == centre.boxes and centre.boxes[1] == (112, 0, 400, 288)
    assert network.windows(288, 512)[2].boxes[1] == (0, 0, 288, 288)  # the top of a tall frame
    assert all(box[2] - box[0] == box[3] - box[1] == 8 for w in network.windows(8, 4096) for box in w.boxes)


def test_circles_and_squares_of_wide_and_tall_frames_are_named_where_they_are(model: network.Describer) -> None:
    # The stand-in's drawings at 512x288 and 288x512, fresh seeds, every position. Squeezed to 32x32
    # whole, as every image was read before, 36 of these 40 were named right (circles read as squares,
    # triangles or stars); read in squares of their short side, 40. The card's 2,240 per frame:
    # `python -m describer.evaluate --standin 2`.
    cases = [c for c in standin_cases(per_case=1, first_seed=FRESH_SEED) if c[0].shape in ("circle", "square")]
    cases = cases[::7][:40]

    checks = read_standin(model, cases[::2], 512, 288) + read_standin(model, cases[1::2], 288, 512)

    misread = [(drawn, c) for (drawn, _), c in zip(cases[::2] + cases[1::2], checks, strict=True) if not c["whole"]]
    assert len(checks) == 40 and len(misread) <= 1, misread


def test_the_default_models_images_are_described_and_drawn_again_as_the_same_scene(model: network.Describer) -> None:
    from imagemodel.pipelines import TinyDiffusionPipeline

    pipeline = TinyDiffusionPipeline.from_pretrained("imagemodel/weights/")

    figures = evaluate_generated(model, pipeline, per_prompt=1, steps=15, limit=6)

    assert figures["images"] == 6
    assert figures["evaluator_agrees"]["whole"] >= 4 / 6, figures
    assert figures["round_trip_same_scene"]["whole"] >= 3 / 6, figures
