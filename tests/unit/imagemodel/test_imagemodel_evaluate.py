"""The analytic evaluator reads ground-truth renders correctly, so its scores of model output mean something."""

import numpy as np
from scipy import ndimage

from imagemodel import evaluate, world
from imagemodel.captions import ObjectSpec, PromptSpec


def test_evaluator_is_at_least_99_percent_right_on_ground_truth_renders() -> None:
    accuracy = evaluate.ground_truth_accuracy(600)
    assert min(accuracy.values()) >= 0.99, accuracy


def test_evaluator_tolerates_noise_and_blur() -> None:
    rng = np.random.default_rng(3)
    correct = []
    for _ in range(300):
        scene = world.sample_scene(rng, two_object_probability=0.0)
        image = ndimage.gaussian_filter(world.render(scene).astype(float), sigma=(0.5, 0.5, 0))
        noisy = np.clip(image + rng.normal(0, 10, image.shape), 0, 255).astype(np.uint8)
        o = scene.objects[0]
        spec = PromptSpec((ObjectSpec(o.shape, o.colour, o.size, o.position),), scene.background)
        correct.append(evaluate.score(evaluate.measure(noisy), spec)["whole"])
    assert np.mean(correct) >= 0.9


def test_a_blank_image_has_no_object_and_scores_wrong_shape() -> None:
    blank = np.full((32, 32, 3), world.PALETTE["green"], dtype=np.uint8)
    measurement = evaluate.measure(blank)
    assert measurement.background == "green" and measurement.shape is None
    assert not evaluate.score(measurement, PromptSpec((ObjectSpec("circle", "red"),), "green"))["whole"]


def test_held_out_prompts_cover_every_held_out_combination_once() -> None:
    prompts = evaluate.held_out_prompts()
    triples = {(s.objects[0].shape, s.objects[0].colour, s.background) for _, s in prompts}
    assert triples == world.held_out_combinations() and len(prompts) == len(triples)
