"""A person in a real browser (headless Debian Chromium) signs up, types a prompt, clicks Generate,
watches the previews develop and gets four images; the generation then shows in their history."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import generate_in_studio, new_page, shot, sign_up_here

pytestmark = pytest.mark.e2e

# Installed before the page's own script: remembers whether a live preview or an intermediate
# progress value was ever on screen, however quickly the final images replace them.
WATCH_PROGRESS = """
window.__seen = { previews: 0, partialProgress: false };
new MutationObserver(() => {
  const previews = document.querySelectorAll('#tiles img.preview').length;
  window.__seen.previews = Math.max(window.__seen.previews, previews);
  const bar = document.getElementById('progress');
  const value = bar ? Number(bar.getAttribute('aria-valuenow')) : 0;
  if (value > 0 && value < 100) window.__seen.partialProgress = true;
}).observe(document, { subtree: true, childList: true, attributes: true });
"""


def test_a_new_user_generates_four_images_in_the_browser(platform, browser, tmp_path: Path) -> None:
    prompt = "a red circle on a blue background"
    page = new_page(browser)
    page.add_init_script(WATCH_PROGRESS)
    page.goto(platform.url)
    sign_up_here(page, "e2e")

    finals = generate_in_studio(page, prompt)

    expect(page.locator("#current-prompt")).to_have_text(prompt)
    expect(page.locator("#current-status")).to_have_text("Done · 4 images")
    assert finals.count() == 4
    seen = page.evaluate("window.__seen")
    assert seen["previews"] >= 1, f"no live preview was shown: {seen}"
    assert seen["partialProgress"], f"the progress bar never showed partial progress: {seen}"

    history = page.locator("#history .history-card")
    expect(history).to_have_count(1)
    expect(history.first).to_contain_text(prompt)
    expect(history.first.locator("img")).to_have_count(4)
    shot(page, tmp_path, "browser_generate", full_page=True)
