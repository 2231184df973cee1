"""The same scene asked for in many people's words, in disjoint families of phrasings.

DEVELOPMENT phrasings are what the first (rule-based) phrasing front end was written against, and part
of the learned prompt reader's training (imagemodel/reader_phrasings.py); HELD_OUT phrasings were kept
out of both, and FRESH ones were written before the reader was trained and never looked at while it was
tuned: they measure how it does on words and sentence shapes it was not built for
(imagemodel/evaluate.py --phrasing); UNSEEN was written before the lexicon front end
(imagemodel/prompt_lexicon.py) and never tuned against; UNSEEN_2 before the spatial, outline and
between-hue levers (imagemodel/spatial_lexicon.py), never tuned against either; UNSEEN_3 (plain requests
in a product's everyday words) and UNSEEN_4 (terse keyword prompts) before the third pass (session 8),
UNSEEN_4 never looked at. The families differ in sentence templates, in how an object is described
(adjective order, colour after the noun), in position and background phrases, in filler words, in
synonyms, and in the kind of typo; casing and punctuation vary in all (the text encoder is uncased, so
casing only tests that nothing upstream depends on it).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from imagemodel.captions import POSITION_PHRASES, ObjectSpec, PromptSpec, article_for


@dataclass(frozen=True)
class Family:
    name: str
    shape_words: dict[str, tuple[str, ...]]
    colour_words: dict[str, tuple[str, ...]]
    size_words: dict[str, tuple[str, ...]]
    position_phrases: dict[str, tuple[str, ...]]
    # How one object is described: {size} {colour} {shape} are filled, an empty slot is dropped.
    object_forms: tuple[str, ...]
    # {obj} is the object with its article and position; {bg} the background colour word.
    templates: tuple[str, ...]
    no_background_templates: tuple[str, ...]
    pair_templates: tuple[str, ...]
    prefixes: tuple[str, ...]
    suffixes: tuple[str, ...]
    typo_kinds: tuple[str, ...]


def _with(base: Mapping[str, tuple[str, ...]], extra: Mapping[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    return {key: base[key] + extra.get(key, ()) for key in base}


_COLOURS: dict[str, tuple[str, ...]] = {
    c: (c,) for c in ("red", "orange", "yellow", "green", "blue", "purple", "white", "black")
}
_SHAPES: dict[str, tuple[str, ...]] = {
    "circle": ("circle",),
    "square": ("square",),
    "triangle": ("triangle",),
    "star": ("star",),
}
_SIZES: dict[str, tuple[str, ...]] = {"small": ("small",), "medium": ("medium",), "large": ("large",)}

DEVELOPMENT = Family(
    name="development",
    shape_words=_with(
        _SHAPES,
        {
            "circle": ("disc", "disk", "round shape", "dot"),
            "square": ("box", "block", "square shape"),
            "star": ("starshape",),
        },
    ),
    colour_words=_with(
        _COLOURS,
        {
            "red": ("scarlet",),
            "yellow": ("golden",),
            "green": ("emerald",),
            "blue": ("cobalt",),
            "purple": ("violet",),
            "white": ("ivory",),
            "black": ("jet black",),
        },
    ),
    size_words=_with(
        _SIZES,
        {"small": ("tiny", "little", "smallish"), "medium": ("medium-sized", "mid-sized"), "large": ("big", "huge")},
    ),
    position_phrases=_with(
        {k: v for k, v in POSITION_PHRASES.items()},
        {
            "left": ("at the left", "left side"),
            "right": ("at the right", "right side"),
            "top": ("at the top of the image", "top side"),
            "bottom": ("at the bottom of the image", "bottom side"),
            "centre": ("in the center of the image", "centered"),
        },
    ),
    object_forms=(
        "{size} {colour} {shape}",
        "{size} {colour} {shape}",
        "{colour} {size} {shape}",
        "{size} {shape} in {colour}",
        "{size} {shape} coloured {colour}",
        "{size} {shape} colored {colour}",
        "{size} {shape} that is {colour}",
    ),
    templates=(
        "{obj} on {bg_article} {bg} background",
        "{bg} background, {obj}",
        "{bg} backdrop, {obj}",
        "{obj} against {bg_article} {bg} background",
        "{bg_article} {bg} background with {obj}",
        "{obj}, {bg} background",
        "{obj} on {bg}",
        "{obj} over {bg_article} {bg} background",
        "{obj} with {bg_article} {bg} background",
        "{obj}, background {bg}",
        "background: {bg}. {obj}",
        "on {bg_article} {bg} background, {obj}",
        "{obj} on a plain {bg} background",
        "{obj} and the background is {bg}",
    ),
    no_background_templates=("{obj}", "{obj} drawn plainly", "just {obj}"),
    pair_templates=(
        "{obj0} and {obj1} on {bg_article} {bg} background",
        "{bg} background with {obj0} and {obj1}",
        "{bg} backdrop, {obj0} and {obj1}",
        "{obj0} and {obj1}, {bg} background",
        "{obj0} next to {obj1} on {bg}",
    ),
    prefixes=("", "", "", "a picture of", "an image of", "draw", "please draw", "show", "a drawing of", "render"),
    suffixes=("", "", "", ", simple", ", flat colours", ", minimal", " please"),
    typo_kinds=("delete", "substitute"),
)

HELD_OUT = Family(
    name="held-out",
    shape_words=_with(_SHAPES, {"circle": ("ball",), "square": ("tile",), "triangle": ("triangular shape",)}),
    colour_words=_with(
        _COLOURS,
        {
            "red": ("crimson",),
            "blue": ("azure",),
            "green": ("lime green",),
            "black": ("ebony",),
            "white": ("snow white",),
        },
    ),
    size_words=_with(_SIZES, {"small": ("miniature",), "large": ("enormous",), "medium": ("average-sized",)}),
    position_phrases={
        "left": ("off to the left", "toward the left edge"),
        "right": ("off to the right", "toward the right edge"),
        "top": ("up top", "toward the upper edge"),
        "bottom": ("down low", "toward the lower edge"),
        "centre": ("dead centre", "smack in the middle"),
    },
    object_forms=(
        "{size} {shape}, {colour}",
        "{size} {shape}, {colour} all over",
        "{colour}-coloured {size} {shape}",
        "{size} {shape} whose colour is {colour}",
    ),
    templates=(
        "{obj}; the background should be {bg}",
        "there is {obj} in front of {bg_article} {bg} wall",
        "{obj} sitting on {bg}",
        "{bg} all around {obj}",
        "{obj} set on {bg_article} {bg} field",
        "{obj} -- {bg} bg",
    ),
    no_background_templates=("{obj} and nothing else",),
    pair_templates=("{obj0} beside {obj1}; the background should be {bg}",),
    prefixes=("", "could you sketch", "i want", "generate", "an illustration showing", "paint me"),
    suffixes=("", ", thanks", "!!", ", clean vector art"),
    typo_kinds=("transpose", "double"),
)

# Written before the learned prompt reader was trained and never looked at while it was tuned: a second
# held-out family, with words, sentence shapes and typo kinds of its own (none in DEVELOPMENT, HELD_OUT
# or the reader's training phrasings, imagemodel/reader_phrasings.py).
FRESH = Family(
    name="fresh",
    shape_words=_with(
        _SHAPES, {"circle": ("orb",), "square": ("quadrilateral",), "triangle": ("pyramid",), "star": ("pentagram",)}
    ),
    colour_words=_with(
        _COLOURS,
        {
            "red": ("ruby",),
            "orange": ("tangerine",),
            "yellow": ("lemon",),
            "green": ("forest green",),
            "blue": ("navy",),
            "purple": ("plum",),
            "white": ("pearl",),
            "black": ("charcoal",),
        },
    ),
    size_words=_with(_SIZES, {"small": ("petite",), "large": ("giant",), "medium": ("moderate",)}),
    position_phrases={
        "left": ("hugging the left border", "at far left"),
        "right": ("hugging the right border", "at far right"),
        "top": ("high up", "close to the ceiling"),
        "bottom": ("close to the floor", "at the foot of the picture"),
        "centre": ("right in the centre", "at the very middle"),
    },
    object_forms=(
        "{shape} of {colour} hue, {size}",
        "{size} {shape} tinted {colour}",
        "{size} {shape} ({colour})",
    ),
    templates=(
        "{bg} canvas with {obj} on it",
        "{obj}. backdrop colour: {bg}",
        "make the whole scene {bg} and put {obj} on it",
        "{obj} atop {bg_article} {bg} surface",
    ),
    no_background_templates=("only {obj}",),
    pair_templates=("{obj0} plus {obj1}, everything behind them {bg}",),
    prefixes=("", "hey, can you make", "i'd love", "quick doodle:"),
    suffixes=("", " pls", ", nothing fancy", "?"),
    typo_kinds=("neighbour", "split"),
)

# Written before the rule front end's lexicon, typo mending and binding (imagemodel/prompt_lexicon.py) and
# never tuned against: a third held-out family with words, sentence shapes and typo kinds none of the
# other families or the reader's training phrasings use (tests/model/test_imagemodel_prompt_reader.py).
UNSEEN = Family(
    name="unseen",
    shape_words=_with(
        _SHAPES,
        {
            "circle": ("globe", "round disc shape"),
            "square": ("cube", "checker square"),
            "triangle": ("delta", "arrowhead"),
            "star": ("asterisk", "twinkling star"),
        },
    ),
    colour_words=_with(
        _COLOURS,
        {
            "red": ("tomato", "firetruck red"),
            "orange": ("mandarin", "burnt orange"),
            "yellow": ("banana", "sunflower"),
            "green": ("shamrock", "moss green"),
            "blue": ("denim", "cornflower"),
            "purple": ("lilac", "lavender"),
            "white": ("porcelain", "linen"),
            "black": ("coal black", "raven"),
        },
    ),
    size_words=_with(
        _SIZES, {"small": ("teeny", "compact"), "medium": ("middling", "ordinary"), "large": ("massive", "jumbo")}
    ),
    position_phrases={
        "left": ("by the left margin", "leftmost"),
        "right": ("by the right margin", "rightmost"),
        "top": ("along the upper rim", "topmost"),
        "bottom": ("along the lower rim", "resting at the base"),
        "centre": ("in the heart of the frame", "midway across"),
    },
    object_forms=(
        "{size} {shape} done in {colour}",
        "{size} {shape} with {colour} paint",
        "{size} {shape}, {colour} all over",
    ),
    templates=(
        "{obj}, {bg} behind it",
        "paint the backdrop {bg}, then add {obj}",
        "{obj} with {bg} filling the remainder",
        "{bg} setting; {obj}",
        "{obj} laid over {bg}",
    ),
    no_background_templates=("{obj} alone", "{obj} on its own"),
    pair_templates=("{obj0} as well as {obj1}, {bg} behind both",),
    prefixes=("", "i need", "sketch me", "could i get", "how about"),
    suffixes=("", " thx", ", keep it simple", " :)"),
    typo_kinds=("vowel", "join"),
)

# Written for the second phrasing lever pass (spatial terms, shape nouns by outline, colours between two
# hues) before any of it, and never looked at until it was done: a fourth held-out family whose sentence
# shapes, position phrases, shape, colour and size words and typo kinds are in no other family nor in the
# reader's training phrasings (tests/model/test_imagemodel_prompt_reader.py checks the words).
UNSEEN_2 = Family(
    name="unseen-2",
    shape_words=_with(
        _SHAPES,
        {
            "circle": ("bubble", "button"),
            "square": ("crate", "dice"),
            "triangle": ("shark fin", "tent"),
            "star": ("pentacle", "sheriff badge"),
        },
    ),
    colour_words=_with(
        _COLOURS,
        {
            "red": ("poppy", "strawberry"),
            "orange": ("clementine", "persimmon"),
            "yellow": ("buttercup", "saffron"),
            "green": ("fern", "clover"),
            "blue": ("cerulean", "electric blue"),
            "purple": ("aubergine", "orchid"),
            "white": ("eggshell", "frosty white"),
            "black": ("obsidian", "licorice"),
        },
    ),
    size_words=_with(
        _SIZES,
        {
            "small": ("minuscule", "pocket-sized"),
            "medium": ("standard-sized", "fair-sized"),
            "large": ("colossal", "whopping"),
        },
    ),
    position_phrases={
        "left": ("shoved to the left", "on the left flank"),
        "right": ("shoved to the right", "on the right flank"),
        "top": ("hovering aloft", "at the uppermost spot"),
        "bottom": ("sunk beneath", "at the lowermost spot"),
        "centre": ("at the bullseye", "bang in the midpoint"),
    },
    object_forms=(
        "{size} {colour}-toned {shape}",
        "{size} {shape} rendered in {colour}",
        "{size} {shape} of a {colour} shade",
    ),
    templates=(
        "{obj} stands out against {bg}",
        "{obj}, backed by {bg}",
        "{bg_article} {bg}-toned backdrop holding {obj}",
        "{obj} framed by {bg}",
        "{obj} over plain {bg}",
    ),
    no_background_templates=("{obj} by its lonesome", "{obj} solo"),
    pair_templates=("{obj0} together with {obj1}, backed by {bg}",),
    prefixes=("", "would you knock out", "i'm after", "gimme"),
    suffixes=("", " cheers", ", ta", ", much appreciated"),
    typo_kinds=("drop-last", "stutter"),
)

# Written at the start of the third phrasing pass (session 8), before any change it measures, and never
# tuned against: plain requests as a person types them to a text-to-image product, mostly in the
# world's own shape and colour words with everyday variants, in sentence shapes, position phrases and
# typo kinds (a doubled letter typed once, a neighbouring key struck too) no other family nor the
# reader's training uses.
UNSEEN_3 = Family(
    name="unseen-3",
    shape_words=_with(
        _SHAPES,
        {
            "circle": ("hoop", "perfect circle"),
            "square": ("perfect square", "square panel"),
            "triangle": ("pennant", "equilateral triangle"),
            "star": ("pointy star", "north star"),
        },
    ),
    colour_words=_with(
        _COLOURS,
        {
            "red": ("brick red", "raspberry"),
            "orange": ("traffic-cone orange", "rust"),
            "yellow": ("daffodil", "school-bus yellow"),
            "green": ("mint green", "bottle green"),
            "blue": ("baby blue", "powder blue"),
            "purple": ("eggplant", "dark purple"),
            "white": ("alabaster", "cloud white"),
            "black": ("tar black", "soot"),
        },
    ),
    size_words=_with(
        _SIZES,
        {
            "small": ("itsy", "pint-sized"),
            "medium": ("moderately sized", "modest"),
            "large": ("humongous", "king-sized"),
        },
    ),
    position_phrases={
        "left": ("over on the left", "on the west side"),
        "right": ("over on the right", "on the east side"),
        "top": ("in the top area", "on the north side"),
        "bottom": ("in the bottom area", "on the south side"),
        "centre": ("in the exact middle", "centrally placed"),
    },
    object_forms=(
        "{size} {colour} {shape}",
        "{colour} {shape} that's {size}",
        "{size}, {colour} {shape}",
        "{size} {shape} in the color {colour}",
    ),
    templates=(
        "{obj} with {bg_article} {bg} background",
        "{obj} on solid {bg}",
        "{obj}; color the background {bg}",
        "{bg} for the background and {obj} in the foreground",
        "{obj} in {bg_article} {bg} room",
        "{obj} over a completely {bg} image",
    ),
    no_background_templates=("{obj}", "{obj} with no extras"),
    pair_templates=("{obj0} and also {obj1} on solid {bg}",),
    prefixes=("", "", "can i have", "create", "generate me", "i wanna see"),
    suffixes=("", ", 4k", ", crisp lines", " please and thank you"),
    typo_kinds=("undouble", "fat-finger"),
)

# Written with UNSEEN_3 and kept blind (its misreads never printed while anything was changed): the
# terse, keyword style of prompts people paste into image generators, with words, sentence shapes and
# typo kinds (the last two letters swapped, the last letter doubled) of its own.
UNSEEN_4 = Family(
    name="unseen-4",
    shape_words=_with(
        _SHAPES,
        {
            "circle": ("polka dot", "round plate"),
            "square": ("sticky note", "square card"),
            "triangle": ("yield sign", "warning triangle"),
            "star": ("christmas star", "star sticker"),
        },
    ),
    colour_words=_with(
        _COLOURS,
        {
            "red": ("fire-engine red", "cranberry"),
            "orange": ("papaya", "marmalade"),
            "yellow": ("corn yellow", "sunshine yellow"),
            "green": ("pea green", "avocado"),
            "blue": ("steel blue", "periwinkle"),
            "purple": ("mulberry", "heather purple"),
            "white": ("chalky", "vanilla"),
            "black": ("ink black", "shadow black"),
        },
    ),
    size_words=_with(
        _SIZES,
        {
            "small": ("bite-sized", "dainty"),
            "medium": ("usual-sized", "mid-range"),
            "large": ("vast", "mega"),
        },
    ),
    position_phrases={
        "left": ("left-aligned", "at left"),
        "right": ("right-aligned", "at right"),
        "top": ("top-aligned", "at top"),
        "bottom": ("bottom-aligned", "at bottom"),
        "centre": ("center-aligned", "at center"),
    },
    object_forms=(
        "{shape}, {colour}, {size}",
        "{size} {colour} {shape}",
        "{colour} {size} {shape}",
    ),
    templates=(
        "subject: {obj}; background: {bg}",
        "{obj} | {bg} background",
        "{obj} against {bg} wallpaper",
        "{obj} and {bg_article} {bg} backdrop",
        "{obj}; all other pixels {bg}",
    ),
    no_background_templates=("{obj}", "{obj}, icon"),
    pair_templates=("subject: {obj0} and {obj1}; background: {bg}",),
    prefixes=("", "", "prompt:", "an icon of", "clipart of"),
    suffixes=("", ", ultra detailed", ", trending on artstation", ", octane render"),
    typo_kinds=("transpose-end", "double-end"),
)

# Written at the start of the fourth pass (session 9), before the outline lexicon it measures was
# built, and kept blind (its misreads never printed while anything was changed): descriptive prompts
# about everyday objects, in object nouns, colour words, sentence shapes and typo kinds (the first
# letter missed, a key held down) no other family nor the reader's training uses.
UNSEEN_5 = Family(
    name="unseen-5",
    shape_words=_with(
        _SHAPES,
        {
            "circle": ("wheel", "cookie"),
            "square": ("napkin", "chessboard"),
            "triangle": ("sail", "nacho"),
            "star": ("starfish", "spiky star"),
        },
    ),
    colour_words=_with(
        _COLOURS,
        {
            "red": ("ladybug red", "garnet"),
            "orange": ("marigold", "copper"),
            "yellow": ("goldenrod", "butter yellow"),
            "green": ("basil", "pickle green"),
            "blue": ("lapis", "cobalt"),
            "purple": ("damson", "wisteria"),
            "white": ("milk white", "cotton"),
            "black": ("crow black", "tuxedo"),
        },
    ),
    size_words=_with(
        _SIZES,
        {
            "small": ("teensy", "diminutive"),
            "medium": ("typical", "sizable"),
            "large": ("immense", "mammoth"),
        },
    ),
    position_phrases={
        "left": ("pressed against the left edge", "way over left"),
        "right": ("pressed against the right edge", "way over right"),
        "top": ("pressed against the top edge", "way at the top"),
        "bottom": ("pressed against the bottom edge", "way at the bottom"),
        "centre": ("plumb in the middle", "in the very middle"),
    },
    object_forms=(
        "{size} {colour} {shape}",
        "{colour} {shape}, {size}",
        "{size} {shape}, {colour} all over",
    ),
    templates=(
        "a photo of {obj} set on {bg}",
        "{obj} sitting in front of {bg_article} {bg} curtain",
        "{obj}, the remaining space {bg}",
        "flat illustration: {obj} over {bg} cardboard",
        "{obj} placed on top of glossy {bg}",
    ),
    no_background_templates=("a photo of {obj}", "just {obj}"),
    pair_templates=("{obj0} next to {obj1}, set on {bg}",),
    prefixes=("", "", "draw", "show me", "a picture with"),
    suffixes=("", ", sharp resolution", ", glossy finish", " thanks!"),
    typo_kinds=("drop-first", "held-key"),
)

FAMILIES = {
    family.name: family for family in (DEVELOPMENT, HELD_OUT, FRESH, UNSEEN, UNSEEN_2, UNSEEN_3, UNSEEN_4, UNSEEN_5)
}


def in_world_words(family: Family) -> Family:
    """The family's sentence shapes, object forms, position phrases, fillers and typos, with the world's
    own shape, colour and size words instead of its synonyms: what its phrasing costs apart from its
    vocabulary."""
    return dataclasses.replace(family, shape_words=_SHAPES, colour_words=_COLOURS, size_words=_SIZES)


# Neighbouring keys on a QWERTY keyboard, for FRESH's slips.
_NEIGHBOURS = dict(
    zip(
        "abcdefghijklmnopqrstuvwxyz",
        "sqvwxrvbjkmlnnplwtdyihqcth",
        strict=True,
    )
)


JOINED = "\x00"


def _pick(rng: np.random.Generator, options):
    return options[rng.integers(len(options))]


def typo(word: str, kind: str, rng: np.random.Generator) -> str:
    """One slip of the keyboard in a word of four letters or more."""
    if len(word) < 4 or not word.isalpha():
        return word
    i = int(rng.integers(1, len(word) - 1))
    if kind == "delete":
        return word[:i] + word[i + 1 :]
    if kind == "substitute":
        return word[:i] + "abcdefghijklmnopqrstuvwxyz"[rng.integers(26)] + word[i + 1 :]
    if kind == "insert":
        return word[:i] + "abcdefghijklmnopqrstuvwxyz"[rng.integers(26)] + word[i:]
    if kind == "transpose":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    if kind == "neighbour":
        return word[:i] + _NEIGHBOURS.get(word[i].lower(), word[i]) + word[i + 1 :]
    if kind == "split":  # a space struck inside the word
        return word[:i] + " " + word[i:]
    if kind == "vowel":  # one vowel written as another
        vowels = [k for k in range(1, len(word)) if word[k] in "aeiou"]
        if not vowels:
            return word
        k = vowels[int(rng.integers(len(vowels)))]
        return word[:k] + "aeiou".replace(word[k], "")[int(rng.integers(4))] + word[k + 1 :]
    if kind == "drop-last":  # the last letter missed
        return word[:-1]
    if kind == "stutter":  # the word typed twice
        return f"{word} {word}"
    if kind == "undouble":  # a doubled letter typed once ("yelow")
        doubles = [k for k in range(1, len(word)) if word[k] == word[k - 1]]
        if not doubles:
            return word
        k = doubles[int(rng.integers(len(doubles)))]
        return word[:k] + word[k + 1 :]
    if kind == "fat-finger":  # the key beside one struck with it ("redd", "grteen")
        return word[:i] + _NEIGHBOURS.get(word[i].lower(), word[i]) + word[i:]
    if kind == "transpose-end":  # the last two letters swapped ("circel")
        return word[:-2] + word[-1] + word[-2]
    if kind == "double-end":  # the last letter struck twice ("redd")
        return word + word[-1]
    if kind == "drop-first":  # the first letter missed ("ircle")
        return word[1:]
    if kind == "held-key":  # a key held down, its letter struck three times ("reeed")
        return word[:i] + word[i] * 2 + word[i:]
    if kind == "join":  # the space after the word left out: `phrase` runs it into the next one
        return word + JOINED
    raise ValueError(f"unknown typo kind {kind!r}")


def describe_object(family: Family, spec: ObjectSpec, rng: np.random.Generator) -> str:
    if spec.shape is None:
        raise ValueError("an object is described by its shape: complete the spec first")
    words = {
        "size": _pick(rng, family.size_words[spec.size]) if spec.size else "",
        "colour": _pick(rng, family.colour_words[spec.colour]) if spec.colour else "",
        "shape": _pick(rng, family.shape_words[spec.shape]),
    }
    form = _pick(rng, family.object_forms) if spec.colour else "{size} {shape}"
    text = " ".join(form.format(**words).split()).replace(" ,", ",")
    text = f"{article_for(text)} {text}"
    if spec.position:
        phrase = _pick(rng, family.position_phrases[spec.position])
        text = f"{text} {phrase}" if rng.random() < 0.8 else f"{phrase}, {text}"
    return text


def phrase(spec: PromptSpec, rng: np.random.Generator, family: Family = DEVELOPMENT, typo_rate: float = 0.08) -> str:
    """One phrasing of a (possibly partial) spec in the family's words."""
    bg = spec.background
    if len(spec.objects) == 1:
        template = _pick(rng, family.templates if bg else family.no_background_templates)
        body = template.format(
            obj=describe_object(family, spec.objects[0], rng), bg=bg, bg_article=article_for(bg or "x")
        )
    else:
        if bg is None:
            raise ValueError("two objects are told apart against a background: the spec names none")
        objs = [describe_object(family, o, rng) for o in spec.objects]
        body = _pick(rng, family.pair_templates).format(obj0=objs[0], obj1=objs[1], bg=bg, bg_article=article_for(bg))
    text = " ".join(part for part in (_pick(rng, family.prefixes), body) if part) + _pick(rng, family.suffixes)
    words = [typo(w, _pick(rng, family.typo_kinds), rng) if rng.random() < typo_rate else w for w in text.split(" ")]
    text = " ".join(words).replace(JOINED + " ", "").replace(JOINED, "")
    casing = rng.random()
    if casing < 0.15:
        text = text.upper()
    elif casing < 0.35:
        text = text.capitalize()
    elif casing < 0.45:
        text = text.title()
    if rng.random() < 0.3:
        text += _pick(rng, (".", "!", " ."))
    return text
