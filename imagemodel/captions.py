"""Captions for scenes in many phrasings, and the parser that turns a prompt back into a spec.

A caption may leave attributes out (size, position, colour, background); the spec it describes keeps
those as None. The parser is rule based so it works offline and never needs the model.
"""

from __future__ import annotations

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
