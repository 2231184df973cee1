"""Phone, tablet and desktop in a real browser (headless Debian Chromium) on the whole platform: a
signed-in person opens each page and an image panel at 390, 768 and 1366 px; nothing lays out
wider than the window, and every control (header links, Generate, the panel's buttons and close)
is inside the window and takes a click. Screenshots of each go to the test's tmp dir (and to
$ATELIER_E2E_SCREENSHOTS when set)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page, expect

from tests.e2e.browser import GENERATION_TIMEOUT_MS, new_page, shot, sign_up_here

pytestmark = pytest.mark.e2e

WIDTHS = {390: 844, 768: 1024, 1366: 900}

# (name, address, the view's selector, controls of the page besides the header): a new page is one line.
PAGES = [
    ("studio", "/#/create", "#studio", "#generate, #advanced-toggle"),
    ("creations", "/#/creations", "#creations-view", "#selection-bar button:visible, #creations-view [role=tab]"),
    ("feed", "/#/feed", "#feed-view", "#feed-view [role=tab], #feed-search button"),
    ("plan", "/#/plan", "#plan-view", ""),
    ("account", "/#/account", "#account-view", "#account-view button:visible, #account-view input:visible"),
    ("pricing", "/pricing", "#pricing-view", "#pricing-view button:visible, #pricing-view a.button:visible"),
    ("billing", "/billing", "#billing-view", "#billing-view a.button:visible"),
]
HEADER_CONTROLS = ".topbar a:visible, .topbar button:visible"
ADVANCED_CONTROLS = "#advanced button:visible, #advanced input:visible, #advanced textarea"
PANEL_CONTROLS = "#detail button:visible, #detail a.button:visible"


def _overflow(page: Page) -> str | None:
    return page.evaluate(
        """() => {
          const width = document.documentElement.scrollWidth;
          if (width <= innerWidth) return null;
          const wide = [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > innerWidth + 1)
            .slice(0, 5).map(e => `${e.tagName.toLowerCase()}#${e.id}.${e.className}`);
          return `lays out ${width}px wide in a ${innerWidth}px window: ${wide.join(', ')}`;
        }"""
    )


def _unreachable(page: Page, controls: Locator) -> list[str]:
    """The controls that are not wholly inside the window once scrolled to, or that another element covers.

    Three browser round trips a control (~430 controls in the test): the trial click scrolls the
    control into view itself, and a control's name is looked up only when it has a problem."""
    width = page.evaluate("innerWidth")
    problems = []
    for i in range(controls.count()):
        control = controls.nth(i)
        try:
            # The actionability checks of a click (or, for a control the plan disables, of a hover:
            # visible, steady, not covered by anything), without the click; either scrolls it into view.
            if control.is_enabled():
                control.click(trial=True, timeout=3000)
            else:
                control.hover(trial=True, timeout=3000)
        except PlaywrightError as error:
            problems.append(f"{_name(control)} does not take a click: {str(error).splitlines()[0]}")
            continue
        box = control.bounding_box()
        if box is None or box["x"] < 0 or box["x"] + box["width"] > width + 0.5:
            problems.append(f"{_name(control)} is outside the window: {box}")
    return problems


def _name(control: Locator) -> str:
    return control.evaluate("e => e.id || e.textContent.trim().slice(0, 30)")


def _check(page: Page, what: str, controls: str) -> None:
    overflow = _overflow(page)
    assert overflow is None, f"{what}: {overflow}"
    problems = _unreachable(page, page.locator(controls))
    assert not problems, f"{what}: {problems}"


def test_every_page_and_the_image_panel_fit_phone_tablet_and_desktop(platform, browser, tmp_path: Path) -> None:
    page = new_page(browser)
    page.goto(platform.url)
    sign_up_here(page, "responsive")
    page.locator("#num-images").select_option("2")
    page.get_by_label("Prompt", exact=True).fill("a red circle on a blue background")
    page.get_by_role("button", name="Generate").click()
    expect(page.locator("#tiles img.final")).to_have_count(2, timeout=GENERATION_TIMEOUT_MS)

    for width, height in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        for name, address, view, controls in PAGES:
            page.goto(f"{platform.url}{address}")
            expect(page.locator(view)).to_be_visible()
            expect(page.locator("#account-name")).to_be_visible()
            shot(page, tmp_path, f"responsive_{width}_{name}")
            _check(page, f"{name} at {width}px", ", ".join(filter(None, [HEADER_CONTROLS, controls])))

        page.goto(f"{platform.url}/#/create")
        # The drawer shows as the person left it once their saved options arrive: wait for them, so
        # that the click below opens the drawer rather than racing the saved state.
        page.wait_for_load_state("networkidle")
        if page.locator("#advanced[open]").count() == 0:
            page.locator("#advanced-toggle").click()
        expect(page.locator("#negative-prompt")).to_be_visible()
        shot(page, tmp_path, f"responsive_{width}_advanced", full_page=True)
        _check(page, f"the advanced options at {width}px", ADVANCED_CONTROLS)

        page.goto(f"{platform.url}/#/creations")
        page.locator("#creations-grid .creation-open").first.click()
        expect(page.locator("#detail")).to_be_visible()
        expect(page.locator("#detail-close")).to_be_in_viewport()
        shot(page, tmp_path, f"responsive_{width}_panel")
        _check(page, f"the image panel at {width}px", PANEL_CONTROLS)
        page.locator("#detail-close").click()
        expect(page.locator("#detail")).to_be_hidden()
