"""Prompts in phrasings kept out of all the phrasing work (imagemodel/phrasings.py HELD_OUT, FRESH,
UNSEEN, written before the lexicon front end, UNSEEN_2, written before the spatial, outline and
between-hue levers, UNSEEN_3 and UNSEEN_4, written before session 8's levers, UNSEEN_4 never looked at,
and UNSEEN_5, written before session 9's WordNet outlines and never looked at)
reach the network as the canonical caption of what they ask for, and the caption
templates' own phrasing loses nothing. No diffusion: what the network is given, for the same specs as
the evaluator's (imagemodel.evaluate.phrased_prompts, 2 a triple, 68 prompts a set). MODEL_CARD.md
"Phrasing" has the evaluator's figures.

HELD_OUT, FRESH and UNSEEN are within reach of the templates; UNSEEN_2 and UNSEEN_5 are not (everyday
object nouns, colour names and "X-toned" forms, many of them words no part of the front end knows)."""

import numpy as np
import pytest

from imagemodel import evaluate, pipelines
from imagemodel.captions import canonical_caption

# Measured on these samples (whole spec given exactly): templates 100%; held-out 94.1% (89.7% before session
# 8's levers: background words before "background", the rules' sure reading kept beside the reader's, the
# long colour list where a word stands as a colour, size words and "X-sized"; 45.6% before the lexicon
# front end); fresh 88.2% (66.2%). The rest are bounded on what the diffusion evaluator scores (shape,
# colour, position and background all right, size aside), and on the whole spec where the size words
# moved it: UNSEEN scored 75.0%, whole 52.9% (30.9% before the size words); UNSEEN_2 scored 33.8% (19.1%
# before the WordNet outlines of bubble, button, crate, dice and pentacle; its bound is a floor against
# regressions); UNSEEN_3 scored 63.2%, whole 52.9%; UNSEEN_4 (blind) scored 67.6%, whole 52.9%;
# UNSEEN_5 (blind) scored 55.9%, whole 39.7%.
HELD_OUT_AT_LEAST = 0.90
FRESH_AT_LEAST = 0.80
UNSEEN_SCORED_AT_LEAST = 0.65
UNSEEN_WHOLE_AT_LEAST = 0.45
UNSEEN_POSITION_AT_LEAST = 0.90
UNSEEN_2_SCORED_AT_LEAST = 0.28
UNSEEN_3_SCORED_AT_LEAST = 0.55
UNSEEN_4_SCORED_AT_LEAST = 0.60
UNSEEN_5_SCORED_AT_LEAST = 0.50


@pytest.fixture(scope="module")
def pipeline() -> pipelines.TinyDiffusionPipeline:
    return pipelines.load_pipeline("tiny-diffusion")


def read_as_asked(pipeline: pipelines.TinyDiffusionPipeline, phrasing: str) -> float:
    """The share of a set's prompts the network is given as the canonical caption of their spec."""
    pairs = [pair for row in evaluate.phrased_prompts(phrasing, 2) for pair in row]
    given = pipeline.normalise([prompt for prompt, _ in pairs])
    return float(np.mean([text == canonical_caption(spec) for text, (_, spec) in zip(given, pairs, strict=True)]))


def test_the_front_end_reads_phrasings_it_was_not_written_for(pipeline) -> None:
    assert pipeline.prompt_reader is not None
    assert read_as_asked(pipeline, "templates") >= 0.95
    held_out = read_as_asked(pipeline, "held-out")
    fresh = read_as_asked(pipeline, "fresh")
    unseen = evaluate.given_reading(pipeline, "unseen", 2)
    unseen_2 = evaluate.given_reading(pipeline, "unseen-2", 2)["scored"]
    unseen_3 = evaluate.given_reading(pipeline, "unseen-3", 2)["scored"]
    unseen_4 = evaluate.given_reading(pipeline, "unseen-4", 2)["scored"]
    unseen_5 = evaluate.given_reading(pipeline, "unseen-5", 2)["scored"]
    assert held_out >= HELD_OUT_AT_LEAST, held_out
    assert fresh >= FRESH_AT_LEAST, fresh
    assert unseen["scored"] >= UNSEEN_SCORED_AT_LEAST, unseen
    assert unseen["whole"] >= UNSEEN_WHOLE_AT_LEAST, unseen
    assert unseen["position"] >= UNSEEN_POSITION_AT_LEAST, unseen
    assert unseen_2 >= UNSEEN_2_SCORED_AT_LEAST, unseen_2
    assert unseen_3 >= UNSEEN_3_SCORED_AT_LEAST, unseen_3
    assert unseen_4 >= UNSEEN_4_SCORED_AT_LEAST, unseen_4
    assert unseen_5 >= UNSEEN_5_SCORED_AT_LEAST, unseen_5


def test_words_the_reader_resolves_are_not_reported_as_unknown(pipeline) -> None:
    prompt = "an enormous star astronaut on a blue background"
    assert pipeline.vocabulary.read(prompt).unknown == ("enormous", "astronaut")
    assert pipeline.unknown_words(prompt) == ("astronaut",)
    # Colour names, shape nouns and slips the lexicon front end resolves are not unknown either.
    assert pipeline.vocabulary.read("a crimson orb on a navy canvas").unknown == ("crimson", "orb", "navy", "canvas")
    assert pipeline.unknown_words("a crimson orb on a navy canvas") == ()
    assert pipeline.unknown_words("a crimson orb for an astronaut on a navy canvs") == ("astronaut",)
    # Position phrases, outline nouns and between-hue colour names the levers resolve are not unknown.
    assert pipeline.vocabulary.read("a lilac globe leftmost").unknown == ("lilac", "globe", "leftmost")
    assert pipeline.unknown_words("a lilac globe leftmost, astronaut at the foot of the frame") == ("astronaut",)


# Each family's sentence shapes, word orders, fillers, positions, casing and typos with the world's own
# shape, colour and size words (imagemodel.phrasings.in_world_words), whole spec given exactly at 2 a
# triple: held-out 100%, fresh 98.5%, unseen 94.1%, unseen-3 100%, unseen-4 100%, the blind unseen-5
# 89.7% (its sentence shapes were never looked at either); unseen-2 66.2%, whose position phrases
# ("hovering aloft", "bang in the midpoint") are words no inventory has, so it is left out here.
SENTENCE_SHAPES_WHOLE_AT_LEAST = 0.85


@pytest.mark.parametrize("family", ["held-out", "fresh", "unseen", "unseen-3", "unseen-4", "unseen-5"])
def test_phrasing_costs_little_once_the_words_are_the_worlds(pipeline, family: str) -> None:
    assert read_as_asked(pipeline, family + evaluate.WORLD_WORDS) >= SENTENCE_SHAPES_WHOLE_AT_LEAST
