"""Light and dark themes in a real browser (headless Debian Chromium) on the whole platform: the page
follows the system's `prefers-color-scheme` (emulated here), its background differs between the
two, and body text keeps a contrast of at least 4.5:1 (WCAG AA) against what it is drawn on."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.browser import VIEWPORT, shot, sign_up_here

pytestmark = pytest.mark.e2e

# Body text of the studio and the header: headings, labels, hints, links, notes.
BODY_TEXT = [
    "#prompt",
    "#history-title",
    "#history-empty",
    "#prompt-count",
    "#advanced-toggle",
    "#visibility-note",
    "#account-name",
    "#account-credits",
    "#nav-feed",
    "label[for=negative-prompt]",
    "#seed-hint",
]
# And the plan page's: its heading, figures and the table of what each plan unlocks.
PLAN_TEXT = ["#plan-title", "#plan-credits", "#plans-body th", "#plans-body td.no", "#plans-body td.yes"]

# For each element: its text colour and the background colours from <html> down to it.
COLOURS = """selectors => selectors.map(selector => {
  const element = document.querySelector(selector);
  const chain = [];
  for (let e = element; e; e = e.parentElement) chain.unshift(getComputedStyle(e).backgroundColor);
  return { selector, text: getComputedStyle(element).color, backgrounds: chain };
})"""

Rgba = tuple[float, float, float, float]


def _rgba(css: str) -> Rgba:
    parts = [float(p) for p in re.findall(r"[\d.]+", css)]
    return (parts[0], parts[1], parts[2], parts[3] if len(parts) > 3 else 1.0)


def _over(top: Rgba, below: Rgba) -> Rgba:
    r, g, b, a = top
    return (r * a + below[0] * (1 - a), g * a + below[1] * (1 - a), b * a + below[2] * (1 - a), 1.0)


def _luminance(colour: Rgba) -> float:
    def channel(value: float) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b, _ = colour
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def _contrast(a: Rgba, b: Rgba) -> float:
    light, dark = sorted([_luminance(a), _luminance(b)], reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _page_background(page: Page) -> Rgba:
    return _rgba(page.evaluate("getComputedStyle(document.body).backgroundColor"))


def _signed_in_studio(browser: Browser, url: str, scheme: str) -> Page:
    page = browser.new_context(viewport=VIEWPORT, color_scheme=scheme).new_page()
    page.goto(url)
    sign_up_here(page, scheme)
    page.get_by_text("Advanced options").click()
    expect(page.locator("#seed-hint")).to_be_visible()
    return page


def _low_contrast(page: Page, selectors: list[str]) -> list[str]:
    low = []
    for item in page.evaluate(COLOURS, selectors):
        background: Rgba = (255.0, 255.0, 255.0, 1.0)  # the canvas under everything
        for layer in item["backgrounds"]:
            background = _over(_rgba(layer), background)
        text = _over(_rgba(item["text"]), background)
        ratio = _contrast(text, background)
        if ratio < 4.5:
            low.append(f"{item['selector']}: {ratio:.2f}:1 ({item['text']} on {background})")
    return low


def test_the_page_follows_the_systems_light_or_dark_preference(platform, browser, tmp_path: Path) -> None:
    dark = _signed_in_studio(browser, platform.url, "dark")
    light = _signed_in_studio(browser, platform.url, "light")
    shot(dark, tmp_path, "theme_dark", full_page=True)
    shot(light, tmp_path, "theme_light", full_page=True)

    dark_background, light_background = _page_background(dark), _page_background(light)
    assert dark_background != light_background, "the same background whatever the system prefers"
    assert _luminance(light_background) > 0.8 > 0.05 > _luminance(dark_background)

    for page, scheme in [(dark, "dark"), (light, "light")]:
        low = _low_contrast(page, BODY_TEXT)
        assert not low, f"{scheme} theme: body text under 4.5:1: {low}"
        page.get_by_role("link", name="Plan", exact=True).click()
        expect(page.locator("#plans-body td.yes").first).to_be_visible()
        low = _low_contrast(page, PLAN_TEXT)
        assert not low, f"{scheme} theme, plan page: body text under 4.5:1: {low}"
