"""The procedural world renders what its captions say, and captions parse back to what they said."""

import numpy as np

from imagemodel import captions, world
from imagemodel.captions import ObjectSpec, PromptSpec


def full_spec(scene: world.Scene) -> PromptSpec:
    objects = tuple(ObjectSpec(o.shape, o.colour, o.size, o.position) for o in scene.objects)
    return PromptSpec(objects, scene.background)


def test_every_caption_phrasing_parses_back_to_the_spec_it_describes() -> None:
    rng = np.random.default_rng(0)
    for _ in range(3000):
        spec = captions.mentioned_spec(world.sample_scene(rng), rng)
        text = captions.caption(spec, rng)
        assert captions.parse(text) == spec, text


def test_a_fully_described_scene_round_trips_through_its_caption() -> None:
    rng = np.random.default_rng(1)
    for _ in range(500):
        scene = world.sample_scene(rng)
        spec = full_spec(scene)
        assert captions.parse(captions.caption(spec, rng)) == spec
        assert captions.parse(captions.canonical_caption(spec)) == spec


def test_the_issue_examples_parse() -> None:
    assert captions.parse("a red circle on a blue background") == PromptSpec((ObjectSpec("circle", "red"),), "blue")
    assert captions.parse("blue backdrop, small red disc on the left") == PromptSpec(
        (ObjectSpec("circle", "red", "small", "left"),), "blue"
    )


def test_renders_at_any_resolution_with_the_background_colour_at_the_border() -> None:
    scene = world.Scene((world.SceneObject("star", "red", "large", "centre"),), "blue")
    for size in (16, 32, 100):
        image = world.render(scene, size)
        assert image.shape == (size, size, 3) and image.dtype == np.uint8
        assert tuple(image[0, 0]) == world.PALETTE["blue"]
        assert tuple(image[size // 2, size // 2]) == world.PALETTE["red"]


def test_held_out_combinations_are_fixed_about_15_percent_and_never_sampled_for_training() -> None:
    held_out = world.held_out_combinations()
    assert held_out == world.held_out_combinations()
    assert abs(len(held_out) / len(world.all_combinations()) - 0.15) < 0.01
    rng = np.random.default_rng(2)
    for _ in range(2000):
        assert not world.is_held_out(world.sample_scene(rng, exclude=held_out), held_out)
