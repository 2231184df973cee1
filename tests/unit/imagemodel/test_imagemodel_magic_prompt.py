"""Magic prompt expands a short prompt into a full scene, keeping what the user said, the same way every time."""

from imagemodel import magic_prompt
from imagemodel.captions import parse


def test_expansion_is_deterministic_per_prompt_and_seed() -> None:
    assert magic_prompt.expand("red circle", 7) == magic_prompt.expand("red circle", 7)
    assert len({magic_prompt.expand("red circle", seed) for seed in range(20)}) > 1


def test_expansion_keeps_what_the_prompt_names_and_fills_the_rest() -> None:
    for seed in range(50):
        spec = parse(magic_prompt.expand("red circle", seed))
        (obj,) = spec.objects
        assert (obj.shape, obj.colour) == ("circle", "red")
        assert obj.size and obj.position and spec.background and spec.background != "red"


def test_unknown_and_two_object_prompts_still_expand_to_drawable_scenes() -> None:
    assert parse(magic_prompt.expand("a cat", 1)).objects[0].shape
    two = parse(magic_prompt.expand("a red star and a blue square", 3))
    assert [o.shape for o in two.objects] == ["star", "square"]
    assert {o.position for o in two.objects} in ({"left", "right"}, {"top", "bottom"})
