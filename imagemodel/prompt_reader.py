"""The learned prompt reader: frozen MiniLM per-token states -> the scene spec a prompt asks for.

A small head like the condition adapter's slot reader (imagemodel/model.py), without its mixing layer, trained
on its own (imagemodel/train_reader.py) over broad phrasings, so that a request in a person's own words
reaches the diffusion network as the canonical caption it reads best. It generalises through the text
encoder: a word it never saw ("crimson", a typo's subwords) lands near the words it did.
"""

from __future__ import annotations

import functools
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from torch import nn

from imagemodel.captions import (
    MEMO_ENTRIES,
    WORD,
    ObjectSpec,
    PromptSpec,
    Reading,
    Vocabulary,
    canonical_caption,
    parse,
    read_spec,
)
from imagemodel.model import (
    ABSENT,
    MAX_OBJECTS,
    MAX_TOKENS,
    SLOT_CLASSES,
    SLOT_NAMES,
    TEXT_DIM,
    UNSPECIFIED,
    TextEncoder,
)
from imagemodel.prompt_lexicon import COMMON_WORD_USES, Lexicon, words_used
from imagemodel.word_meanings import WordMeanings
from imagemodel.world import SHAPES

WEIGHTS_FILE = "prompt_reader.safetensors"
# A prompt is read when the reader is at least this sure that it asks for a shape of the world;
# otherwise ("a cat astronaut", an empty negative prompt) it goes to the network as typed.
WORLD_PROMPT_THRESHOLD = 0.5
_ATTRIBUTES = ("colour", "size", "position")


class SlotReader(nn.Module):
    """Per-token states -> one logit vector per slot of imagemodel.model.SLOT_CLASSES."""

    def __init__(self, width: int = 128, heads: int = 4):
        super().__init__()
        self.project = nn.Linear(TEXT_DIM, width)
        self.slot_queries = nn.Parameter(torch.randn(len(SLOT_NAMES), width) * 0.02)
        self.slot_attention = nn.MultiheadAttention(width, heads, batch_first=True)
        self.heads = nn.ModuleList(nn.Linear(width, len(c)) for c in SLOT_CLASSES.values())

    def forward(self, states: torch.Tensor, mask: torch.Tensor) -> list[torch.Tensor]:
        padding = mask == 0
        # MiniLM's states are already contextual: one attention read per slot is enough (and cheap).
        tokens = self.project(states)
        queries = self.slot_queries.expand(states.shape[0], -1, -1)
        slots, _ = self.slot_attention(queries, tokens, tokens, key_padding_mask=padding)
        return [head(slots[:, i]) for i, head in enumerate(self.heads)]


def save(reader: SlotReader, path: Path) -> None:
    save_file({k: v.contiguous() for k, v in reader.state_dict().items()}, str(path))


def load(path: Path) -> SlotReader:
    reader = SlotReader()
    reader.load_state_dict(load_file(str(path)))
    return reader.eval().requires_grad_(False)


def spec_of(probabilities: list[torch.Tensor]) -> PromptSpec | None:
    """One row's slot distributions -> the spec they read, or None when it is not a prompt of the world."""
    slot = dict(zip(SLOT_NAMES, probabilities, strict=True))

    def value(name: str) -> str:
        return SLOT_CLASSES[name][int(slot[name].argmax())]

    world_shape = slot["object0.shape"][[SLOT_CLASSES["object0.shape"].index(s) for s in SHAPES]]
    if float(world_shape.sum()) < WORLD_PROMPT_THRESHOLD:
        return None
    background = value("background")
    objects = []
    for index in range(MAX_OBJECTS):
        shape = SHAPES[int(world_shape.argmax())] if index == 0 else value(f"object{index}.shape")
        if shape in (ABSENT, UNSPECIFIED):
            break
        colour, size, position = (value(f"object{index}.{a}") for a in _ATTRIBUTES)
        if colour == background != UNSPECIFIED:
            # The world never draws an object in its background's colour: the surer slot keeps it.
            colour, background = _told_apart(slot[f"object{index}.colour"], slot["background"], colour)
        objects.append(ObjectSpec(shape, *(None if a == UNSPECIFIED else a for a in (colour, size, position))))
    return PromptSpec(tuple(objects), None if background == UNSPECIFIED else background)


def _told_apart(colour: torch.Tensor, background: torch.Tensor, both: str) -> tuple[str, str]:
    """(object colour, background) when both slots read `both`: the less sure takes its second choice."""
    classes = SLOT_CLASSES["background"]
    at = classes.index(both)
    if float(colour[at]) >= float(background[at]):
        return both, classes[int(background.topk(2).indices[1])]
    return classes[int(colour.topk(2).indices[1])], both


class PromptReader:
    """Reads prompts (slips mended first, unknown words the encoder places near a world word resolved to
    it) into specs; `normalise` is what the diffusion network is given."""

    def __init__(self, reader: SlotReader, encoder: TextEncoder, vocabulary: Vocabulary, resolve_words: bool = True):
        self.reader = reader
        self.encoder = encoder
        # With the lexicon, a common English word the model does not know is that word, not a slip of
        # one it knows (prompt_lexicon.COMMON_WORD_USES): the lexicon has mended the slips already.
        self.vocabulary = Vocabulary(vocabulary.words, words_used(COMMON_WORD_USES)) if resolve_words else vocabulary
        self.meanings = WordMeanings(encoder) if resolve_words else None
        self.lexicon = Lexicon(vocabulary.words) if resolve_words else None
        self._readings = functools.lru_cache(maxsize=MEMO_ENTRIES)(self._read_text)

    @classmethod
    def from_weights(cls, weights_dir: str | Path, encoder: TextEncoder, vocabulary: Vocabulary) -> PromptReader:
        return cls(load(Path(weights_dir) / WEIGHTS_FILE), encoder, vocabulary)

    @torch.no_grad()
    def read(self, prompts: list[str]) -> list[PromptSpec | None]:
        """The spec each prompt asks for; None for an empty prompt or one outside the world."""
        return [self._read_one(self.resolve(prompt).text) for prompt in prompts]

    def resolve(self, prompt: str) -> Reading:
        """The prompt with slips mended, colour names and shape nouns as world words (`Lexicon`), and each
        unknown word the encoder places near a world word replaced by it; the words still unknown."""
        reading = self.vocabulary.read(self.lexicon.rewrite(prompt) if self.lexicon else prompt)
        if self.meanings is None or not reading.unknown:
            return reading
        meanings = {word: self.meanings.meaning(word) for word in reading.unknown}
        text = WORD.sub(lambda match: meanings.get(match.group(0).lower()) or match.group(0), reading.text)
        return Reading(text, tuple(word for word in reading.unknown if meanings[word] is None))

    def _read_one(self, text: str) -> PromptSpec | None:
        return self._readings(text) if text.strip() else None

    @torch.no_grad()
    def _read_text(self, text: str) -> PromptSpec | None:
        # One prompt a call, unpadded: a reading never depends on the prompts it came with (the
        # diffusion network's own encoding, cached by TextEncoder, is left as it was).
        batch = self.encoder.tokenizer([text], truncation=True, max_length=MAX_TOKENS, return_tensors="pt")
        states = self.encoder.model(**batch).last_hidden_state
        logits = self.reader(states, batch["attention_mask"])
        return spec_of([logit[0].softmax(-1) for logit in logits])

    def normalise(self, prompts: list[str]) -> list[str]:
        """What the network is given: the canonical caption of what each prompt asks for, as the rules
        read it where they can (`Vocabulary.normalise`: exact on the phrasings they were written for),
        else as the reader reads it; else the prompt with its slips mended."""
        given = []
        for prompt in prompts:
            mended = self.resolve(prompt).text
            by_rules = self.vocabulary.normalise(mended)
            if by_rules != mended:
                given.append(canonical_caption(completed(parse(by_rules), self._read_one(mended))))
                continue
            learned = self._read_one(mended)
            # The rules found one shape and a background named as one, and left the object's colour to a
            # word they do not know: what they read stands, and the reader supplies the rest ("green for
            # the background and a soot square"). A lone colour they did not see named as the background
            # may be either ("blue setting; a cube with porcelain paint"): that is the reader's to say.
            partly = read_spec(self.vocabulary.read(mended).text) if learned is not None else None
            spec = completed(partly, learned) if partly is not None and partly.background else learned
            given.append(canonical_caption(spec) if spec is not None else by_rules)
        return given


def completed(by_rules: PromptSpec, learned: PromptSpec | None) -> PromptSpec:
    """The rules' reading, with what they left unread (a size or position in words they lack: "down
    low", "average-sized") taken from the learned reader's, where it reads the same one shape."""
    if learned is None or len(learned.objects) != 1 or learned.objects[0].shape != by_rules.objects[0].shape:
        return by_rules
    rules, reader = by_rules.objects[0], learned.objects[0]
    obj = ObjectSpec(
        rules.shape,
        rules.colour or reader.colour,
        rules.size or reader.size,
        rules.position or reader.position,
    )
    background = by_rules.background or learned.background
    if background == obj.colour:
        background = by_rules.background
        obj = ObjectSpec(obj.shape, rules.colour, obj.size, obj.position)
    return PromptSpec((obj,), background)
