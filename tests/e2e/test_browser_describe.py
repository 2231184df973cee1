"""Describe in a real browser (headless Debian Chromium) on the whole platform: the owner's image
panel has "Describe" (on the free plan); its suggestions are listed, best first, each with "Use this
prompt", which fills the studio's prompt box."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from imagemodel.captions import parse
from tests.e2e.browser import GENERATION_TIMEOUT_MS, new_page, shot, sign_up_here

pytestmark = pytest.mark.e2e


def test_describe_lists_prompts_that_fill_the_prompt_box(platform, browser, tmp_path) -> None:
    page = new_page(browser)
    page.goto(platform.url)
    sign_up_here(page, "describer")
    # A circle: the platform's procedural stand-in tilts shapes, which the describer reads less surely
    # for triangles (describer/MODEL_CARD.md, Limits). A fixed seed: the describer misreads a few percent
    # of the stand-in's circles (tests/model measures the rate); this test is about the panel.
    page.get_by_label("Prompt", exact=True).fill("a large green circle in the centre on a black background")
    page.locator("#advanced-toggle").click()
    page.get_by_label("Seed", exact=True).fill("1")
    page.locator("#num-images").select_option("1")
    page.get_by_role("button", name="Generate").click()
    expect(page.locator("#tiles img.final")).to_have_count(1, timeout=GENERATION_TIMEOUT_MS)

    page.locator("#tiles .tile-open").first.click()
    describe = page.locator("#detail-describe")
    expect(describe).to_be_enabled()
    describe.click()

    suggestions = page.locator("#detail-suggestions .suggestion-text")
    expect(suggestions.first).to_be_visible(timeout=GENERATION_TIMEOUT_MS)
    expect(page.locator("#detail-describe-status")).to_have_text("Prompts that would draw this image, best first:")
    texts = suggestions.all_inner_texts()
    assert 1 <= len(texts) <= 4, texts
    first = parse(texts[0])
    assert (first.objects[0].shape, first.objects[0].colour, first.background) == ("circle", "green", "black"), texts
    expect(page.get_by_role("button", name="Use this prompt")).to_have_count(len(texts))
    shot(page, tmp_path, "describe_suggestions")

    page.get_by_role("button", name="Use this prompt").first.click()
    expect(page.locator("#detail")).not_to_be_visible()
    expect(page.get_by_label("Prompt", exact=True)).to_have_value(texts[0])
    # The description made no image: the studio's history keeps only the generation.
    expect(page.locator("#history .history-card")).to_have_count(1)
