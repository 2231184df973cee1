"""Position phrases in a person's own words read onto the world's five places by axis composition.

The words come from the standard inventory of English spatial terms (Landau & Jackendoff 1993, "What and
where in spatial language and spatial cognition": the spatial prepositions and intransitive
prepositions, the compass words) and the axis nouns that name a part of a frame (top, base, foot,
floor, heart, core, edge, side, corner...), never from a phrasing family. Each word carries a value on
the vertical axis (top / middle / bottom), the horizontal one (left / middle / right), or both (the
middle words); a phrase is the run of such words in one clause, and its place is the composition of
its words' values. The world draws five places, each off the middle on at most one axis (left is
middle-high, top is middle-wide), so a phrase off the middle on both ("top left", a corner) or with two
values on one axis has no world place and is left as typed, for the rules and the learned reader.

Rules of English usage kept: a frame noun that is also a thing (base, floor, ground, heart, core...)
names a place only after "the" ("at the base", not "a blue base"); above/below/beneath/under name a
place only without an object ("sunk beneath", not "beneath a blue sky"); up/down only strengthen
another axis word ("high up", "down low"; "whip up" is no place); "right" before a preposition is an
intensifier ("right in the centre"), before "triangle"/"angle" geometry; "on top of" is a compound
preposition meaning on, written "atop".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from imagemodel.captions import POSITION_PHRASES

UP, DOWN, LEFT, RIGHT, MID = "up", "down", "left", "right", "mid"


def _forms(stems: tuple[str, ...], endings: tuple[str, ...]) -> tuple[str, ...]:
    return stems + tuple(stem + ending for stem in stems for ending in endings)


# Words naming one side of one axis (with their superlative -most and directional -ward(s) forms).
SIDE_WORDS = {
    UP: (
        *_forms(("top", "upper"), ("most",)),
        *_forms(("up",), ("ward", "wards", "per", "permost")),
        "high",
        "higher",
        "highest",
        "above",
        "overhead",
        "north",
        "northern",
    ),
    DOWN: (
        *_forms(("bottom", "lower", "nether"), ("most",)),
        *_forms(("down",), ("ward", "wards")),
        "low",
        "lowest",
        "below",
        "beneath",
        "under",
        "underneath",
        "underside",
        "south",
        "southern",
    ),
    LEFT: (*_forms(("left",), ("most", "ward", "wards")), "lefthand", "west", "western"),
    RIGHT: (*_forms(("right",), ("most", "ward", "wards")), "righthand", "east", "eastern"),
    MID: (
        "centre",
        "center",
        "centred",
        "centered",
        "central",
        "centrally",
        "middle",
        "mid",
        "midway",
        "halfway",
        "midpoint",
        "inner",
        "innermost",
        "interior",
    ),
}
# Nouns naming a part of the frame that are also things: a place only after "the".
FRAME_PART_NOUNS = {
    UP: ("ceiling", "roof", "summit", "sky"),
    DOWN: ("base", "foot", "floor", "ground"),
    MID: ("heart", "core", "hub", "nucleus"),
}
ONLY_WITHOUT_OBJECT = frozenset(("above", "below", "beneath", "under", "underneath"))
ONLY_WITH_ANOTHER = frozenset(("up", "down"))
CORNERS = frozenset(("corner", "corners"))
# Words that may stand inside a position phrase and carry no axis: prepositions of place, the regions
# of a frame, the frame itself, and intensifiers.
LINKING_WORDS = frozenset(
    """the of at in on to toward towards near nearby by along alongside close closer next against across
    far very just exactly dead smack way within into onto from side sides edge edges border borders margin
    margins rim boundary end ends half part portion region area zone section hand handed frame picture
    image page view panel composition corner corners -""".split()
)
PREPOSITIONS = frozenset(
    """in at on by near next beside above below beneath under underneath up down over inside along against
    across toward towards to""".split()
)
DETERMINERS = frozenset(("a", "an", "the", "some"))
_TOKEN = re.compile(r"[A-Za-z]+|[^A-Za-z\s]")
_ON_TOP_OF = re.compile(r"\bon\s+top\s+of\b", re.IGNORECASE)
PLACE_PHRASE = {place: phrases[0] for place, phrases in POSITION_PHRASES.items()}


@dataclass
class _Word:
    text: str
    start: int
    end: int


def spatial_words() -> set[str]:
    """The words that carry a side: slips are mended towards them."""
    return {word for group in (*SIDE_WORDS.values(), *FRAME_PART_NOUNS.values()) for word in group}


def _side(words: list[_Word], index: int) -> str | None:
    """The axis value this word carries here, if any."""
    word = words[index].text
    before = words[index - 1].text if index else ""
    after = words[index + 1].text if index + 1 < len(words) else ""
    if word == "right" and before not in ("the", "far") and (after in PREPOSITIONS or after in ("triangle", "angle")):
        return None  # "right in the centre", "a right triangle"
    if after == "-" and index + 2 < len(words) and not _spatial(words, index + 2):
        return None  # a compound modifier: "mid-sized", "low-poly"
    if word in ONLY_WITHOUT_OBJECT and after in DETERMINERS:
        return None  # "beneath a blue sky": a relation to a thing, not a place in the frame
    for side, nouns in FRAME_PART_NOUNS.items():
        if word in nouns:
            return side if before == "the" else None
    return next((side for side, sides in SIDE_WORDS.items() if word in sides), None)


def _spatial(words: list[_Word], index: int) -> bool:
    word = words[index].text
    return word in LINKING_WORDS or any(word in group for group in (*SIDE_WORDS.values(), *FRAME_PART_NOUNS.values()))


def _intensifier(words: list[_Word], index: int) -> bool:
    """ "right" as in "right in the centre": part of the phrase, no side."""
    after = words[index + 1].text if index + 1 < len(words) else ""
    return words[index].text == "right" and after in PREPOSITIONS and _side(words, index) is None


def _ends_phrase(words: list[_Word], index: int, run_end: int) -> bool:
    """A word the phrase may end on: one with a side, a noun of the frame, or a preposition that ends
    the clause ("midway across"); not one that leads into what follows ("at the top of a blue ...")."""
    word = words[index].text
    if _side(words, index) or word in CORNERS:
        return True
    if word in PREPOSITIONS:
        return index + 1 == run_end and (run_end == len(words) or not words[run_end].text.isalpha())
    return word not in DETERMINERS | {"of", "-"} and not _intensifier(words, index)


def place_of(sides: list[tuple[str, str]]) -> str | None:
    """The world place of a phrase's (word, side) values, or None where it has none (a corner, a clash)."""
    strong = [side for word, side in sides if word not in ONLY_WITH_ANOTHER]
    if not strong:
        return None
    values = set(strong) | {side for word, side in sides if word in ONLY_WITH_ANOTHER}
    vertical = values & {UP, DOWN}
    horizontal = values & {LEFT, RIGHT}
    if len(vertical) > 1 or len(horizontal) > 1 or (vertical and horizontal):
        return None
    if any(word in CORNERS for word, _ in sides):
        return None
    if vertical:
        return "top" if vertical == {UP} else "bottom"
    if horizontal:
        return horizontal.pop()
    return "centre"


def place_phrases(text: str) -> str:
    """The text with each position phrase written as the world's own ("at the very base of the frame"
    -> "at the bottom"); phrases with no world place, and everything else, as typed."""
    text = _ON_TOP_OF.sub(lambda match: "atop" if match.group(0).islower() else "ATOP", text)
    tokens = [_Word(m.group(0).lower(), m.start(), m.end()) for m in _TOKEN.finditer(text)]
    out, at, index = [], 0, 0
    while index < len(tokens):
        run_end = index
        while run_end < len(tokens) and (
            tokens[run_end].text in LINKING_WORDS or _side(tokens, run_end) or _intensifier(tokens, run_end)
        ):
            run_end += 1
        if run_end == index:
            index += 1
            continue
        sides = [(tokens[k].text, side) for k in range(index, run_end) if (side := _side(tokens, k))]
        place = place_of(sides) if sides else None
        if place is not None:
            last = max(k for k in range(index, run_end) if _ends_phrase(tokens, k, run_end))
            out.append(text[at : tokens[index].start])
            out.append(PLACE_PHRASE[place])
            at = tokens[last].end
        index = run_end
    out.append(text[at:])
    return "".join(out)
