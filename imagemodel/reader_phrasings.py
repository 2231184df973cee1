"""The phrasings the learned prompt reader (imagemodel/prompt_reader.py) is trained on: broad, and built
only from the world's own captions, the DEVELOPMENT family and the generators here, never from
phrasings.HELD_OUT or phrasings.FRESH (tests/model/test_imagemodel_prompt_reader.py checks that no word
of theirs is here). The reader generalises to words it never saw through the text encoder: these lists
teach it to look for a colour, shape, size or position in any word that means one, in any order.
"""

from __future__ import annotations

import numpy as np

from imagemodel import captions, phrasings, world
from imagemodel.captions import PromptSpec
from imagemodel.phrasings import Family

SHAPE_WORDS: dict[str, tuple[str, ...]] = {
    "circle": ("circle", "disc", "disk", "dot", "round shape", "sphere", "round blob", "circular shape", "roundel"),
    "square": ("square", "box", "block", "square shape", "squared shape", "four-sided square"),
    "triangle": ("triangle", "three-sided shape", "wedge", "triangle shape", "trigon"),
    "star": ("star", "starshape", "star shape", "starburst", "five-point star", "little star shape"),
}
COLOUR_WORDS: dict[str, tuple[str, ...]] = {
    "red": ("red", "scarlet", "cherry red", "blood red", "bright red", "vermilion", "cardinal red"),
    "orange": ("orange", "amber", "apricot", "bright orange", "pumpkin", "carrot orange"),
    "yellow": ("yellow", "golden", "canary yellow", "mustard", "sunny yellow", "bright yellow", "gold"),
    "green": ("green", "emerald", "grass green", "olive green", "jade", "leaf green", "kelly green"),
    "blue": ("blue", "cobalt", "sapphire", "sky blue", "royal blue", "ultramarine", "deep blue"),
    "purple": ("purple", "violet", "indigo", "magenta", "mauve", "amethyst", "grape"),
    "white": ("white", "ivory", "milky white", "chalk white", "pure white", "cream", "bone white"),
    "black": ("black", "jet black", "inky black", "pitch black", "midnight black", "onyx", "sooty black"),
}
SIZE_WORDS: dict[str, tuple[str, ...]] = {
    "small": ("small", "tiny", "little", "smallish", "mini", "wee", "itty-bitty"),
    "medium": ("medium", "medium-sized", "mid-sized", "regular-sized", "normal-sized", "mid-size"),
    "large": ("large", "big", "huge", "oversized", "hefty", "large-ish", "very big", "gigantic"),
}
POSITION_PHRASES: dict[str, tuple[str, ...]] = {
    "left": (
        "on the left",
        "to the left",
        "at the left",
        "left side",
        "on the left-hand side",
        "leftwards",
        "in the left half",
        "over at the left",
        "near the left edge",
    ),
    "right": (
        "on the right",
        "to the right",
        "at the right",
        "right side",
        "on the right-hand side",
        "rightwards",
        "in the right half",
        "over at the right",
        "near the right edge",
    ),
    "top": (
        "at the top",
        "near the top",
        "in the upper part",
        "top side",
        "at the top of the image",
        "in the upper half",
        "in the top region",
        "near the top edge",
        "above",
    ),
    "bottom": (
        "at the bottom",
        "near the bottom",
        "in the lower part",
        "bottom side",
        "at the bottom of the image",
        "in the lower half",
        "in the bottom region",
        "near the bottom edge",
        "below",
    ),
    "centre": (
        "in the centre",
        "in the center",
        "in the middle",
        "centred",
        "centered",
        "in the center of the image",
        "exactly in the middle",
        "at the centre",
        "central",
    ),
}
OBJECT_FORMS = phrasings.DEVELOPMENT.object_forms + (
    "{size} {shape} in a {colour} colour",
    "{size} {shape} which is {colour}",
    "{size} {shape} filled with {colour}",
    "{colour} {shape}, {size}",
    "{size} {colour}-colored {shape}",
    "{size} {shape} of colour {colour}",
    "{size} {shape} with a {colour} fill",
)
TEMPLATES = phrasings.DEVELOPMENT.templates + (
    "{obj} on top of {bg}",
    "{obj}, the rest of the image {bg}",
    "{bg} everywhere except {obj}",
    "{obj} surrounded by {bg}",
    "{obj} floating in {bg}",
    "{obj} placed on {bg_article} {bg} ground",
    "{obj}. the background colour is {bg}",
    "{obj}, with the backdrop in {bg}",
    "a {bg} image containing {obj}",
    "{obj} on {bg_article} {bg} page",
    "{obj} on {bg_article} {bg} sheet of paper",
    "fill the background with {bg} and draw {obj}",
    "{obj} / {bg} background",
    "{obj} drawn on {bg}",
)
NO_BACKGROUND_TEMPLATES = ("{obj}", "{obj} drawn plainly", "just {obj}", "{obj}, that's all", "{obj} by itself")
PAIR_TEMPLATES = phrasings.DEVELOPMENT.pair_templates + (
    "{obj0} with {obj1}, background {bg}",
    "{obj0} alongside {obj1} against {bg}",
)
PREFIXES = (
    "",
    "",
    "",
    "",
    "a picture of",
    "an image of",
    "draw",
    "please draw",
    "show",
    "a drawing of",
    "render",
    "create",
    "make me",
    "can you draw",
    "i would like",
    "give me",
    "generate an image of",
    "a simple drawing of",
    "picture:",
    "a flat illustration of",
    "design",
    "a graphic of",
    "a cartoon of",
    "produce",
)
SUFFIXES = (
    "",
    "",
    "",
    "",
    ", simple",
    ", flat colours",
    ", minimal",
    " please",
    ", thank you",
    ", flat design",
    ", no shading",
    ", good quality",
    ", poster style",
    " in flat style",
    ", plain",
    ", minimalist",
    ", simple shapes",
)
BROAD = Family(
    name="reader-training",
    shape_words=SHAPE_WORDS,
    colour_words=COLOUR_WORDS,
    size_words=SIZE_WORDS,
    position_phrases=POSITION_PHRASES,
    object_forms=OBJECT_FORMS,
    templates=TEMPLATES,
    no_background_templates=NO_BACKGROUND_TEMPLATES,
    pair_templates=PAIR_TEMPLATES,
    prefixes=PREFIXES,
    suffixes=SUFFIXES,
    typo_kinds=("delete", "substitute", "insert"),
)

# Requests outside the world: the reader learns to find no shape in them, so they go to the model as typed.
OUT_OF_WORLD = (
    "a cat astronaut",
    "portrait of an old sailor",
    "a castle on a hill at sunset",
    "a bowl of fruit",
    "a dog running on the beach",
    "a city skyline at night",
    "a bicycle leaning on a fence",
    "a red car",
    "a blue house with a garden",
    "an old man reading a book",
    "a mountain lake",
    "a pine wood in autumn",
    "a robot playing chess",
    "a cup of coffee on a table",
    "a sailing ship in a storm",
    "a green dragon",
    "a meadow of sunflowers",
    "a woman with a yellow umbrella",
    "an astronaut on the moon",
    "a black horse",
    "abstract painting",
    "a landscape",
    "hello",
    "test",
    "a logo for my company",
    "the sea",
    "a white rabbit",
    "a purple flower in a vase",
    "a pizza",
    "a snowy village",
    "a bird on a branch",
    "sunrise over the ocean",
)


_HELD_OUT_TRIPLES = world.held_out_combinations()


def _spec(rng: np.random.Generator) -> PromptSpec:
    # The evaluator's triples stay out here too, as they do from the network's training.
    scene = world.sample_scene(rng, two_object_probability=0.15, exclude=_HELD_OUT_TRIPLES)
    return captions.mentioned_spec(scene, rng)


def training_example(rng: np.random.Generator) -> tuple[str, PromptSpec]:
    """One (prompt, spec it asks for): an out-of-world request's spec names no object."""
    draw = rng.random()
    if draw < 0.04:
        prompt = OUT_OF_WORLD[rng.integers(len(OUT_OF_WORLD))]
        return _cased(prompt, rng), PromptSpec(())
    spec = _spec(rng)
    if draw < 0.12:
        return captions.canonical_caption(spec), spec
    if draw < 0.25:
        return _cased(captions.caption(spec, rng), rng), spec
    if draw < 0.45:
        return phrasings.phrase(spec, rng, phrasings.DEVELOPMENT, typo_rate=0.06), spec
    return phrasings.phrase(spec, rng, BROAD, typo_rate=0.06), spec


def _cased(text: str, rng: np.random.Generator) -> str:
    return text.upper() if rng.random() < 0.1 else text
