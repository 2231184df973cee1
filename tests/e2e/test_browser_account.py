"""The Account page in a real browser (headless Debian Chromium) on the whole platform: API keys
(listed with name, scopes, created and last used; created with scopes, the secret shown once with a
Copy button; revoked), the sign-up key's Copy button, password change, the sessions list with
"Sign out" and "Sign out everywhere". Each key and session is checked against the API at once:
revoked or ended means refused on the very next request."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.browser import PASSWORD, VIEWPORT, shot, sign_up_here

pytestmark = pytest.mark.e2e

NEW_PASSWORD = "a brand new password 3"


def _context(browser: Browser, url: str) -> BrowserContext:
    context = browser.new_context(viewport=VIEWPORT)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url)
    return context


def _signed_up(browser: Browser, url: str, prefix: str) -> tuple[Page, str]:
    page = _context(browser, url).new_page()
    page.goto(url)
    return page, sign_up_here(page, prefix)


def _log_in(browser: Browser, url: str, username: str, password: str = PASSWORD) -> Page:
    page = _context(browser, url).new_page()
    page.goto(url)
    page.get_by_label("Username", exact=True).fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.locator("#auth-submit").click()
    expect(page.locator("#account-name")).to_have_text(username)
    return page


def _open_account_page(page: Page) -> None:
    page.get_by_role("link", name="Account", exact=True).click()
    expect(page.get_by_role("heading", name="Account", exact=True)).to_be_visible()


def _clipboard(page: Page) -> str:
    return page.evaluate("navigator.clipboard.readText()")


def _status_with_key(url: str, key: str, method: str, path: str, **kwargs: object) -> int:
    response = httpx.request(method, f"{url}{path}", headers={"Authorization": f"Bearer {key}"}, timeout=30, **kwargs)
    return response.status_code


def test_the_sign_up_key_is_shown_once_with_a_copy_button(platform, browser: Browser, tmp_path: Path) -> None:
    page, _ = _signed_up(browser, platform.url, "copier")
    notice = page.locator("#api-key-notice")
    expect(notice).to_be_visible()
    key = page.locator("#api-key-value").inner_text()
    assert key.startswith("atl_")
    page.locator("#api-key-copy").click()
    expect(page.locator("#api-key-copy")).to_have_text("Copied")
    assert _clipboard(page) == key
    shot(page, tmp_path, "account_signup_key_copy")
    page.get_by_role("button", name="Got it").click()
    expect(notice).to_be_hidden()
    assert _status_with_key(platform.url, key, "GET", "/api/v1/me") == 200


def test_api_keys_are_listed_created_with_scopes_copied_and_revoked(platform, browser: Browser, tmp_path: Path) -> None:
    page, _ = _signed_up(browser, platform.url, "keys")
    _open_account_page(page)
    rows = page.locator("#keys-body tr")
    expect(rows).to_have_count(1)
    expect(rows.first.locator("th")).to_have_text("default")
    expect(rows.first.locator(".scope-chip")).to_have_text(["Read", "Generate", "Manage"])

    page.get_by_label("Key name").fill("dashboard")
    page.get_by_label("Generate").uncheck()
    page.get_by_role("button", name="Create key").click()
    created = page.locator("#key-created-value")
    expect(created).to_have_text(re.compile(r"^atl_"))
    key = created.inner_text()
    page.locator("#key-copy").click()
    expect(page.locator("#key-copy")).to_have_text("Copied")
    assert _clipboard(page) == key
    expect(rows).to_have_count(2)
    dashboard = page.locator("#keys-body tr", has=page.locator("th", has_text="dashboard"))
    expect(dashboard.locator(".scope-chip")).to_have_text(["Read"])
    expect(dashboard.locator("td").nth(3)).to_have_text("Never")  # last used
    shot(page, tmp_path, "account_keys_created", full_page=True)

    # The gateway enforces the scopes the page chose: this key reads, and cannot generate.
    assert _status_with_key(platform.url, key, "GET", "/api/v1/me") == 200
    assert _status_with_key(platform.url, key, "POST", "/api/v1/generations", json={"prompt": "a red circle"}) == 403
    page.get_by_role("button", name="Done").click()
    expect(page.locator("#key-created")).to_be_hidden()
    page.reload()
    expect(dashboard.locator("td").nth(3)).not_to_have_text("Never")  # it has been used now

    revoke = dashboard.get_by_role("button", name="Revoke key dashboard")
    revoke.click()
    expect(revoke).to_have_text("Revoke for good?")
    revoke.click()
    expect(rows).to_have_count(1)
    assert _status_with_key(platform.url, key, "GET", "/api/v1/me") == 401  # at once


def test_the_account_page_shows_only_my_own_keys(platform, browser: Browser) -> None:
    alice, _ = _signed_up(browser, platform.url, "alice")
    _open_account_page(alice)
    alice.get_by_label("Key name").fill("alices-private-key-name")
    alice.get_by_role("button", name="Create key").click()
    expect(alice.locator("#keys-body tr")).to_have_count(2)
    mallory, _ = _signed_up(browser, platform.url, "mallory")
    _open_account_page(mallory)
    expect(mallory.locator("#keys-body tr")).to_have_count(1)
    expect(mallory.locator("#account-view")).not_to_contain_text("alices-private-key-name")
    expect(mallory.locator("#sessions-body tr")).to_have_count(1)


def test_password_change_and_signing_sessions_out(platform, browser: Browser, tmp_path: Path) -> None:
    laptop, username = _signed_up(browser, platform.url, "sessions")
    phone = _log_in(browser, platform.url, username)
    tablet = _log_in(browser, platform.url, username)
    _open_account_page(laptop)
    sessions = laptop.locator("#sessions-body tr")
    expect(sessions).to_have_count(3)
    expect(laptop.locator("#sessions-body tr.current")).to_have_count(1)

    # Sign the newest other session (the tablet) out: its next request is refused.
    sign_out = sessions.first.get_by_role("button", name="Sign out", exact=False)
    sign_out.click()
    sign_out.click()
    expect(sessions).to_have_count(2)
    tablet.get_by_role("link", name="Creations").click()
    expect(tablet.locator("#auth-view")).to_be_visible()

    laptop.get_by_label("Current password").fill("not my password")
    laptop.get_by_label("New password").fill(NEW_PASSWORD)
    laptop.get_by_role("button", name="Change password").click()
    expect(laptop.locator("#password-error")).to_have_text("The current password is wrong.")
    laptop.get_by_label("Current password").fill(PASSWORD)
    laptop.get_by_role("button", name="Change password").click()
    expect(laptop.locator("#password-done")).to_be_visible()
    expect(sessions).to_have_count(1)  # the phone was signed out by the change
    shot(laptop, tmp_path, "account_password_sessions", full_page=True)
    phone.get_by_role("link", name="Creations").click()
    expect(phone.locator("#auth-view")).to_be_visible()

    desktop = _log_in(browser, platform.url, username, NEW_PASSWORD)
    laptop.reload()
    expect(sessions).to_have_count(2)
    everywhere = laptop.locator("#sign-out-everywhere")
    everywhere.click()
    expect(everywhere).to_have_text("Sign out on every device?")
    everywhere.click()
    expect(laptop.locator("#auth-view")).to_be_visible()
    desktop.get_by_role("link", name="Creations").click()
    expect(desktop.locator("#auth-view")).to_be_visible()


POST_GENERATION = """async (headers) => {
  const response = await fetch('/api/v1/generations', {
    method: 'POST', headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify({ prompt: 'a red circle' }), credentials: 'same-origin',
  });
  return { status: response.status, type: response.headers.get('content-type'),
           auth: response.headers.get('www-authenticate'), body: await response.json() };
}"""


def test_api_calls_without_an_account_get_401_json_and_a_session_without_csrf_gets_the_csrf_refusal(
    platform, browser: Browser
) -> None:
    visitor = _context(browser, platform.url).new_page()
    visitor.goto(f"{platform.url}/#/feed")
    anonymous = visitor.evaluate(POST_GENERATION, {})
    assert (anonymous["status"], anonymous["type"], anonymous["auth"]) == (401, "application/problem+json", "Bearer")
    assert anonymous["body"]["detail"] == "Log in or send an API key (Authorization: Bearer <key>)."

    page, _ = _signed_up(browser, platform.url, "csrf")
    without_token = page.evaluate(POST_GENERATION, {})
    assert (without_token["status"], without_token["type"]) == (403, "application/problem+json")
    assert "CSRF" in without_token["body"]["detail"]


def test_the_account_page_fits_a_phone(platform, browser: Browser, tmp_path: Path) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(f"{platform.url}/#/account")
    sign_up_here(page, "phone")
    page.goto(f"{platform.url}/#/account")
    expect(page.locator("#keys-body tr")).to_have_count(1)
    expect(page.locator("#sessions-body tr")).to_have_count(1)
    # The page's own blocks fit the width, tables laid out as one card per row. (The header is the
    # layout's, tested with it.)
    overflowing = page.evaluate(
        """[...document.querySelectorAll('#account-view > *')]
             .filter((block) => block.getBoundingClientRect().right > window.innerWidth + 1)
             .map((block) => block.id || block.className)"""
    )
    assert overflowing == []
    for control in ("#key-create", "#keys-body button", "#password-submit", "#sign-out-everywhere"):
        box = page.locator(control).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, control
    shot(page, tmp_path, "account_phone", full_page=True)
