"""Writes imagemodel/data/color_name_list.tsv from the npm package color-name-list's CSV.

    npm pack color-name-list@14.51.0 && tar xzf color-name-list-14.51.0.tgz
    python -m imagemodel.vendor_colour_names package/dist/colornames.csv

Only one-word names are kept: a prompt's colour word is read through this list only where the prompt
uses it as a colour (imagemodel/prompt_lexicon.py), and multi-word names ending in a world colour are
read by rule already.
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

VERSION = "14.51.0"
OUT = Path(__file__).parent / "data" / "color_name_list.tsv"
HEADER = f"""# color-name-list {VERSION} (David Aerne and contributors): its one-word names, lower case.
# Source: https://github.com/meodai/color-names (npm color-name-list, dist/colornames.csv).
# Licence: MIT (Copyright (c) 2017 David Aerne). Format: name<TAB>#rrggbb. Written by
# imagemodel/vendor_colour_names.py.
"""


def one_word_names(csv_path: Path) -> dict[str, str]:
    names: dict[str, str] = {}
    with csv_path.open(newline="") as rows:
        for row in csv.DictReader(rows):
            name = row["name"].strip().lower()
            if re.fullmatch(r"[a-z]+", name):
                names.setdefault(name, row["hex"].lower())
    return names


def main() -> None:
    names = one_word_names(Path(sys.argv[1]))
    OUT.write_text(HEADER + "".join(f"{name}\t{hex_value}\n" for name, hex_value in sorted(names.items())))
    sys.stdout.write(f"{len(names)} names -> {OUT}\n")


if __name__ == "__main__":
    main()
