"""Everyday nouns read as the world shape of their outline, where a prompt names no world shape.

The nouns and their outlines come from WordNet's definitions (imagemodel/data/wordnet_outlines.tsv,
written by imagemodel/vendor_wordnet_outlines.py): "a hoop on red" asks for a circle, "a crate" for a
square. A prompt that already names a world shape keeps every other noun as typed ("a star on a wooden
crate" is a star), and a word that carries a colour, size or position stays that ("orange" is a colour
here before it is a fruit). Built in session 9 before imagemodel/phrasings.py UNSEEN_5's misreads were
ever printed; see imagemodel/MODEL_CARD.md.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

OUTLINES_FILE = Path(__file__).parent / "data" / "wordnet_outlines.tsv"
LONGEST_NOUN = 3  # words
# Words for the picture's own parts, which WordNet also files as things ("foreground": an active window).
SCENE_NOUNS = frozenset(
    """foreground background backdrop frame border edge corner side middle centre center canvas picture image
    photo photograph scene area space room field panel wallpaper surface setting view""".split()
)
_WORD = re.compile(r"[A-Za-z]+")


@functools.cache
def outline_nouns() -> dict[tuple[str, ...], str]:
    """(words of a noun) -> the world shape of its outline."""
    nouns = {}
    for line in OUTLINES_FILE.read_text().splitlines():
        if line and not line.startswith("#"):
            noun, shape, _ = line.split("\t")
            nouns[tuple(re.split(r"[ -]", noun))] = shape
    return nouns


def _plural_of(words: tuple[str, ...], nouns: dict[tuple[str, ...], str]) -> str | None:
    last = words[-1]
    for ending in ("es", "s"):
        if last.endswith(ending) and (*words[:-1], last[: -len(ending)]) in nouns:
            return nouns[(*words[:-1], last[: -len(ending)])] + "s"
    return None


def _kept(word: str, kept: frozenset[str]) -> bool:
    """The word, or its singular, carries another meaning or names a part of the picture."""
    forms = {word, word.removesuffix("s"), word.removesuffix("es")}
    return not forms.isdisjoint(kept) or not forms.isdisjoint(SCENE_NOUNS)


def name_outlines(text: str, shape_words: frozenset[str], kept: frozenset[str]) -> str:
    """The text with its outline nouns (the longest of up to LONGEST_NOUN words joined by a space or a
    hyphen) written as world shapes, unless it names a world shape already (`shape_words`); a word in
    `kept` is never read as a noun."""
    matches = list(_WORD.finditer(text))
    words = [match.group(0).lower() for match in matches]
    if set(words) & shape_words:
        return text
    nouns = outline_nouns()
    out, at, index = [], 0, 0
    while index < len(words):
        for length in range(min(LONGEST_NOUN, len(words) - index), 0, -1):
            phrase = tuple(words[index : index + length])
            joined = all(
                text[matches[k].end() : matches[k + 1].start()] in (" ", "-") for k in range(index, index + length - 1)
            )
            if not joined or (length == 1 and _kept(phrase[0], kept)):
                continue
            shape = nouns.get(phrase) or _plural_of(phrase, nouns)
            if shape:
                out += [text[at : matches[index].start()], shape]
                at = matches[index + length - 1].end()
                index += length - 1
                break
        index += 1
    return "".join(out) + text[at:]
