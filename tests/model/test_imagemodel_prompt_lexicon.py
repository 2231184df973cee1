"""The lexicon front end (imagemodel/prompt_lexicon.py, imagemodel/colour_lexicon.py) and the binding rules
of captions.read_spec: colour names from the survey placed by hue, slips mended only towards words that
carry a spec, real words left alone, and which colour is the background's."""

import pytest

from imagemodel import captions, colour_lexicon
from imagemodel.captions import ObjectSpec, PromptSpec, read_spec
from imagemodel.prompt_lexicon import Lexicon


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return Lexicon(captions.world_vocabulary())


def test_colour_names_from_the_survey_read_as_the_world_hue_they_look_like() -> None:
    names = colour_lexicon.colour_names()
    # Dark and light shades keep their hue (people mean navy as a blue); near-greys are white or black.
    expected = {"navy": "blue", "maroon": "red", "crimson": "red", "cobalt": "blue", "emerald": "green"}
    expected |= {"charcoal": "black", "ivory": "white", "cream": "white", "tangerine": "orange", "plum": "purple"}
    assert {name: names.get(name) for name in expected} == expected
    # Between two world colours (teal? pink?) or a mid grey: no reading, the word stays unknown.
    assert {name: names.get(name) for name in ("pink", "grey", "lilac")} == dict.fromkeys(("pink", "grey", "lilac"))
    assert len(names) > 600


def test_colour_names_and_shape_nouns_become_world_words(lexicon: Lexicon) -> None:
    assert lexicon.rewrite("A crimson orb on a navy canvas") == "A red circle on a blue background"
    # A name ending in a world colour is that colour; a size word before a colour stays a size.
    assert lexicon.rewrite("a lime green pyramid, light blue bg") == "a green triangle, blue background"
    assert lexicon.rewrite("a medium blue tile") == "a medium blue square"
    assert lexicon.rewrite("two orbs and three boxes") == "two circles and three squares"


def test_slips_are_mended_towards_the_words_that_carry_a_spec(lexicon: Lexicon) -> None:
    assert (
        lexicon.rewrite("a big yelow traingle on a purlpe backgorund") == "a big yellow triangle on a purple background"
    )
    assert lexicon.rewrite("a starr on a back ground") == "a star on a background"  # star or starry: one meaning
    assert lexicon.rewrite("a tri angle, a smallcircle withgreen") == "a triangle, a small circle with green"
    assert lexicon.rewrite("a pe tite star") == "a petite star"  # a word, not "pe" and a slip of "tile"
    assert lexicon.rewrite("a blck star") == "a blck star"  # black or block: left as typed


def test_real_words_and_words_outside_the_world_are_left_as_typed(lexicon: Lexicon) -> None:
    for prompt in ("a green setting", "coal and a blacksmith", "a cat astronaut", "portrait of an old sailor"):
        assert lexicon.rewrite(prompt) == prompt


@pytest.mark.parametrize(
    "prompt",
    [
        "a star done in red, blue behind it",  # a colour next to "behind"
        "a star with blue behind it, in red",
        "blue all around a star painted red",
        "blue setting; a star, red all over",  # two colours, one shape: the nearer is the object's
        "a star with red paint with blue filling the remainder",
        "a star atop a blue surface, red",
        "red star resting upon blue",
    ],
)
def test_the_colour_that_is_not_the_objects_is_the_background(prompt: str, lexicon: Lexicon) -> None:
    assert read_spec(lexicon.rewrite(prompt)) == PromptSpec((ObjectSpec("star", "red"),), "blue")


def test_two_colours_before_one_shape_are_not_guessed_apart() -> None:
    assert read_spec("a red and green star") is None
    assert read_spec("a round disc in red on white") == PromptSpec((ObjectSpec("circle", "red"),), "white")
