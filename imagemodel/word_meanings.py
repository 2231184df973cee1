"""Words the world never listed, resolved through the frozen text encoder's own semantics.

Each world word (colours, shapes, sizes) and an unknown word are embedded in the same carrier phrase
("the colour X", "a X shape", "X in size": the mean of the word's word-piece states there); the
unknown word means the nearest world word when the cosine and its margin over the runner-up both
clear a bar, and stays unknown otherwise. The bar was chosen on the DEVELOPMENT family's synonyms and
filler words only (never on HELD_OUT or FRESH words): see tests/model/test_imagemodel_prompt_reader.py.
MiniLM separates sizes well ("tiny" -> small at 0.90) but not colours ("scarlet" lands nearer
orange than red, "golden" nearer purple): the bar is set so that no development colour synonym is
mapped wrongly, which in practice leaves colours to the listed synonyms and the learned reader.
"""

from __future__ import annotations

import functools

import torch

from imagemodel.captions import MEMO_ENTRIES
from imagemodel.model import TextEncoder
from imagemodel.world import COLOURS, SHAPES

CARRIERS = {"colour": "the colour {}", "shape": "a {} shape", "size": "{} in size"}
WORLD_WORDS = {"colour": tuple(COLOURS), "shape": tuple(SHAPES), "size": ("small", "medium", "large")}
# Chosen on DEVELOPMENT: every synonym it maps clears both (tiny 0.90/0.36, starshape 0.79/0.49,
# smallish 0.80/0.25); no filler word does ("dark" -> black 0.63, "colour" -> red 0.60/0.02), and
# no development colour synonym is mapped to a wrong colour (emerald -> orange 0.43/0.11).
LEAST_COSINE = 0.7
LEAST_MARGIN = 0.2
SHORTEST_WORD = 3


class WordMeanings:
    """Maps a lower-case word the world's vocabulary lacks to the world word it means, or None."""

    def __init__(self, encoder: TextEncoder):
        self.encoder = encoder
        self._world = {kind: torch.stack([self._embed(w, kind) for w in words]) for kind, words in WORLD_WORDS.items()}
        self._meanings = functools.lru_cache(maxsize=MEMO_ENTRIES)(self._nearest)

    def meaning(self, word: str) -> str | None:
        return self._meanings(word) if len(word) >= SHORTEST_WORD and word.isalpha() else None

    def _nearest(self, word: str) -> str | None:
        ranked = sorted(
            (
                (float(similarity), world_word)
                for kind, words in WORLD_WORDS.items()
                for world_word, similarity in zip(words, self._world[kind] @ self._embed(word, kind), strict=True)
            ),
            reverse=True,
        )
        (best, meaning), (runner_up, _) = ranked[0], ranked[1]
        return meaning if best >= LEAST_COSINE and best - runner_up >= LEAST_MARGIN else None

    @torch.no_grad()
    def _embed(self, word: str, kind: str) -> torch.Tensor:
        """The unit mean of the word's word-piece states inside its kind's carrier phrase."""
        text = CARRIERS[kind].format(word)
        start = CARRIERS[kind].index("{}")
        batch = self.encoder.tokenizer([text], return_tensors="pt", return_offsets_mapping=True)
        offsets = batch.pop("offset_mapping")[0].tolist()
        states = self.encoder.model(**batch).last_hidden_state[0]
        pieces = [i for i, (s, e) in enumerate(offsets) if e > s and s >= start and e <= start + len(word)]
        vector = states[pieces].mean(0)
        return vector / vector.norm()
