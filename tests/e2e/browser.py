"""What every browser test does the same way: Debian's Chromium, a fresh account, screenshots."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

from playwright.sync_api import Browser, Locator, Page, expect

CHROMIUM = Path("/usr/bin/chromium")
# From ../shared/INFRA.md "Browsers for UI tests"; Playwright's own browser download cannot work here.
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
PASSWORD = "correct horse 1"
GENERATION_TIMEOUT_MS = 120_000
VIEWPORT = {"width": 1280, "height": 900}
# page.evaluate(POST_AS_ME, [path, body]): a JSON POST as the page's signed-in person (session
# cookie and CSRF header, as the page's own api.js sends them): {status, body}.
POST_AS_ME = """async ([path, body]) => {
  const csrf = (document.cookie.split('; ').find((c) => c.startsWith('atelier_csrf=')) || '').slice(13);
  const response = await fetch(path, {
    method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
    body: JSON.stringify(body), credentials: 'same-origin',
  });
  return { status: response.status, body: await response.json() };
}"""


def new_page(browser: Browser) -> Page:
    """A page in a context of its own: its own cookies, so its own signed-in person."""
    return browser.new_context(viewport=VIEWPORT).new_page()


def sign_up_here(page: Page, prefix: str) -> str:
    """Signs a new person up on the auth view now on screen; their username."""
    username = f"{prefix}_{uuid.uuid4().hex[:8]}"
    page.get_by_role("tab", name="Sign up").click()
    page.get_by_label("Username", exact=True).fill(username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("#account-name")).to_have_text(username)
    return username


def shot(page: Page, tmp_path: Path, name: str, full_page: bool = False) -> None:
    """A screenshot in the test's tmp dir, and in $ATELIER_E2E_SCREENSHOTS when set."""
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    extra = os.environ.get("ATELIER_E2E_SCREENSHOTS")
    if extra:
        Path(extra).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(extra) / path.name)


def new_finals(page: Page) -> Locator:
    """The final images of the generation about to start: those on screen now are marked, since the
    studio shows them until the new generation's tiles replace them (a count alone would pass on the
    previous generation's finals)."""
    page.evaluate("document.querySelectorAll('#tiles img.final').forEach(img => { img.dataset.earlier = 'yes'; })")
    return page.locator("#tiles img.final:not([data-earlier])")


def generate_images(page: Page, prompt: str, images: int) -> None:
    """Types the prompt, picks the number of images, clicks Generate and waits for the finals."""
    page.get_by_label("Prompt", exact=True).fill(prompt)
    page.locator("#num-images").select_option(str(images))
    finals = new_finals(page)
    page.get_by_role("button", name="Generate").click()
    expect(finals).to_have_count(images, timeout=GENERATION_TIMEOUT_MS)


def generate_in_studio(page: Page, prompt: str) -> Locator:
    """Types the prompt, clicks Generate and waits until the four final images have loaded."""
    page.get_by_label("Prompt", exact=True).fill(prompt)
    finals = new_finals(page)
    page.get_by_role("button", name="Generate").click()
    expect(finals).to_have_count(4, timeout=GENERATION_TIMEOUT_MS)
    # page.evaluate runs outside the page's Content-Security-Policy; wait_for_function would not.
    for _ in range(100):
        if page.evaluate(
            "[...document.querySelectorAll('#tiles img.final')].every(img => img.complete && img.naturalWidth > 0)"
        ):
            return finals
        page.wait_for_timeout(100)
    raise AssertionError("the four final images never finished loading")


def paint_stroke(page: Page, target: Locator, start: tuple[float, float], end: tuple[float, float]) -> None:
    """A mouse stroke over the target from start to end (fractions of its box), as a person paints a mask."""
    box = target.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] * start[0], box["y"] + box["height"] * start[1])
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * end[0], box["y"] + box["height"] * end[1], steps=8)
    page.mouse.up()
