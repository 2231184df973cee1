"""The phrasing front end (imagemodel.captions.Vocabulary.normalise) holds up: with the shipped weights
the evaluator's whole-prompt accuracy on the held-out triples, asked for in phrasings kept out of the
front end's development (imagemodel/phrasings.py HELD_OUT), is far above what the network reads from
the same prompts as typed, and the caption templates' own phrasing loses nothing
(imagemodel.evaluate.evaluate_phrasing: the same specs and seeds in every set).

A sample: one phrasing per held-out triple (34 images a set). The MODEL_CARD.md "Phrasing" figures
(4 a triple, 136 a set) come from `python -m imagemodel.evaluate --phrasing SET --per-triple 4
--steps 10 [--prompts-as-typed]`."""

import pytest

from imagemodel import evaluate, pipelines

STEPS = 10
PER_TRIPLE = 1
# Measured on this sample: templates 94.1% (32/34), held-out 5.9% as typed and 32.4% through the front
# end (a gain of 9 images; the bound asks for 6). At 4 a triple: 94.1%, 9.6% and 36.8%.
LEAST_GAIN = 0.15


# 102 images at 10 steps: about a minute on CI (a quarter of the 408 that took ~4 min there), over 10
# minutes here with the machine shared ten ways.
@pytest.mark.timeout(900)
def test_the_front_end_lifts_held_out_phrasings_and_keeps_the_templates() -> None:
    pipeline = pipelines.load_pipeline("tiny-diffusion")
    guidance = pipelines.DEFAULT_GUIDANCE
    templates = evaluate.evaluate_phrasing(pipeline, "templates", PER_TRIPLE, STEPS, guidance)
    held_out = evaluate.evaluate_phrasing(pipeline, "held-out", PER_TRIPLE, STEPS, guidance)
    pipeline.reads_phrasing = False
    held_out_as_typed = evaluate.evaluate_phrasing(pipeline, "held-out", PER_TRIPLE, STEPS, guidance)

    assert templates["whole"] >= 0.85, templates
    assert held_out["whole"] >= held_out_as_typed["whole"] + LEAST_GAIN, (held_out, held_out_as_typed)
