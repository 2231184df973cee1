"""The lexicon front end (imagemodel/prompt_lexicon.py, imagemodel/colour_lexicon.py) and the binding rules
of captions.read_spec: colour names from the survey placed by hue, slips mended only towards words that
carry a spec, real words left alone, and which colour is the background's."""

import pytest

from imagemodel import captions, colour_lexicon, size_lexicon, spatial_lexicon
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
    # Between two world hues, the one whose rendered colour is clearly nearer in CIEDE2000 (magenta, lilac:
    # purple); where neither is (pink, mauve) or a mid grey, no reading: the word stays unknown.
    assert {name: names.get(name) for name in ("magenta", "lilac", "sunflower")} == {
        "magenta": "purple",
        "lilac": "purple",
        "sunflower": "yellow",
    }
    assert {name: names.get(name) for name in ("pink", "mauve", "grey")} == dict.fromkeys(("pink", "mauve", "grey"))
    assert len(names) > 900


def test_ciede2000_matches_sharmas_published_pairs() -> None:
    # Sharma, Wu and Dalal (2005), test data pairs 1, 4, 17 and 34.
    for first, second, expected in (
        ((50, 2.6772, -79.7751), (50, 0, -82.7485), 2.0425),
        ((50, -1.3802, -84.2814), (50, 0, -82.7485), 1.0),
        ((50, 0, 0), (50, -1, 2), 2.3669),
        ((2.0776, 0.0795, -1.135), (0.9033, -0.0636, -0.5514), 0.9082),
    ):
        assert colour_lexicon.ciede2000(first, second) == pytest.approx(expected, abs=1e-4)


def test_colour_names_and_shape_nouns_become_world_words(lexicon: Lexicon) -> None:
    assert lexicon.rewrite("A crimson orb on a navy canvas") == "A red circle on a blue background"
    # A name ending in a world colour is that colour; a size word before a colour stays a size.
    assert lexicon.rewrite("a lime green pyramid, light blue bg") == "a green triangle, blue background"
    assert lexicon.rewrite("a medium blue tile") == "a medium blue square"
    assert lexicon.rewrite("two orbs and three boxes") == "two circles and three squares"
    # A noun hyphened into a colour's shade is no shape: "traffic-cone orange" is an orange.
    assert lexicon.rewrite("a traffic-cone orange star, a sugar-cube white orb") == (
        "a traffic-cone orange star, a sugar-cube white circle"
    )
    assert lexicon.rewrite("an orange traffic-cone") == "an orange traffic-triangle"


def test_slips_are_mended_towards_the_words_that_carry_a_spec(lexicon: Lexicon) -> None:
    assert (
        lexicon.rewrite("a big yelow traingle on a purlpe backgorund") == "a big yellow triangle on a purple background"
    )
    assert lexicon.rewrite("a starr on a back ground") == "a star on a background"  # star or starry: one meaning
    assert lexicon.rewrite("a tri angle, a smallcircle withgreen") == "a triangle, a small circle with green"
    assert lexicon.rewrite("a pe tite star") == "a small star"  # "petite", not "pe" and a slip of "tile"
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


@pytest.mark.parametrize(
    ("phrase", "place"),
    [
        ("at the base of the picture", "at the bottom"),  # a frame noun after "the"
        ("close to the floor", "at the bottom"),
        ("in the heart of the frame", "in the centre"),
        ("midway across", "in the centre"),  # a preposition ending the clause is part of the phrase
        ("high up", "at the top"),
        ("bottommost", "at the bottom"),  # superlative of an axis word
        ("in the middle of the left side", "on the left"),  # middle on one axis, a side on the other
        ("right in the centre", "in the centre"),  # "right" before a preposition: an intensifier
        ("toward the east", "on the right"),
    ],
)
def test_position_phrases_are_read_by_axis(phrase: str, place: str) -> None:
    assert spatial_lexicon.place_phrases(f"a star {phrase}, blue background") == f"a star {place}, blue background"


def test_phrases_with_no_world_place_or_no_place_are_left_as_typed() -> None:
    for prompt in (
        "a star in the top-left corner",  # off the middle on both axes: the world draws no corner
        "a star at the top left",
        "a star on a blue ground",  # "ground" without "the" is a thing
        "a star beneath a blue sky",  # a preposition with an object relates two things
        "whip up a star",  # up alone strengthens nothing
        "a mid-sized star",  # a compound modifier
        "a right triangle",
    ):
        assert spatial_lexicon.place_phrases(prompt) == prompt
    assert spatial_lexicon.place_phrases("a red star on top of blue") == "a red star atop blue"


def test_shape_nouns_read_by_their_outline(lexicon: Lexicon) -> None:
    assert lexicon.rewrite("a sphere, a cube, a cone and the asterisk") == "a circle, a square, a triangle and the star"
    assert lexicon.rewrite("two pyramids and a rectangular block") == "two triangles and a square square"


@pytest.mark.parametrize(
    ("prompt", "read"),
    [
        ("a pint-sized star", "a small star"),
        ("a King Size orb", "a large circle"),
        ("the average-sized box", "the medium square"),
        ("a moderately sized star", "a medium star"),
        ("a humongous, minuscule or middling star", "a large, small or medium star"),
        ("a big tiny little star", "a big tiny little star"),  # the world's own size words as typed
        ("a star the size of a coin, medium blue", "a star the size of a circle, medium blue"),
    ],
)
def test_size_adjectives_and_size_compounds_become_world_sizes(prompt: str, read: str, lexicon: Lexicon) -> None:
    assert lexicon.rewrite(prompt) == read


def test_a_size_compound_is_read_by_its_first_part_only_with_sized() -> None:
    assert size_lexicon.size_words("a king and a pocket watch") == "a king and a pocket watch"
    assert size_lexicon.size_words("a pocket-sized king") == "a small king"


def test_the_long_colour_list_is_read_only_where_a_word_stands_as_a_colour(lexicon: Lexicon) -> None:
    listed = colour_lexicon.listed_colour_names()
    # Names neither the survey nor CSS has, placed by hue as theirs are; the survey's win where both name one.
    assert {name: listed.get(name) for name in ("daffodil", "papaya", "clementine", "poppy")} == {
        "daffodil": "yellow",
        "papaya": "orange",
        "clementine": "orange",
        "poppy": "red",
    }
    assert "rust" not in listed and colour_lexicon.colour_names()["rust"] == "red"
    assert (
        lexicon.rewrite("a daffodil circle on a papaya-toned backdrop")
        == "a yellow circle on a orange-toned background"
    )
    assert (
        lexicon.rewrite("a star in the colour poppy, on solid clementine")
        == "a star in the colour red, on solid orange"
    )
    assert lexicon.rewrite("circle, papaya, large") == "circle, orange, large"
    # A slip of a listed name is mended towards it there, as towards the survey's names.
    assert lexicon.rewrite("a papaay circle, a dafodil star") == "a orange circle, a yellow star"
    assert lexicon.rewrite("a zorblax circle") == "a zorblax circle"
    # Elsewhere such a name is the ordinary word it also is; so is any name English uses more often than as a
    # colour ("astronaut", "star", "space" are colours in the list).
    for prompt, word in (
        ("an astronaut on the moon", "astronaut"),
        ("a cat astronaut", "astronaut"),
        ("astronaut", "astronaut"),
        ("papaya", "papaya"),  # no shape named: a fruit
        ("prompt: a red star", "prompt"),  # a label, not a colour
    ):
        assert word in lexicon.rewrite(prompt), prompt
    assert lexicon.rewrite("an astronaut circle in space") == "an astronaut circle in space"


@pytest.mark.parametrize(
    "prompt",
    [
        "blue for the background and a red star",
        "a red star, blue as the backdrop",
        "blue for a plain background; a red star",
    ],
)
def test_a_colour_a_few_linking_words_before_the_background_is_the_backgrounds(prompt: str) -> None:
    assert read_spec(prompt) == PromptSpec((ObjectSpec("star", "red"),), "blue")


@pytest.mark.parametrize(
    ("prompt", "read"),
    [
        ("a red hoop on a blue background", "a red circle on a blue background"),  # "a rigid circular band"
        ("two crates, backed by green", "two squares, backed by green"),  # "a rugged box"
        ("a pentacle on red", "a star on red"),  # "a star with 5 points"
        ("funnels and a hoop", "triangles and a circle"),  # "a conical shape", plural too
    ],
)
def test_everyday_nouns_read_by_their_wordnet_outline(prompt: str, read: str, lexicon: Lexicon) -> None:
    assert lexicon.rewrite(prompt) == read


@pytest.mark.parametrize(
    "prompt",
    [
        "a star on a wooden crate",  # a prompt that names a shape keeps its other nouns
        "an orange on blue",  # a colour before it is a fruit
        "a cat astronaut on a bicycle",
        "a dog in a house with a garden",
        "a red hoop in the foreground",  # the picture's own parts are no things
    ],
)
def test_nouns_are_not_read_as_outlines_where_they_mean_something_else(prompt: str, lexicon: Lexicon) -> None:
    rewritten = lexicon.rewrite(prompt)
    assert rewritten.count("circle") + rewritten.count("square") <= ("hoop" in prompt), rewritten
    assert "foreground" in rewritten or "foreground" not in prompt
