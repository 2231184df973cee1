import pytest

from services.generation.requests import (
    DEFAULT_IMAGES,
    MAX_PROMPT_CHARS,
    InvalidRequest,
    validate,
)


def test_defaults_fill_what_the_user_left_out():
    spec = validate(prompt="  a red circle on a blue background  ")
    assert spec.prompt == "a red circle on a blue background"
    assert spec.num_images == DEFAULT_IMAGES == 4
    assert spec.steps == 0  # the model's own default: only the model knows it
    assert (spec.width, spec.height) == (512, 512)
    assert spec.visibility == "public"
    assert 0 <= spec.seed <= 2**32 - 1


def test_a_missing_seed_is_random_and_a_given_one_is_kept():
    seeds = {validate(prompt="x").seed for _ in range(20)}
    assert len(seeds) > 15
    assert validate(prompt="x", seed=0).seed == 0
    assert validate(prompt="x", seed=42).seed == 42


def test_aspect_ratio_sets_the_size():
    assert (validate(prompt="x", aspect_ratio="16:9").width, validate(prompt="x", aspect_ratio="16:9").height) == (
        512,
        288,
    )
    assert validate(prompt="x", aspect_ratio="9:16").height == 512


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"prompt": ""}, "prompt", "empty"),
        ({"prompt": "   \n "}, "prompt", "empty"),
        ({"prompt": "x" * (MAX_PROMPT_CHARS + 1)}, "prompt", "at most"),
        ({"prompt": "x", "negative_prompt": "y" * (MAX_PROMPT_CHARS + 1)}, "negative_prompt", "at most"),
        ({"prompt": "x", "num_images": 9}, "num_images", "between 1 and 8"),
        ({"prompt": "x", "num_images": -1}, "num_images", "between 1 and 8"),
        ({"prompt": "x", "seed": -1}, "seed", "between"),
        ({"prompt": "x", "seed": 2**32}, "seed", "between"),
        ({"prompt": "x", "aspect_ratio": "2:1"}, "aspect_ratio", "one of"),
        ({"prompt": "x", "color_palette": ["red"]}, "color_palette", "#rrggbb"),
        ({"prompt": "x", "color_palette": ["#000000"] * 9}, "color_palette", "at most"),
        ({"prompt": "x", "steps": 101}, "steps", "between"),
        ({"prompt": "x", "steps": -1}, "steps", "between"),
        ({"prompt": "x", "guidance": 21.0}, "guidance", "at most"),
        ({"prompt": "x", "visibility": "friends"}, "visibility", "public or private"),
        ({"prompt": "x", "mode": "upscale"}, "mode", "not available"),
    ],
)
def test_bad_input_names_the_field_and_the_rule(fields, field, words):
    with pytest.raises(InvalidRequest) as caught:
        validate(**fields)
    assert caught.value.field == field
    assert words in str(caught.value)
