"""imagemodel/vendor_wordnet_outlines.py reads WordNet's own files: a noun's outline is the shape its
name ends in, the outline word of its definition's first noun phrase, the figure it is a kind of, or its
parent's, and a sense nobody can draw gives none. Run on a few synsets in WordNet's format."""

from pathlib import Path

from imagemodel import vendor_wordnet_outlines as vendor

DATA = """\
  1 This software and database is being provided to you, the LICENSEE, by Princeton University
00000001 25 n 01 round_shape 0 000 | a shape that is curved and without sharp angles
00000002 25 n 01 saucer 0 001 @ 00000001 n 0000 | something with a round shape; "a flying saucer"
00000003 06 n 01 container 0 000 | any object that can be used to hold things (especially a boxlike object)
00000004 06 n 02 box 0 boxful 0 001 @ 00000003 n 0000 | a (usually rectangular) container; may have a lid
00000005 06 n 01 crate 0 001 @ 00000004 n 0000 | a rugged box (usually made of wood); used for shipping
00000006 06 n 01 tea_chest 0 001 @ 00000005 n 0000 | a chest for tea
00000007 06 n 01 bat 0 000 | a club used for hitting a ball in various games
00000008 10 n 01 coin 0 000 | a brief name for a thing; "coin a phrase"
00000009 21 n 01 coin 0 000 | a flat metal piece (usually a disc) used as money
00000010 05 n 01 sea_star 0 000 | an echinoderm having five arms
00000011 10 n 01 note 0 000 | a brief written record shaped like a star
"""
INDEX = """\
  1 This software and database is being provided to you, the LICENSEE, by Princeton University
round_shape n 1 1 @ 1 0 00000001
saucer n 1 1 @ 1 0 00000002
container n 1 0 1 0 00000003
box n 1 1 @ 1 0 00000004
crate n 1 1 @ 1 0 00000005
tea_chest n 1 1 @ 1 0 00000006
bat n 1 0 1 0 00000007
coin n 2 0 2 0 00000008 00000009
sea_star n 1 0 1 0 00000010
note n 1 0 1 0 00000011
"""


def test_outlines_come_from_names_definitions_figures_and_parents(tmp_path: Path) -> None:
    (tmp_path / "data.noun").write_text(DATA)
    (tmp_path / "index.noun").write_text(INDEX)
    assert vendor.outlines(tmp_path) == {
        "round shape": ("circle", "gloss"),  # the figure itself
        "saucer": ("circle", "gloss"),  # a kind of round shape; its definition stops at "with"
        "box": ("square", "gloss"),  # "a (usually rectangular) container"
        "crate": ("square", "gloss"),  # "a rugged box"
        "tea chest": ("square", "parent:crate"),
        "coin": ("circle", "gloss"),  # the drawable sense, though not the commonest
        "sea star": ("star", "name"),
    }  # no container ("... that can be used to hold"), no bat ("... for hitting a ball"), no note (not drawable)
