"""Colour names people use, each mapped to the world colour it looks like, from published RGB values.

Sources: the xkcd colour survey's 949 names (imagemodel/data/xkcd_colours.tsv, CC0) and the CSS colour
keywords (`webcolors`) for names the survey lacks; where both name a colour the survey wins (it is
what people call the colour: CSS "azure" is nearly white, the survey's is a sky blue). Beyond them,
color-name-list's one-word names (imagemodel/data/color_name_list.tsv, MIT), read only where a prompt
uses the word as a colour. No name is written here by hand.

The world's palette is six hues plus white and black, so a name is placed in CIE L*C*h (from CIELAB,
D65): a near-grey (chroma below ACHROMATIC_CHROMA) is white when light, black when dark and nothing in
between; a very light, faint tint (ivory, cream) is white; any other colour takes the world hue
nearest its hue angle, whatever its lightness (navy is a blue, maroon a red, as people mean them).
A name whose hue lies within HUE_MARGIN degrees of equidistant between two world hues is decided by
how it looks against the world's rendered colours: it takes the one of the two whose rendered sRGB is
nearer in CIEDE2000 (Sharma, Wu and Dalal 2005), when nearer by DELTA_E_MARGIN; otherwise (pink,
between red and purple) it maps to nothing and stays unknown.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import webcolors

from imagemodel.world import PALETTE

SURVEY_FILE = Path(__file__).parent / "data" / "xkcd_colours.tsv"
NAME_LIST_FILE = Path(__file__).parent / "data" / "color_name_list.tsv"
ACHROMATIC_CHROMA = 12.0
WHITE_LEAST_LIGHTNESS = 65.0
BLACK_MOST_LIGHTNESS = 30.0
PALE_LEAST_LIGHTNESS = 92.0  # a tint this light and faint reads as white (ivory, cream)
PALE_MOST_CHROMA = 35.0
HUE_MARGIN = 8.0  # degrees: the nearest world hue must beat the runner-up by twice this
# Between two world hues, the nearer rendered colour in CIEDE2000 must be nearer by this much. Chosen on
# the reader-training and DEVELOPMENT colour words only: the smallest round margin that maps none of them
# wrongly (mauve: red 23.7, purple 27.2, a purple to the people who wrote those lists).
DELTA_E_MARGIN = 4.0
ACHROMATIC = ("white", "black")
# sRGB (D65) to CIE XYZ, and the D65 white point.
_TO_XYZ = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
_WHITE = np.array([0.95047, 1.0, 1.08883])


def lab(rgb: tuple[int, int, int]) -> tuple[float, float, float]:
    """CIELAB (D65) of an sRGB colour."""
    linear = np.asarray(rgb, dtype=float) / 255
    linear = np.where(linear > 0.04045, ((linear + 0.055) / 1.055) ** 2.4, linear / 12.92)
    xyz = _TO_XYZ @ linear / _WHITE
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return float(116 * f[1] - 16), float(500 * (f[0] - f[1])), float(200 * (f[1] - f[2]))


def lightness_chroma_hue(rgb: tuple[int, int, int]) -> tuple[float, float, float]:
    """CIE L*, C*ab and hue angle (degrees) of an sRGB colour."""
    lightness, a, b = lab(rgb)
    return lightness, float(np.hypot(a, b)), float(np.degrees(np.arctan2(b, a)) % 360)


_WORLD_HUES = {name: lightness_chroma_hue(rgb)[2] for name, rgb in PALETTE.items() if name not in ACHROMATIC}


def world_colour(rgb: tuple[int, int, int]) -> str | None:
    """The world colour an sRGB colour reads as, or None where it sits between two."""
    lightness, chroma, hue = lightness_chroma_hue(rgb)
    if chroma < ACHROMATIC_CHROMA:
        if lightness >= WHITE_LEAST_LIGHTNESS:
            return "white"
        return "black" if lightness <= BLACK_MOST_LIGHTNESS else None
    if lightness >= PALE_LEAST_LIGHTNESS and chroma < PALE_MOST_CHROMA:
        return "white"
    apart = sorted((min(abs(hue - h), 360 - abs(hue - h)), name) for name, h in _WORLD_HUES.items())
    (nearest, name), (runner_up, other) = apart[0], apart[1]
    if runner_up - nearest >= 2 * HUE_MARGIN:
        return name
    return _nearer_rendered(rgb, (name, other))


def _nearer_rendered(rgb: tuple[int, int, int], hues: tuple[str, str]) -> str | None:
    """Of the two world hues a colour lies between, the one whose rendered colour is nearer in CIEDE2000,
    where it is nearer by at least DELTA_E_MARGIN; else None (pink: red 33.5, purple 32.7)."""
    colour = lab(rgb)
    (nearest, name), (runner_up, _) = sorted((ciede2000(colour, lab(PALETTE[hue])), hue) for hue in hues)
    return name if runner_up - nearest >= DELTA_E_MARGIN else None


def _named_rgb(path: Path) -> dict[str, tuple[int, int, int]]:
    named = {}
    for line in path.read_text().splitlines():
        if line and not line.startswith("#"):
            name, hex_value = line.split("\t")
            named[name] = tuple(webcolors.hex_to_rgb(hex_value))
    return named


@functools.cache
def all_colour_names() -> dict[str, tuple[int, int, int]]:
    """Lower-case colour name (words separated by one space) -> its sRGB value."""
    named: dict[str, tuple[int, int, int]] = {
        name: tuple(webcolors.name_to_rgb(name)) for name in webcolors.names(webcolors.CSS3)
    }
    named |= _named_rgb(SURVEY_FILE)  # the survey wins where both name a colour
    return {" ".join(name.replace("-", " ").replace("'", "").split()): rgb for name, rgb in named.items()}


@functools.cache
def colour_names() -> dict[str, str]:
    """Lower-case colour name -> the world colour it reads as; names between two world colours are left out."""
    lexicon = {name: world_colour(rgb) for name, rgb in all_colour_names().items()}
    return {name: colour for name, colour in lexicon.items() if colour is not None} | {c: c for c in PALETTE}


@functools.cache
def listed_colour_names() -> dict[str, str]:
    """One-word names of color-name-list (imagemodel/data/color_name_list.tsv, 5,457 names: daffodil, soot,
    avocado) that neither the survey nor CSS has -> the world colour each reads as. Most are also
    ordinary words ("astronaut" and "star" are colours there), so a prompt's word is read through this
    list only where the prompt uses it as a colour (imagemodel/prompt_lexicon.py)."""
    known = all_colour_names()
    read = {name: world_colour(rgb) for name, rgb in _named_rgb(NAME_LIST_FILE).items() if name not in known}
    return {name: colour for name, colour in read.items() if colour is not None}


def ciede2000(first: tuple[float, float, float], second: tuple[float, float, float]) -> float:
    """CIEDE2000 colour difference of two CIELAB colours (Sharma, Wu and Dalal 2005), kL = kC = kH = 1."""
    (l1, a1, b1), (l2, a2, b2) = first, second
    mean_c = (np.hypot(a1, b1) + np.hypot(a2, b2)) / 2
    g = 0.5 * (1 - np.sqrt(mean_c**7 / (mean_c**7 + 25**7)))
    a1, a2 = a1 * (1 + g), a2 * (1 + g)
    c1, c2 = np.hypot(a1, b1), np.hypot(a2, b2)
    h1 = np.degrees(np.arctan2(b1, a1)) % 360 if c1 else 0.0
    h2 = np.degrees(np.arctan2(b2, a2)) % 360 if c2 else 0.0
    dl, dc = l2 - l1, c2 - c1
    dh = 0.0
    if c1 * c2:
        dh = h2 - h1 if abs(h2 - h1) <= 180 else h2 - h1 - 360 if h2 > h1 else h2 - h1 + 360
    big_dh = 2 * np.sqrt(c1 * c2) * np.sin(np.radians(dh / 2))
    mean_l, mean_c = (l1 + l2) / 2, (c1 + c2) / 2
    mean_h = h1 + h2
    if c1 * c2:
        mean_h = (h1 + h2) / 2 if abs(h1 - h2) <= 180 else (h1 + h2 + 360) / 2 if h1 + h2 < 360 else (h1 + h2 - 360) / 2
    t = (
        1
        - 0.17 * np.cos(np.radians(mean_h - 30))
        + 0.24 * np.cos(np.radians(2 * mean_h))
        + 0.32 * np.cos(np.radians(3 * mean_h + 6))
        - 0.20 * np.cos(np.radians(4 * mean_h - 63))
    )
    s_l = 1 + 0.015 * (mean_l - 50) ** 2 / np.sqrt(20 + (mean_l - 50) ** 2)
    s_c = 1 + 0.045 * mean_c
    s_h = 1 + 0.015 * mean_c * t
    r_t = -2 * np.sqrt(mean_c**7 / (mean_c**7 + 25**7)) * np.sin(np.radians(60 * np.exp(-(((mean_h - 275) / 25) ** 2))))
    return float(np.sqrt((dl / s_l) ** 2 + (dc / s_c) ** 2 + (big_dh / s_h) ** 2 + r_t * (dc / s_c) * (big_dh / s_h)))
