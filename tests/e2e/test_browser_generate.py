"""A person in a real browser (headless Debian Chromium) signs up, types a prompt, clicks Generate,
watches the previews develop and gets four images; the generation then shows in their history."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
# From ../shared/INFRA.md "Browsers for UI tests"; Playwright's own browser download cannot work here.
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--no-first-run"]
PASSWORD = "correct horse 1"
GENERATION_TIMEOUT_MS = 120_000

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


def _sign_up(page: Page, username: str) -> None:
    page.get_by_role("tab", name="Sign up").click()
    page.get_by_label("Username", exact=True).fill(username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_label("Prompt", exact=True)).to_be_visible()
    expect(page.locator("#account-name")).to_have_text(username)


def test_a_new_user_generates_four_images_in_the_browser(platform, tmp_path: Path) -> None:
    assert CHROMIUM.exists(), "Debian's Chromium is missing: apt-get install -y chromium"
    username = f"e2e_{uuid.uuid4().hex[:8]}"
    prompt = "a red circle on a blue background"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.add_init_script(WATCH_PROGRESS)
            page.goto(platform.url)

            _sign_up(page, username)
            page.get_by_label("Prompt", exact=True).fill(prompt)
            page.get_by_role("button", name="Generate").click()

            finals = page.locator("#tiles img.final")
            expect(finals).to_have_count(4, timeout=GENERATION_TIMEOUT_MS)
            expect(page.locator("#current-prompt")).to_have_text(prompt)
            expect(page.locator("#current-status")).to_have_text("Done · 4 images")
            # page.evaluate runs outside the page's Content-Security-Policy; wait_for_function would not.
            expect(finals.first).to_be_visible()
            for _ in range(100):
                if page.evaluate("[...document.querySelectorAll('#tiles img.final')]"
                                 ".every(img => img.complete && img.naturalWidth > 0)"):
                    break
                page.wait_for_timeout(100)
            else:
                raise AssertionError("the four final images never finished loading")
            seen = page.evaluate("window.__seen")
            assert seen["previews"] >= 1, f"no live preview was shown: {seen}"
            assert seen["partialProgress"], f"the progress bar never showed partial progress: {seen}"

            history = page.locator("#history .history-card")
            expect(history).to_have_count(1)
            expect(history.first).to_contain_text(prompt)
            expect(history.first.locator("img")).to_have_count(4)
            page.screenshot(path=str(tmp_path / "browser_generate.png"), full_page=True)
        finally:
            browser.close()
