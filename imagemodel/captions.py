"""Captions for scenes in many phrasings, and the parser that turns a prompt back into a spec.

A caption may leave attributes out (size, position, colour, background); the spec it describes keeps
those as None. The parser is rule based so it works offline and never needs the model.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from imagemodel.world import COLOURS, Scene

SHAPE_WORDS = {
    "circle": ("circle", "disc", "disk"),
    "square": ("square", "box", "block"),
    "triangle": ("triangle",),
    "star": ("star",),
}
COLOUR_WORDS = {colour: (colour,) for colour in COLOURS} | {"purple": ("purple", "violet")}
SIZE_WORDS = {"small": ("small", "tiny", "little"), "medium": ("medium", "mid"), "large": ("large", "big", "huge")}
POSITION_WORDS = {
    "left": ("left",),
    "right": ("right",),
    "top": ("top", "upper"),
    "bottom": ("bottom", "lower"),
    "centre": ("centre", "center", "middle", "centred", "centered"),
}
BACKGROUND_WORDS = ("background", "backdrop")
SEPARATORS = (",", "and", "with", ";", ".")

POSITION_PHRASES = {
    "left": ("on the left", "to the left", "on the left side", "on the left-hand side"),
    "right": ("on the right", "to the right", "on the right side", "on the right-hand side"),
    "top": ("at the top", "near the top", "in the upper part"),
    "bottom": ("at the bottom", "near the bottom", "in the lower part"),
    "centre": ("in the centre", "in the center", "in the middle", "centred"),
}
SIZE_PHRASES = {
    "small": ("small", "tiny", "little"),
    "medium": ("medium", "medium-sized", "mid-sized"),
    "large": ("large", "big", "huge"),
}

SINGLE_TEMPLATES = (
    "{article} {obj} on {bg_article} {bg} background",
    "{bg} background, {article} {obj}",
    "{bg} backdrop, {article} {obj}",
    "{article} {obj} against {bg_article} {bg} background",
    "{bg_article} {bg} background with {article} {obj}",
    "{article} {obj}, {bg} background",
    "{article} {obj} on {bg}",
    "a picture of {article} {obj} on {bg_article} {bg} backdrop",
)
PAIR_TEMPLATES = (
    "{obj0} and {obj1} on {bg_article} {bg} background",
    "{bg} background with {obj0} and {obj1}",
    "{bg} backdrop, {obj0} and {obj1}",
    "{obj0} and {obj1}, {bg} background",
)
NO_BACKGROUND_TEMPLATES = ("{article} {obj}", "{article} {obj} drawn plainly")


@dataclass(frozen=True)
class ObjectSpec:
    shape: str | None
    colour: str | None = None
    size: str | None = None
    position: str | None = None


@dataclass(frozen=True)
class PromptSpec:
    objects: tuple[ObjectSpec, ...]
    background: str | None = None


def article_for(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def _pick(rng: np.random.Generator, options):
    return options[rng.integers(len(options))]


def describe_object(spec: ObjectSpec, rng: np.random.Generator) -> str:
    words = []
    if spec.size:
        words.append(_pick(rng, SIZE_PHRASES[spec.size]))
    if spec.colour:
        words.append(_pick(rng, COLOUR_WORDS[spec.colour]))
    if spec.shape is None:
        raise ValueError("an object is described by its shape: complete the spec first")
    words.append(_pick(rng, SHAPE_WORDS[spec.shape]))
    if spec.position:
        words.append(_pick(rng, POSITION_PHRASES[spec.position]))
    return " ".join(words)


def mentioned_spec(
    scene: Scene,
    rng: np.random.Generator,
    p_size: float = 0.7,
    p_position: float = 0.75,
    p_colour: float = 0.97,
    p_background: float = 0.9,
) -> PromptSpec:
    """Choose which of a scene's attributes a caption will mention."""
    paired = len(scene.objects) > 1
    objects = tuple(
        ObjectSpec(
            shape=o.shape,
            colour=o.colour if paired or rng.random() < p_colour else None,
            size=o.size if rng.random() < p_size else None,
            # Two objects are only told apart by where they are, so their positions are always named.
            position=o.position if paired or rng.random() < p_position else None,
        )
        for o in scene.objects
    )
    return PromptSpec(objects, scene.background if paired or rng.random() < p_background else None)


def caption(spec: PromptSpec, rng: np.random.Generator) -> str:
    """Write one phrasing of a (possibly partial) spec."""
    bg = spec.background
    if len(spec.objects) == 1:
        obj = describe_object(spec.objects[0], rng)
        template = _pick(rng, SINGLE_TEMPLATES if bg else NO_BACKGROUND_TEMPLATES)
        return template.format(article=article_for(obj), obj=obj, bg=bg, bg_article=article_for(bg or "x"))
    objs = [describe_object(o, rng) for o in spec.objects]
    objs = [f"{article_for(o)} {o}" for o in objs]
    if bg is None:
        raise ValueError("two objects are told apart against a background: the spec names none")
    return _pick(rng, PAIR_TEMPLATES).format(obj0=objs[0], obj1=objs[1], bg=bg, bg_article=article_for(bg))


def canonical_caption(spec: PromptSpec) -> str:
    """The one phrasing used by magic prompt and the evaluator's prompts."""
    parts = []
    for o in spec.objects:
        words = [w for w in (o.size, o.colour, o.shape) if w]
        text = f"{article_for(words[0])} {' '.join(words)}"
        if o.position:
            text += " " + POSITION_PHRASES[o.position][0]
        parts.append(text)
    text = " and ".join(parts)
    return f"{text} on {article_for(spec.background)} {spec.background} background" if spec.background else text


def _lookup(table: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    return {word: key for key, words in table.items() for word in words}


_SHAPE = _lookup(SHAPE_WORDS)
_COLOUR = _lookup(COLOUR_WORDS)
_SIZE = _lookup(SIZE_WORDS)
_POSITION = _lookup(POSITION_WORDS)
_TOKEN = re.compile(r"[a-z]+|[,;.]")


def parse(prompt: str) -> PromptSpec:
    """Read a prompt into a spec: adjectives attach to the next shape, positions to the last one,
    and a colour that never reaches a shape (\"blue background\", \"on blue\") is the background."""
    objects: list[dict] = []
    background = None
    pending: dict = {}
    pending_position = None
    background_named_first = False
    plural = re.sub(r"(circle|disc|disk|square|box|block|triangle|star)s\b", r"\1", prompt.lower())
    for token in _TOKEN.findall(plural) + ["."]:
        if token in _SHAPE:
            obj = {"shape": _SHAPE[token], "colour": None, "size": None, "position": pending_position}
            obj.update({k: v for k, v in pending.items() if k in ("colour", "size")})
            objects.append(obj)
            pending, pending_position = {}, None
        elif token in _COLOUR:
            if background_named_first and background is None:
                background = _COLOUR[token]
                background_named_first = False
            else:
                pending["colour"] = _COLOUR[token]
        elif token in _SIZE:
            pending["size"] = _SIZE[token]
        elif token in _POSITION:
            if objects and not pending:
                objects[-1]["position"] = objects[-1]["position"] or _POSITION[token]
            else:
                pending_position = _POSITION[token]
        elif token in BACKGROUND_WORDS:
            if "colour" in pending:
                background = pending.pop("colour")
            else:
                background_named_first = True
        elif token in SEPARATORS:
            if "colour" in pending and background is None:
                background = pending.pop("colour")
            pending.pop("size", None)
    return PromptSpec(tuple(ObjectSpec(**o) for o in objects), background)


# Reading a prompt against the words a model was trained on: slips mended, the rest reported.

WORD = re.compile(r"[A-Za-z]+")
SHORTEST_MENDED = 4  # below this a one-letter change turns one word into another too easily
# A server reads any text: what a reader remembers of the words and prompts it has read is bounded.
MEMO_ENTRIES = 10_000
# Glue of ordinary requests that names nothing to draw: never reported, never mended.
FUNCTION_WORDS = frozenset(
    """a an the of on in at to and or with without is are be it its this that these those there here
    i me my we you your please can could would will should want like make draw show give get create
    generate paint sketch picture image photo drawing illustration some one two both each very just
    only plain simple flat but not no as by for from into onto over under near next beside between
    which who whose what where while colour color coloured colored shape shapes object objects thing
    thanks thank s showing featuring containing sitting placed set front behind around all toward
    towards edge side render minimal colours colors""".split()
)


def words_of(texts) -> frozenset[str]:
    """The lower-case words of caption texts and templates ({placeholders} left out)."""
    return frozenset(w.lower() for text in texts for w in WORD.findall(re.sub(r"\{[a-z_0-9]+\}", " ", text)))


def caption_vocabulary() -> frozenset[str]:
    """Every word `caption` writes, the parser's words, their plural shapes and FUNCTION_WORDS."""
    texts: list[str] = [*SINGLE_TEMPLATES, *PAIR_TEMPLATES, *NO_BACKGROUND_TEMPLATES, *BACKGROUND_WORDS]
    for table in (SHAPE_WORDS, COLOUR_WORDS, SIZE_WORDS, POSITION_WORDS, POSITION_PHRASES, SIZE_PHRASES):
        texts += [phrase for options in table.values() for phrase in options]
    return words_of(texts) | {word + "s" for word in _SHAPE} | FUNCTION_WORDS


def one_edit_apart(a: str, b: str) -> bool:
    """Damerau-Levenshtein distance exactly 1: one letter deleted, inserted, changed, or two swapped."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        differ = [i for i in range(len(a)) if a[i] != b[i]]
        if len(differ) == 1:
            return True
        i = differ[0]
        return len(differ) == 2 and differ[1] == i + 1 and a[i] == b[i + 1] and a[i + 1] == b[i]
    short, long = (a, b) if len(a) < len(b) else (b, a)
    i = next((k for k in range(len(short)) if short[k] != long[k]), len(short))
    return short[i:] == long[i + 1 :]


@dataclass(frozen=True)
class Reading:
    text: str  # the prompt with slips mended, everything else as typed
    unknown: tuple[str, ...]  # words the model never saw, lower-case, in order, once each


class Vocabulary:
    """The words a model was trained on. `read` mends one-letter slips ("traingle", "backgorund")
    towards the one known word they are a slip of, so the text encoder sees the word the model
    learned, and lists the words neither known nor mended ("cat", "astronaut"): the model never saw
    them and draws its own world regardless, which the UI says plainly."""

    def __init__(self, words: frozenset[str], real_words: frozenset[str] = frozenset()):
        self.words = words | FUNCTION_WORDS
        # Words of the language that are not the model's: words, not slips ("night" is no "right").
        self.real_words = real_words - self.words
        # Slips are mended only towards the world's own words: "ball" is not a slip of "all".
        self._targets = sorted(w for w in words - FUNCTION_WORDS if len(w) >= SHORTEST_MENDED)
        self._mended = functools.lru_cache(maxsize=MEMO_ENTRIES)(self._one_slip_from)

    def mend(self, word: str) -> str | None:
        """The one known word a lower-case unknown word is one slip away from, if exactly one is."""
        return self._mended(word)

    def _one_slip_from(self, word: str) -> str | None:
        if word in self.real_words:
            return None
        near = [known for known in self._targets if len(word) >= SHORTEST_MENDED and one_edit_apart(word, known)]
        return near[0] if len(near) == 1 else None

    def read(self, prompt: str) -> Reading:
        unknown: dict[str, None] = {}

        def replace(match: re.Match[str]) -> str:
            word = match.group(0)
            if word.lower() in self.words:
                return word
            mended = self.mend(word.lower())
            if mended is not None:
                return mended
            unknown[word.lower()] = None
            return word

        return Reading(WORD.sub(replace, prompt), tuple(unknown))

    def normalise(self, prompt: str) -> str:
        """What the model is given: the canonical caption of the spec the prompt states unambiguously
        (`read_spec`), unless words it does not know could be a colour it found no word for; else the
        prompt with its slips mended."""
        reading = self.read(prompt)
        spec = read_spec(reading.text)
        if spec is None or (reading.unknown and not (spec.objects[0].colour and spec.background)):
            return reading.text  # a word it does not know may be the colour it found none for
        return canonical_caption(spec)


# A prompt in a person's own words, read into the spec its canonical caption says the same way.

SYNONYMS = {
    "scarlet": "red",
    "golden": "yellow",
    "emerald": "green",
    "cobalt": "blue",
    "ivory": "white",
    "jet": "black",
    "dot": "circle",
    "round": "circle",
    "starshape": "star",
    "smallish": "small",
    "center": "centre",
}
_BACKGROUND = frozenset((*BACKGROUND_WORDS, "bg"))
_ON = frozenset(("on", "over", "against", "atop", "upon"))
# A colour a word or two from one of these is what lies behind the object ("blue behind it").
_SURROUNDING = frozenset(("behind", "around", "everywhere"))
# Words that may stand between a colour and the background noun it names, before it.
_BACKGROUND_LINKS = frozenset(("plain", "solid", "for", "as", "the", "a", "an"))
_LINKS_BEFORE_BACKGROUND = 3
_CLAUSE_END = frozenset(",;:.!?()")
_CLAUSE = re.compile(r"[a-z]+|[,;:.!?()\-]+")


def read_spec(text: str) -> PromptSpec | None:
    """The one-object spec a prompt states without ambiguity, in any word order: a colour next to
    "background" (or after "on"/"over"/"against" with no shape after it) is the background; the one
    other colour, size and position word belong to the one shape. None when the prompt names no shape
    or two, or two different values for one attribute: the model then reads the prompt itself."""
    tokens = [SYNONYMS.get(t, t) for t in _CLAUSE.findall(text.lower())]
    tokens = [re.sub(r"(circle|disc|disk|square|box|block|triangle|star)s$", r"\1", t) for t in tokens]
    # Two words for one shape in a row ("round disc") name one object.
    tokens = [t for i, t in enumerate(tokens) if not (i and t in _SHAPE and _SHAPE.get(tokens[i - 1]) == _SHAPE[t])]
    shapes = {_SHAPE[t] for t in tokens if t in _SHAPE}
    if len(shapes) != 1 or sum(t in _SHAPE for t in tokens) != 1:
        return None
    background_at = _background_colour_index(tokens)
    if background_at is None:
        background_at = _farther_colour_index(tokens)
    colours = {_COLOUR[t] for i, t in enumerate(tokens) if t in _COLOUR and i != background_at}
    sizes = {_SIZE[t] for t in tokens if t in _SIZE}
    positions = {_POSITION[t] for t in tokens if t in _POSITION}
    if len(colours) > 1 or len(sizes) > 1 or len(positions) > 1:
        return None
    background = _COLOUR[tokens[background_at]] if background_at is not None else None
    if background is not None and background in colours:
        return None
    obj = ObjectSpec(shapes.pop(), _only(colours), _only(sizes), _only(positions))
    return PromptSpec((obj,), background)


def _only(values: set[str]) -> str | None:
    return next(iter(values)) if values else None


def _background_colour_index(tokens: list[str]) -> int | None:
    for i, token in enumerate(tokens):
        if token not in _BACKGROUND:
            continue
        # "blue background", "blue plain backdrop", "blue for the background", "blue as the backdrop"
        before = i - 1
        while before >= max(0, i - 1 - _LINKS_BEFORE_BACKGROUND) and tokens[before] in _BACKGROUND_LINKS:
            before -= 1
        if before >= 0 and tokens[before] in _COLOUR:
            return before
        after = [j for j in range(i + 1, min(len(tokens), i + 4)) if tokens[j] in _COLOUR]
        if after:
            return after[0]
    for i, token in enumerate(tokens[:-1]):
        at = i + 2 if tokens[i + 1] in ("a", "an", "the", "plain") and i + 2 < len(tokens) else i + 1
        if token in _ON and tokens[at] in _COLOUR and not any(t in _SHAPE for t in tokens[at:]):
            return at
    for i, token in enumerate(tokens):
        if token in _SURROUNDING:
            near = [j for j in (i - 1, i - 2, i + 1, i + 2) if 0 <= j < len(tokens) and tokens[j] in _COLOUR]
            if near and all(tokens[j] not in _SHAPE for j in range(min(i, near[0]), max(i, near[0]))):
                return near[0]
    return None


def _farther_colour_index(tokens: list[str]) -> int | None:
    """With two different colours and one shape and no word saying which is the background's, the
    world's only reading: the object's colour is the one nearer its shape, the other the background.
    Not when both stand before the shape in one clause ("a red and green star": two colours for it)."""
    at = [i for i, t in enumerate(tokens) if t in _COLOUR]
    if len(at) != 2 or _COLOUR[tokens[at[0]]] == _COLOUR[tokens[at[1]]]:
        return None
    shape = next(i for i, t in enumerate(tokens) if t in _SHAPE)
    one_clause_before = at[1] < shape and not any(t in _CLAUSE_END for t in tokens[at[0] : shape])
    distance = [abs(i - shape) for i in at]
    if one_clause_before or distance[0] == distance[1]:
        return None
    return at[0] if distance[0] > distance[1] else at[1]


def world_vocabulary() -> frozenset[str]:
    """The words a model of this world understands: its captions' and the synonyms `read_spec` knows."""
    return caption_vocabulary() | frozenset(SYNONYMS)
