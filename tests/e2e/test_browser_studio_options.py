"""The prompt box's advanced options in a real browser (headless Debian Chromium) on the whole
platform: negative prompt, seed with a lock, magic prompt, palette, aspect ratio and number of
images reach the generation, are remembered per user (and never shown to the next person on the
same browser), and the image panel's "Use …" buttons carry another user's public recipe into them —
only the fields the API shows that viewer. The options are kept by the API per account
(tests/integration/gateway/test_studio_options.py), never in the browser's storage."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browser import GENERATION_TIMEOUT_MS, PASSWORD, new_finals, new_page, shot, sign_up_here
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e

OCEAN = ["#0f4c81", "#3fa7d6", "#e0fbfc"]
FOREST = ["#2d6a4f", "#95d5b2", "#6b4423"]


def _get(page: Page, path: str) -> dict:
    return page.evaluate("path => fetch(path).then(r => r.json())", path)


def _palette(page: Page) -> list[str]:
    return page.locator("#palette-chosen .palette-chip").evaluate_all("chips => chips.map(c => c.dataset.colour)")


def _generate(page: Page, prompt: str, images: int) -> dict:
    page.get_by_label("Prompt", exact=True).fill(prompt)
    finals = new_finals(page)
    page.get_by_role("button", name="Generate").click()
    expect(finals).to_have_count(images, timeout=GENERATION_TIMEOUT_MS)
    return _get(page, "/api/v1/generations?limit=1")["items"][0]


def _log_in(page: Page, username: str) -> None:
    page.get_by_role("tab", name="Log in").click()
    page.get_by_label("Username", exact=True).fill(username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.locator("#auth-submit").click()
    expect(page.locator("#account-name")).to_have_text(username)


def test_advanced_options_reach_the_generation_and_are_remembered_per_user(platform, browser, tmp_path: Path) -> None:
    page = new_page(browser)
    page.goto(platform.url)
    username = sign_up_here(page, "opts")

    page.get_by_text("Advanced options").click()
    page.get_by_label("Seed", exact=True).fill("12x")
    page.get_by_label("Prompt", exact=True).fill("a red circle")
    page.get_by_role("button", name="Generate").click()
    expect(page.locator("#generate-error")).to_have_text(
        "Seed: a whole number from 0 to 4294967295, or empty for a random one."
    )
    assert _get(page, "/api/v1/generations?limit=1")["items"] == []  # nothing was sent

    page.get_by_label("Negative prompt").fill("blurry, text")
    page.get_by_label("Seed", exact=True).fill("1234")
    page.get_by_role("button", name="Lock seed").click()
    page.get_by_label("Expand my prompt with details").check()
    page.get_by_role("button", name="Ocean").click()
    page.locator("#aspect-ratio").select_option("16:9")
    page.locator("#num-images").select_option("2")
    shot(page, tmp_path, "studio_options_drawer", full_page=True)

    generation = _generate(page, "a red circle", 2)
    params = generation["params"]
    assert params["negative_prompt"] == "blurry, text"
    assert params["seed"] == 1234
    assert params["magic_prompt"] is True
    assert params["color_palette"] == OCEAN
    assert (params["num_images"], params["aspect_ratio"]) == (2, "16:9")
    assert generation["magic_prompt"], "magic prompt on, yet nothing was expanded"
    expect(page.locator("#current-magic")).to_have_text(f"Magic prompt: {generation['magic_prompt']}")
    expect(page.locator("#seed")).to_have_value("1234")  # locked: kept for the next one
    shot(page, tmp_path, "studio_options_magic", full_page=True)

    # Kept by the API for this account, not on the device: a shared browser holds none of it.
    assert page.evaluate("[localStorage.length, sessionStorage.length]") == [0, 0]
    page.reload()
    expect(page.locator("#advanced")).to_have_attribute("open", "")
    expect(page.locator("#negative-prompt")).to_have_value("blurry, text")
    expect(page.locator("#seed")).to_have_value("1234")
    expect(page.locator("#seed-lock")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#magic-prompt")).to_be_checked()
    assert _palette(page) == OCEAN
    expect(page.locator("#aspect-ratio")).to_have_value("16:9")
    expect(page.locator("#num-images")).to_have_value("2")

    # The next person on this browser starts from the defaults, not from the last one's options.
    page.get_by_role("button", name="Log out").click()
    sign_up_here(page, "opts_next")
    expect(page.locator("#negative-prompt")).to_have_value("")
    expect(page.locator("#seed")).to_have_value("")
    expect(page.locator("#seed-lock")).to_have_attribute("aria-pressed", "false")
    expect(page.locator("#magic-prompt")).not_to_be_checked()
    assert _palette(page) == []
    expect(page.locator("#num-images")).to_have_value("4")

    page.get_by_role("button", name="Log out").click()
    _log_in(page, username)
    expect(page.locator("#negative-prompt")).to_have_value("blurry, text")
    assert _palette(page) == OCEAN


def test_use_buttons_carry_another_users_public_recipe_into_the_prompt_box(platform, browser, tmp_path: Path) -> None:
    owner = new_page(browser)
    owner.goto(platform.url)
    sign_up_here(owner, "recipe")
    owner.get_by_text("Advanced options").click()
    owner.get_by_label("Negative prompt").fill("fuzzy edges")
    owner.get_by_label("Expand my prompt with details").check()
    owner.get_by_role("button", name="Forest").click()
    owner.locator("#num-images").select_option("1")
    image_id = _generate(owner, "a green square", 1)["images"][0]["image_id"]

    viewer = new_page(browser)
    viewer.goto(platform.url)
    sign_up_here(viewer, "borrower")
    seen = _get(viewer, f"/api/v1/images/{image_id}")
    assert seen["owned_by_you"] is False
    assert seen.get("generation_id") is None and seen.get("seed") is None  # the owner's fields stay the owner's
    recipe = seen["recipe"]

    viewer.goto(f"{platform.url}/i/{image_id}")
    viewer.locator(".shared-open").click()
    expect(viewer.locator("#detail")).to_be_visible()
    for name in ["Use prompt", "Use magic prompt", "Use negative prompt", "Use palette", "Use seed"]:
        expect(viewer.get_by_role("button", name=name, exact=True)).to_be_visible()
    expect(viewer.locator("#detail-retry")).to_be_hidden()
    expect(viewer.locator("#detail-visibility-box")).to_be_hidden()
    shot(viewer, tmp_path, "studio_use_recipe_panel")

    viewer.get_by_role("button", name="Use seed").click()
    expect(viewer.locator("#detail-status")).to_have_text(f"Seed {recipe['seed']} locked for your next generations.")
    viewer.get_by_role("button", name="Use negative prompt").click()
    viewer.get_by_role("button", name="Use palette").click()
    viewer.get_by_role("button", name="Use magic prompt").click()  # closes the panel, opens the studio

    expect(viewer.locator("#studio")).to_be_visible()
    expect(viewer.get_by_label("Prompt", exact=True)).to_have_value(recipe["magic_prompt"])
    expect(viewer.locator("#seed")).to_have_value(str(recipe["seed"]))
    expect(viewer.locator("#seed-lock")).to_have_attribute("aria-pressed", "true")
    expect(viewer.locator("#negative-prompt")).to_have_value("fuzzy edges")
    assert _palette(viewer) == FOREST
    shot(viewer, tmp_path, "studio_use_recipe_studio", full_page=True)

    # Someone signed out has no prompt box to fill: no "Use …" at all.
    anonymous = new_page(browser)
    anonymous.goto(f"{platform.url}/i/{image_id}")
    anonymous.locator(".shared-open").click()
    expect(anonymous.locator("#detail")).to_be_visible()
    expect(anonymous.locator("#detail-use-recipe button")).to_have_count(0)
    expect(anonymous.locator("#detail-use-prompt")).to_be_hidden()


def test_what_the_person_changes_while_their_options_load_is_kept(platform, browser) -> None:
    """The saved options arrive after the page is usable; a drawer opened meanwhile stays open
    (the older saved "closed" does not snap it shut) and is what gets remembered."""
    page = new_page(browser)
    page.goto(platform.url)
    sign_up_here(page, "early")
    held = []

    def hold_the_saved_options(route) -> None:
        if route.request.method == "GET" and not held:
            held.append(route)
        else:
            route.continue_()

    page.route("**/api/v1/me/studio-options", hold_the_saved_options)
    try:
        page.reload()
        expect(page.locator("#account-name")).to_be_visible()
        wait_until(lambda: held or page.wait_for_timeout(50), what="the options request", timeout=10, interval=0)
        page.get_by_text("Advanced options").click()
        expect(page.locator("#negative-prompt")).to_be_visible()

        with page.expect_request(lambda request: request.method == "PUT" and "studio-options" in request.url):
            held.pop().continue_()
    finally:
        # A request left hanging would keep the browser from closing.
        page.unroute_all(behavior="ignoreErrors")
        for route in held:
            route.continue_()
    expect(page.locator("#negative-prompt")).to_be_visible()
    assert _get(page, "/api/v1/me/studio-options")["drawer_open"] is True
