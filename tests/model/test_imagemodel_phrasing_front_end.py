"""Phrasings in people's own words (imagemodel/phrasings.py) and reading a prompt against the model's
vocabulary (imagemodel/captions.py: typos mended, words it cannot draw reported)."""

import numpy as np

from imagemodel import captions, phrasings, pipelines
from imagemodel.captions import ObjectSpec, PromptSpec, Vocabulary

TRAINED = Vocabulary(captions.world_vocabulary())


def test_a_slip_of_the_keyboard_is_mended_to_the_word_the_model_learned() -> None:
    reading = TRAINED.read("A Big YELOW traingle on a purlpe backgorund")
    assert reading.text == "A Big yellow triangle on a purple background"
    assert reading.unknown == ()


def test_words_outside_the_world_are_reported_once_each_and_kept_as_typed() -> None:
    reading = TRAINED.read("a cat astronaut, a Cat on the moon")
    assert reading.text == "a cat astronaut, a Cat on the moon"
    assert reading.unknown == ("cat", "astronaut", "moon")
    assert TRAINED.read("portrait of an old sailor").unknown == ("portrait", "old", "sailor")


def test_a_prompt_in_the_world_has_no_unknown_word() -> None:
    rng = np.random.default_rng(3)
    for _ in range(200):
        spec = PromptSpec((ObjectSpec("star", "green", "small", "left"),), "white")
        prompt = phrasings.phrase(spec, rng, phrasings.DEVELOPMENT, typo_rate=0.0)
        assert TRAINED.read(prompt).unknown == (), prompt
        assert TRAINED.read(captions.caption(spec, rng)).unknown == ()


def test_one_edit_apart_is_one_deletion_insertion_change_or_swap() -> None:
    assert captions.one_edit_apart("circle", "circl")
    assert captions.one_edit_apart("circle", "cirrcle")
    assert captions.one_edit_apart("circle", "cirxle")
    assert captions.one_edit_apart("circle", "cirlce")
    assert not captions.one_edit_apart("circle", "circle")
    assert not captions.one_edit_apart("circle", "crlcie")


def test_held_out_phrasings_share_no_template_form_synonym_filler_or_typo_kind_with_training() -> None:
    train, held = phrasings.DEVELOPMENT, phrasings.HELD_OUT
    assert not set(train.templates) & set(held.templates)
    assert not set(train.object_forms) & set(held.object_forms)
    assert not set(train.pair_templates) & set(held.pair_templates)
    assert not (set(train.prefixes) & set(held.prefixes)) - {""}
    assert not (set(train.suffixes) & set(held.suffixes)) - {""}
    assert not set(train.typo_kinds) & set(held.typo_kinds)
    for table in ("shape_words", "colour_words", "size_words", "position_phrases"):
        for key, words in getattr(held, table).items():
            assert not (set(words) & set(getattr(train, table)[key])) - {key}, (table, key)
    # Its new words never reached the front end: the held-out synonyms are unknown to the world's vocabulary.
    assert {"crimson", "azure", "ebony", "miniature", "enormous", "tile", "ball"}.isdisjoint(TRAINED.words)


def test_a_phrasing_depends_only_on_its_generator() -> None:
    spec = PromptSpec((ObjectSpec("circle", "red", "large", "top"),), "blue")
    first = [phrasings.phrase(spec, np.random.default_rng(5), family) for family in phrasings.FAMILIES.values()]
    again = [phrasings.phrase(spec, np.random.default_rng(5), family) for family in phrasings.FAMILIES.values()]
    assert first == again


def test_only_the_pipelines_of_the_world_report_unknown_words() -> None:
    assert pipelines.ProceduralPipeline().unknown_words("a cat astronaut") == ("cat", "astronaut")
    mounted = pipelines.StableDiffusionPipelineAdapter.__new__(pipelines.StableDiffusionPipelineAdapter)
    assert mounted.unknown_words("a cat astronaut") == ()


def test_a_request_in_any_word_order_reaches_the_model_as_its_canonical_caption() -> None:
    red_star_on_blue = "a red star on a blue background"
    for prompt in (
        "Draw a star that is red, background blue.",
        "BLUE BACKGROUND; A STAR IN RED",
        "a scarlet starshape over a cobalt backdrop, please",
        "red coloured star sitting on blue",
        "background: blue. star, red",
        "a red satr on a bleu backgorund",
    ):
        assert TRAINED.normalise(prompt) == red_star_on_blue, prompt
    assert TRAINED.normalise("a tiny yellow disc at the top, purple background") == (
        "a small yellow circle at the top on a purple background"
    )


def test_what_the_front_end_cannot_read_for_sure_goes_to_the_model_as_typed() -> None:
    for prompt in (
        "a red star and a blue circle on white",  # two objects
        "a red and green star",  # two colours for one object
        "a crimson star on a blue background",  # a word it does not know, where the colour should be
        "a cat astronaut",
    ):
        assert TRAINED.normalise(prompt) == TRAINED.read(prompt).text, prompt
    assert TRAINED.read("a small ball").text == "a small ball"  # not a slip of "all"
