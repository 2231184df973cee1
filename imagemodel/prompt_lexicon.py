"""A prompt's words brought to the world's own before anything reads it: slips mended, words split by a
stray space rejoined and words run together split, position phrases read by axis
(imagemodel/spatial_lexicon.py), colour names (imagemodel/colour_lexicon.py) and
shape nouns replaced by the world word they mean (everyday nouns by their outline where the prompt names
no shape: imagemodel/outline_lexicon.py), and the nouns that name the background written as
"background". The rules (`captions.read_spec`) and the learned reader then read world words only.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from rapidfuzz.distance import OSA
from rapidfuzz.process import extract
from spellchecker import SpellChecker

from imagemodel import captions
from imagemodel.colour_lexicon import all_colour_names, colour_names, listed_colour_names
from imagemodel.outline_lexicon import name_outlines
from imagemodel.size_lexicon import size_words
from imagemodel.spatial_lexicon import place_phrases, spatial_words
from imagemodel.world import COLOURS

# Shape nouns by outline: a word means a world shape when the outline of what it names, seen the way it is
# usually drawn, is that shape (a solid by its silhouette, a figure by itself). The words are the
# geometric figures and solids of each outline with their adjectives, and the everyday round, square,
# three-cornered and star objects the issue names; no phrasing family's word was added for its own sake.
SHAPE_SYNONYMS = {
    # round: circles, discs, spheres and the round things drawn as one
    "circle": (
        *("circular", "round", "roundel", "disc", "disk", "dot", "spot", "ring"),
        *("sphere", "spherical", "spheroid", "ball", "globe", "orb", "bead", "coin", "moon", "sun", "planet"),
    ),
    # four equal sides: squares, cubes and the square things drawn as one (a rectangle's nearest world outline)
    "square": (
        *("squared", "quadrate", "quadrilateral", "rectangle", "rectangular", "oblong"),
        *("cube", "cubic", "cuboid", "box", "block", "tile", "brick"),
    ),
    # three corners: triangles, pyramids, cones and wedges seen side-on
    "triangle": (
        *("triangular", "trigon", "delta"),
        *("pyramid", "pyramidal", "tetrahedron", "cone", "conical", "prism", "wedge", "arrowhead"),
    ),
    # points about a centre: stars and the starred signs
    "star": ("starshape", "starburst", "starry", "pentagram", "hexagram", "asterisk", "starfish", "sparkle"),
}
# Nouns that name where the object sits: a colour next to one is the background's.
BACKGROUND_NOUNS = ("backdrop", "bg", "canvas", "wall", "field", "surface", "scene")
# Colour-survey names that are also ordinary words a prompt uses for something else, or modifiers
# ("dark", "pale"), whose colour comes from the word after them.
NOT_COLOURS = frozenset(
    """dark light pale bright deep dull dusty pastel neon faded muted vivid soft warm cool hot bland drab
    dusk twilight midnight stone ice sea sky sand forest pine tea cement shit puke vomit snot barf poo
    diarrhea bile bruise""".split()  # the survey's everyday nouns and its joke names among them
)
# Where a word stands as a colour: before these ("daffodil circle", "soot-toned"), or after the first
# ("in the colour daffodil", "on solid daffodil"); only there is a word read through the long name list
# (colour_lexicon.listed_colour_names), whose names are mostly ordinary words ("astronaut", "mars").
_SHAPE_WORDS = frozenset(f"{shape}{plural}" for shape in SHAPE_SYNONYMS for plural in ("", "s"))
_NAMED_BEFORE = (
    _SHAPE_WORDS
    | frozenset(captions.BACKGROUND_WORDS)
    | frozenset(("shape", "shapes", "toned", "coloured", "colored", "colour", "color", "hued", "tinted", "shade"))
)
_NAMED_AFTER = frozenset(("colour", "color", "coloured", "colored", "painted", "tinted", "toned", "solid", "plain"))
_CLAUSE_BREAK = re.compile(r"\s*[,;:|.!?()]+\s*")
_LABEL = ":"  # "prompt: ...": the word before a colon labels what follows
# A listed name used this often in English (pyspellchecker's frequency list) has a commoner sense than
# the colour ("star", "sky", "vast", "fire", "astronaut"); daffodil, soot and vanilla are rarer.
LISTED_COLOUR_MOST_USES = 5_000
SHORTEST_MENDED = 4  # below this one changed letter turns one word into another too easily
TWO_EDITS_FROM = 8  # words this long may carry two slips
SURVEY_MENDED_FROM = 6  # a slip is mended towards a colour-survey name only in words this long
SPATIAL_MENDED_FROM = 6  # a slip is mended towards a spatial word (imagemodel/spatial_lexicon.py) this long
SHORTEST_PART = 2  # a word run into another is split only into parts this long
# A word used at least this often in pyspellchecker's English frequency list is a word, not a slip:
# "setting" is not mended to "sitting", nor "coal" to "coral".
ENGLISH_LEAST_USES = 200
# A word English uses this often is that word, even one slip from a world word ("night" is no "right",
# "desk" no "disk", "flower" no "lower"); a rarer one may be a slip ("whit" for "white").
COMMON_WORD_USES = 5_000
_WORD = re.compile(r"[A-Za-z]+")


@functools.cache
def english_frequencies() -> dict[str, int]:
    """pyspellchecker's English word frequencies (word -> uses), loaded once a process."""
    return dict(SpellChecker(language="en").word_frequency.items())


@functools.cache
def words_used(at_least: int) -> frozenset[str]:
    """The words English uses at least `at_least` times (ENGLISH_LEAST_USES: a word, not a slip;
    COMMON_WORD_USES: that word even one slip from a world word)."""
    return frozenset(word for word, uses in english_frequencies().items() if uses >= at_least and word.isalpha())


def _singular_colours() -> dict[str, str]:
    return {name: colour for name, colour in colour_names().items() if " " not in name and name not in NOT_COLOURS}


@functools.cache
def _colour_phrases() -> dict[tuple[str, ...], str]:
    phrases = {tuple(name.split()): colour for name, colour in colour_names().items() if "/" not in name}
    # A name that ends in a world colour is that colour, whatever its hue ("lime green" is a green).
    phrases |= {
        tuple(words): words[-1]
        for words in map(str.split, all_colour_names())
        if len(words) > 1 and words[-1] in COLOURS
    }
    # A size or position word stays itself: "medium blue" is a medium-sized blue thing here.
    tables = (captions.SHAPE_WORDS, captions.SIZE_WORDS, captions.POSITION_WORDS)
    other_meanings = {word for table in tables for options in table.values() for word in options}
    return {
        words: colour
        for words, colour in phrases.items()
        if (len(words) > 1 or words[0] not in NOT_COLOURS) and not set(words) & other_meanings
    }


def _meaning_words() -> set[str]:
    """The words that carry a spec: the world's colours, shapes, sizes, positions and background words."""
    tables = (captions.SHAPE_WORDS, captions.COLOUR_WORDS, captions.SIZE_WORDS, captions.POSITION_WORDS)
    words = {word for table in tables for options in table.values() for word in options}
    # Short spatial words sit one slip from world words ("below" from "yelow"): only the longer are targets.
    spatial = {word for word in spatial_words() if len(word) >= SPATIAL_MENDED_FROM}
    return words | set(captions.SYNONYMS) | set(captions.BACKGROUND_WORDS) | set(BACKGROUND_NOUNS) | spatial


class Lexicon:
    """Rewrites a prompt's words into the world's: `known` is every word the world's readers know."""

    def __init__(self, known: Iterable[str]):
        self.shapes = {word: shape for shape, words in SHAPE_SYNONYMS.items() for word in words}
        self.colours = _singular_colours()
        frequencies = english_frequencies()
        self.listed = {
            name: colour
            for name, colour in listed_colour_names().items()
            if name not in NOT_COLOURS and frequencies.get(name, 0) < LISTED_COLOUR_MOST_USES
        }
        self.listed_names = sorted(name for name in self.listed if len(name) >= SURVEY_MENDED_FROM)
        self._listed_slips = functools.lru_cache(maxsize=captions.MEMO_ENTRIES)(self._listed_slip_of)
        self.phrases = _colour_phrases()
        # Slips are mended towards the words that carry a spec, and in longer words towards the colour
        # names people use (short survey names sit one slip from ordinary words).
        self.targets = sorted(w for w in _meaning_words() | set(self.shapes) if len(w) >= SHORTEST_MENDED)
        self.survey_targets = sorted(name for name in self.colours if len(name) >= SURVEY_MENDED_FROM)
        self.known = frozenset(known) | words_used(ENGLISH_LEAST_USES) | set(self.targets) | set(self.colours)
        self.meaningful = (frozenset(known) - captions.FUNCTION_WORDS) | set(self.targets) | set(self.colours)
        self._mended = functools.lru_cache(maxsize=captions.MEMO_ENTRIES)(self._nearest)
        self.not_outlines = self.meaningful | frozenset(self.listed)

    def rewrite(self, prompt: str) -> str:
        """The prompt with its words brought to the world's (lower case where changed); the rest as typed."""
        named = self._name(size_words(place_phrases(self._spell(prompt))))
        return self._name_listed_colours(name_outlines(named, _SHAPE_WORDS, self.not_outlines))

    def mend(self, word: str) -> str | None:
        """The one target word a lower-case unknown word is the nearest slip of (one edit, two for long words)."""
        return self._mended(word)

    def _nearest(self, word: str) -> str | None:
        if len(word) < SHORTEST_MENDED:
            return None
        edits = 2 if len(word) >= TWO_EDITS_FROM else 1
        found = self._only_nearest(word, self.targets, edits)
        if found is None and len(word) >= SURVEY_MENDED_FROM:
            found = self._only_nearest(word, self.survey_targets, 1)
        return found

    def _only_nearest(self, word: str, targets: list[str], edits: int) -> str | None:
        """The target fewest edits (at most `edits`) from the word, where all that near mean one thing
        ("starr": star or starry); None when none is near, or near ones differ in meaning."""
        near = extract(word, targets, scorer=OSA.distance, score_cutoff=edits, limit=None)
        if not near:
            return None
        best = min(distance for _, distance, _ in near)
        closest = sorted((target for target, distance, _ in near if distance == best), key=len)
        return closest[0] if len({self._meaning(target) for target in closest}) == 1 else None

    def _shape(self, word: str) -> str | None:
        """The world shape a shape noun means, in the plural too ("orbs" -> "circles")."""
        if word in self.shapes:
            return self.shapes[word]
        for ending in ("es", "s"):
            if word.endswith(ending) and word[: -len(ending)] in self.shapes:
                return self.shapes[word[: -len(ending)]] + "s"
        return None

    def _meaning(self, word: str) -> str:
        word = captions.SYNONYMS.get(word, word)
        for table in (captions._SHAPE, captions._COLOUR, captions._SIZE, captions._POSITION, self.shapes, self.colours):
            if word in table:
                return table[word]
        return word

    def _split(self, word: str) -> str | None:
        """Two words run together ("redstar", "withgreen"), one of them a word that carries a spec; the
        split with the longer shorter part."""
        splits = [
            (min(i, len(word) - i), word[:i], word[i:])
            for i in range(SHORTEST_PART, len(word) - SHORTEST_PART + 1)
            if word[:i] in self.known and word[i:] in self.known and self._carries(word[:i], word[i:])
        ]
        return " ".join(max(splits)[1:]) if splits else None

    def _carries(self, *words: str) -> bool:
        return any(w in self.meaningful for w in words)

    def _joins(self, first: str, second: str) -> str | None:
        """A word split by a stray space ("tri angle", "back ground"): the join is a word that carries a
        spec, or any word where one part is no word."""
        joined = first + second
        if joined in self.targets:
            return joined
        if joined in self.known and (first not in self.known or second not in self.known):
            return joined  # "pe tite": a word, not "pe" and a slip of "tile"
        return None

    def _spell(self, prompt: str) -> str:
        matches = list(_WORD.finditer(prompt))
        out, at, skip = [], 0, False
        for index, match in enumerate(matches):
            if skip:
                skip = False
                continue
            word = match.group(0).lower()
            following = matches[index + 1] if index + 1 < len(matches) else None
            out.append(prompt[at : match.start()])
            at = match.end()
            if following is not None and prompt[match.end() : following.start()] == " ":
                joined = self._joins(word, following.group(0).lower())
                if joined is not None:
                    out.append(joined)
                    at, skip = following.end(), True
                    continue
            if word in self.known:
                out.append(match.group(0))
                continue
            out.append(self.mend(word) or self._split(word) or match.group(0))
        out.append(prompt[at:])
        return "".join(out)

    def _name(self, text: str) -> str:
        """Colour names (the longest of up to three words), shape nouns and background nouns as world words;
        a colour name's modifier ("moss" in "moss green") gives way to the world colour after it."""
        matches = list(_WORD.finditer(text))
        words = [m.group(0).lower() for m in matches]
        out, at, index = [], 0, 0
        while index < len(matches):
            out.append(text[at : matches[index].start()])
            span, meaning = 1, None
            for length in (3, 2, 1):
                phrase = tuple(words[index : index + length])
                joined_by_spaces = all(
                    re.fullmatch(r"[ -]", text[matches[k].end() : matches[k + 1].start()])
                    for k in range(index, index + len(phrase) - 1)
                )
                if len(phrase) == length and joined_by_spaces and phrase in self.phrases:
                    span, meaning = length, self.phrases[phrase]
                    break
            word = words[index]
            if meaning is None:
                in_colour_compound = self._in_colour_compound(text, matches, words, index)
                shape = None if in_colour_compound else self._shape(word)
                meaning = shape or ("background" if word in BACKGROUND_NOUNS else None)
            following = index + span
            modifier = meaning in COLOURS and (span > 1 or word not in COLOURS)
            if modifier and following < len(words) and words[following] in COLOURS:
                if text[matches[following - 1].end() : matches[following].start()] in (" ", "-"):
                    meaning = ""  # the world colour after it names the colour
            if meaning is None:
                out.append(text[matches[index].start() : matches[index + span - 1].end()])
            else:
                out.append(meaning)
            at = matches[index + span - 1].end()
            if meaning == "":  # drop the space or hyphen after a dropped modifier
                at = matches[following].start()
            index += span
        out.append(text[at:])
        return "".join(out)

    def _in_colour_compound(self, text: str, matches: list[re.Match[str]], words: list[str], index: int) -> bool:
        """A noun hyphened to the word before it and followed by a colour names that colour's shade, not a
        shape: "traffic-cone orange", "ice-cube blue"."""
        if index == 0 or index + 1 >= len(words) or text[matches[index - 1].end() : matches[index].start()] != "-":
            return False
        return words[index + 1] in COLOURS or words[index + 1] in self.colours

    def _name_listed_colours(self, text: str) -> str:
        """Words of the long colour-name list replaced by their world colour where the prompt uses them as
        a colour: before a shape, background or colour word, after "colour"/"painted"/"solid", or alone
        in a clause of a prompt that names a shape ("star, avocado, large")."""
        matches = list(_WORD.finditer(text))
        names_a_shape = any(match.group(0).lower() in _SHAPE_WORDS for match in matches)
        out, at = [], 0
        for index, match in enumerate(matches):
            word = match.group(0).lower()
            name = word if word in self.listed else self._listed_slip(word)
            if name is None or word in self.meaningful or word in captions.FUNCTION_WORDS:
                continue
            if self._used_as_colour(text, matches, index, names_a_shape):
                out += [text[at : match.start()], self.listed[name]]
                at = match.end()
        return "".join(out) + text[at:]

    def _listed_slip(self, word: str) -> str | None:
        """The one listed name a word no list or dictionary knows is one slip of ("papaay"), from
        SURVEY_MENDED_FROM letters, as slips are mended towards the survey's names."""
        if len(word) < SURVEY_MENDED_FROM or word in self.known:
            return None
        return self._listed_slips(word)

    def _listed_slip_of(self, word: str) -> str | None:
        return self._only_nearest(word, self.listed_names, 1)

    @staticmethod
    def _used_as_colour(text: str, matches: list[re.Match[str]], index: int, names_a_shape: bool) -> bool:
        match = matches[index]
        before = text[matches[index - 1].end() : match.start()] if index else text[: match.start()]
        after = text[match.end() : matches[index + 1].start()] if index + 1 < len(matches) else text[match.end() :]
        if index + 1 < len(matches) and after in (" ", "-") and matches[index + 1].group(0).lower() in _NAMED_BEFORE:
            return True
        if index and before == " " and matches[index - 1].group(0).lower() in _NAMED_AFTER:
            return True
        alone_before = index == 0 and not before.strip() or _CLAUSE_BREAK.fullmatch(before)
        alone_after = (
            index + 1 == len(matches) and not after.strip() or (_CLAUSE_BREAK.fullmatch(after) and _LABEL not in after)
        )
        return bool(names_a_shape and alone_before and alone_after)
