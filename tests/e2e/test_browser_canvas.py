"""Magic fill in a real browser (headless Debian Chromium) on the whole platform: the owner paints
a mask over the image with the brush, types a prompt and fills; the studio follows the job to the
filled image, whose panel names its source. Extend offers its four directions."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import GENERATION_TIMEOUT_MS, new_finals, new_page, paint_stroke, shot, sign_up_here

pytestmark = pytest.mark.e2e


def test_the_owner_paints_a_mask_and_fills_it_with_a_prompt(platform, browser, tmp_path) -> None:
    page = new_page(browser)
    page.goto(platform.url)
    sign_up_here(page, "painter")
    page.get_by_label("Prompt", exact=True).fill("a red circle on a white background")
    page.locator("#num-images").select_option("1")
    page.get_by_role("button", name="Generate").click()
    expect(page.locator("#tiles img.final")).to_have_count(1, timeout=GENERATION_TIMEOUT_MS)
    page.locator("#tiles .tile-open").first.click()

    page.locator("#detail-extend").click()
    expect(page.locator("[data-extend-direction]")).to_have_count(4)
    expect(page.locator("#canvas-extend-submit")).to_be_enabled()

    page.locator("#detail-fill").click()
    mask = page.locator("#canvas-mask")
    expect(mask).to_be_visible()
    expect(mask).to_have_attribute("width", "512")
    fill = page.locator("#canvas-fill-submit")
    expect(fill).to_be_disabled()  # nothing painted yet
    paint_stroke(page, mask, (0.35, 0.5), (0.65, 0.5))
    expect(fill).to_be_enabled()
    page.locator("#canvas-clear").click()
    expect(fill).to_be_disabled()
    paint_stroke(page, mask, (0.35, 0.5), (0.65, 0.5))
    page.get_by_label("What goes in the painted region").fill("a blue square")
    shot(page, tmp_path, "canvas_mask_painted")
    filled = new_finals(page)
    fill.click()

    # The studio follows the job like a generation and shows the filled image.
    expect(filled).to_have_count(1, timeout=GENERATION_TIMEOUT_MS)
    page.locator("#tiles .tile-open").first.click()
    expect(page.locator("#detail-prompt")).to_have_text("a blue square", timeout=GENERATION_TIMEOUT_MS)
    expect(page.locator("#detail-lineage")).to_contain_text("Filled from")
    expect(page.locator("#detail-lineage-open")).to_be_visible()
    shot(page, tmp_path, "canvas_fill_result")
