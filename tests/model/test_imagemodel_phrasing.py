"""Prompts in phrasings kept out of all the phrasing work (imagemodel/phrasings.py HELD_OUT, FRESH and
UNSEEN, the last written before the lexicon front end) reach the network as the canonical caption of
what they ask for, and the caption templates' own phrasing loses nothing. No diffusion: what the
network is given, for the same specs as the evaluator's (imagemodel.evaluate.phrased_prompts, 2 a
triple, 68 prompts a set). MODEL_CARD.md "Phrasing" has the evaluator's figures.

Parity with the templates is reached on HELD_OUT only; FRESH and UNSEEN stay far below (their
position phrases and, for UNSEEN, shape nouns are words no part of the front end knows)."""

import numpy as np
import pytest

from imagemodel import evaluate, pipelines
from imagemodel.captions import canonical_caption

# Measured on these samples (whole spec given exactly): templates 100%; held-out 86.8% (61.8% without
# the lexicon front end, imagemodel/prompt_lexicon.py; 76.5% without its colour names; 69.1% without the
# learned reader completing what the rules leave unread; 45.6% on main before them); fresh 47.1% (19.1%
# without the lexicon, 30.9% without its colour names; 14.7% on main). UNSEEN is read whole 10.3% (5.9%
# on main), so it is bounded on what the diffusion evaluator scores (shape, colour, position and
# background all right, size aside): 26.5% (8.8% on main).
HELD_OUT_AT_LEAST = 0.80
FRESH_AT_LEAST = 0.40
UNSEEN_SCORED_AT_LEAST = 0.18


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
    unseen = evaluate.given_reading(pipeline, "unseen", 2)["scored"]
    assert held_out >= HELD_OUT_AT_LEAST, held_out
    assert fresh >= FRESH_AT_LEAST, fresh
    assert unseen >= UNSEEN_SCORED_AT_LEAST, unseen


def test_words_the_reader_resolves_are_not_reported_as_unknown(pipeline) -> None:
    prompt = "an enormous star astronaut on a blue background"
    assert pipeline.vocabulary.read(prompt).unknown == ("enormous", "astronaut")
    assert pipeline.unknown_words(prompt) == ("astronaut",)
    # Colour names, shape nouns and slips the lexicon front end resolves are not unknown either.
    assert pipeline.vocabulary.read("a crimson orb on a navy canvas").unknown == ("crimson", "orb", "navy", "canvas")
    assert pipeline.unknown_words("a crimson orb on a navy canvas") == ()
    assert pipeline.unknown_words("a crimson orb for an astronaut on a navy canvs") == ("astronaut",)
