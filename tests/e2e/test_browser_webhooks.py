"""The Account page's Webhooks block in a real browser on the whole platform (webhooks service
included, allowed to deliver to 127.0.0.1 over http): an endpoint is added with its events, its
signing secret shown once with a Copy button; a refused URL is explained in words; a generation made
in the studio reaches a receiver started here, signed with that secret, and the endpoint's delivery
log says delivered (a refused one: its HTTP status and the next try); another user's page shows none
of it; deleting the endpoint deletes it."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from services.webhooks import signing
from tests.e2e.browser import VIEWPORT, generate_in_studio, shot, sign_up_here
from tests.support.waiting import wait_until
from tests.support.webhook_receiver import Receiver, webhook_receiver

pytestmark = pytest.mark.e2e

DELIVERY_TIMEOUT_S = 60
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as running:
        yield running


def _signed_up(browser: Browser, url: str, prefix: str, viewport: dict[str, int] = VIEWPORT) -> Page:
    context = browser.new_context(viewport=viewport)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url)
    page = context.new_page()
    page.goto(url)
    sign_up_here(page, prefix)
    return page


def _open_account_page(page: Page) -> None:
    page.get_by_role("link", name="Account", exact=True).click()
    expect(page.get_by_role("heading", name="Webhooks", exact=True)).to_be_visible()


def _add_endpoint(page: Page, url: str) -> None:
    page.get_by_label("Endpoint URL").fill(url)
    page.get_by_role("button", name="Add endpoint").click()


def _refresh_log_until(page: Page, cell: str, text: str, timeout_s: float = DELIVERY_TIMEOUT_S) -> None:
    """Refreshes the open log until the newest delivery's `cell` reads `text` (the page does not poll)."""
    target = page.locator("#webhook-log-body tr").first.locator(cell)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        page.locator("#webhook-log-refresh").click()
        page.wait_for_timeout(500)
        if target.count() == 1 and target.inner_text() == text:
            return
    raise AssertionError(f"the log never read {text!r}: {page.locator('#webhook-log').inner_text()}")


def test_an_endpoint_is_added_receives_my_generation_and_logs_the_delivery(
    platform, browser: Browser, receiver: Receiver, tmp_path: Path
) -> None:
    page = _signed_up(browser, platform.url, "hooks")
    _open_account_page(page)
    expect(page.locator("#webhooks-body tr")).to_have_count(0)
    expect(page.locator("#webhooks-empty")).to_be_visible()

    # A URL the service refuses: the reason, in words, and nothing registered.
    _add_endpoint(page, receiver.url("/hook").replace("http://", "http://someone:secret@"))
    expect(page.locator("#webhooks-error")).to_contain_text("must not carry a user name or password")
    expect(page.locator("#webhooks-body tr")).to_have_count(0)
    expect(page.locator("#webhook-created")).to_be_hidden()

    # No event chosen: said on the page, nothing sent.
    page.get_by_label("Generation completed").uncheck()
    page.get_by_label("Generation failed").uncheck()
    page.get_by_label("Visibility changed").uncheck()
    _add_endpoint(page, receiver.url("/hook"))
    expect(page.locator("#webhooks-error")).to_have_text("Choose at least one event.")

    page.get_by_label("Generation completed").check()
    page.get_by_label("Generation failed").check()
    _add_endpoint(page, receiver.url("/hook"))
    secret = page.locator("#webhook-created-secret")
    expect(secret).not_to_be_empty()
    expect(page.locator("#webhooks-error")).to_be_hidden()
    signing_secret = secret.inner_text()
    page.locator("#webhook-secret-copy").click()
    expect(page.locator("#webhook-secret-copy")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == signing_secret
    row = page.locator("#webhooks-body tr")
    expect(row).to_have_count(1)
    expect(row.locator("th")).to_have_text(receiver.url("/hook"))
    expect(row.locator(".scope-chip")).to_have_text(["Generation completed", "Generation failed"])
    shot(page, tmp_path, "account_webhook_added", full_page=True)
    page.get_by_role("button", name="Done").click()
    expect(page.locator("#webhook-created")).to_be_hidden()
    page.reload()  # shown once: a fresh page has no secret anywhere
    expect(row).to_have_count(1)
    expect(page.locator("#account-view")).not_to_contain_text(signing_secret)

    page.get_by_role("link", name="Create", exact=True).click()
    generate_in_studio(page, "a red circle on a blue background")
    wait_until(lambda: len(receiver.on("/hook")) == 1, "the completion delivery", DELIVERY_TIMEOUT_S)
    received = receiver.on("/hook")[0]
    assert received.json["type"] == "generation.completed"
    assert signing.verify(signing_secret, received.headers["Atelier-Signature"], received.body, time.time())

    _open_account_page(page)
    page.get_by_role("button", name=f"Deliveries to {receiver.url('/hook')}").click()
    expect(page.locator("#webhook-log-title")).to_have_text(f"Deliveries to {receiver.url('/hook')}")
    _refresh_log_until(page, ".delivery-status", "Delivered")
    logged = page.locator("#webhook-log-body tr")
    expect(logged).to_have_count(1)
    expect(logged.locator("th")).to_have_text("Generation completed")
    expect(logged.locator("td")).to_have_text(["Delivered", "1", "HTTP 200", re.compile(r"\d")])
    shot(page, tmp_path, "account_webhook_log", full_page=True)

    delete = page.get_by_role("button", name=f"Delete endpoint {receiver.url('/hook')}")
    delete.click()
    expect(delete).to_have_text("Delete it and its log?")
    delete.click()
    expect(page.locator("#webhooks-body tr")).to_have_count(0)
    expect(page.locator("#webhook-log")).to_be_hidden()
    assert page.evaluate("fetch('/api/v1/webhooks').then((r) => r.json())") == {"items": []}


def test_another_user_sees_none_of_my_endpoints_nor_their_log(platform, browser: Browser, receiver: Receiver) -> None:
    alice = _signed_up(browser, platform.url, "alice")
    _open_account_page(alice)
    _add_endpoint(alice, receiver.url("/alices-private-hook"))
    expect(alice.locator("#webhooks-body tr")).to_have_count(1)
    endpoint_id = alice.locator("#webhooks-body tr").get_attribute("data-webhook-id")

    mallory = _signed_up(browser, platform.url, "mallory")
    _open_account_page(mallory)
    expect(mallory.locator("#webhooks-empty")).to_be_visible()
    expect(mallory.locator("#webhooks-body tr")).to_have_count(0)
    expect(mallory.locator("#account-view")).not_to_contain_text("alices-private-hook")
    status = mallory.evaluate(f"fetch('/api/v1/webhooks/{endpoint_id}/deliveries').then((r) => r.status)")
    assert status == 404


def test_the_webhooks_block_fits_a_phone(platform, browser: Browser, receiver: Receiver, tmp_path: Path) -> None:
    page = _signed_up(browser, platform.url, "phonehooks", viewport=PHONE)
    _open_account_page(page)
    long_url = receiver.url("/a/rather/long/path/for/a/webhook/endpoint/on/a/phone/screen?with=a&query=string")
    _add_endpoint(page, long_url)
    expect(page.locator("#webhooks-body tr")).to_have_count(1)
    page.get_by_role("button", name=f"Deliveries to {long_url}").click()
    expect(page.locator("#webhook-log-empty")).to_be_visible()
    overflowing = page.evaluate(
        """[...document.querySelectorAll('#account-view > *, [aria-labelledby=webhooks-title] *')]
             .filter((node) => node.getBoundingClientRect().right > window.innerWidth + 1)
             .map((node) => node.id || node.className || node.tagName)"""
    )
    assert overflowing == []
    for control in ("#webhook-create", "#webhook-secret-copy", "#webhooks-body button", "#webhook-log-refresh"):
        box = page.locator(control).first.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], control
    shot(page, tmp_path, "account_webhooks_phone", full_page=True)


def test_a_refused_delivery_shows_its_answer_and_the_next_try(platform, browser: Browser, receiver: Receiver) -> None:
    receiver.answer("/down", 500)
    page = _signed_up(browser, platform.url, "downhook")
    _open_account_page(page)
    _add_endpoint(page, receiver.url("/down"))
    expect(page.locator("#webhooks-body tr")).to_have_count(1)
    page.get_by_role("link", name="Create", exact=True).click()
    generate_in_studio(page, "a green square")
    wait_until(lambda: len(receiver.on("/down")) == 1, "the first attempt", DELIVERY_TIMEOUT_S)

    _open_account_page(page)
    page.get_by_role("button", name=f"Deliveries to {receiver.url('/down')}").click()
    _refresh_log_until(page, ".delivery-response", "HTTP 500")
    logged = page.locator("#webhook-log-body tr")
    expect(logged).to_have_count(1)
    # Retried after 30 s at the earliest (the service's default back-off): still pending here.
    expect(logged.locator(".delivery-status")).to_have_text(re.compile(r"^Pending \(next try .+\)$"))
    expect(logged.locator("td").nth(1)).to_have_text("1")
    expect(logged.locator(".delivery-response")).to_have_text("HTTP 500")


def test_an_endpoint_can_get_one_api_keys_events_and_goes_with_the_key(
    platform, browser: Browser, receiver: Receiver, tmp_path: Path
) -> None:
    page = _signed_up(browser, platform.url, "keyhooks")
    _open_account_page(page)
    scope = page.get_by_label("Events of")
    expect(scope).to_have_value("")  # the whole account unless a key is chosen
    expect(scope.locator("option").first).to_have_text("All of my account")

    # A key made on this page is offered at once.
    page.get_by_label("Key name").fill("program-a")
    page.get_by_role("button", name="Create key").click()
    program_a = scope.locator("option", has_text="program-a")
    expect(program_a).to_have_count(1)
    scope.select_option(program_a.get_attribute("value"))
    _add_endpoint(page, receiver.url("/program-a"))
    rows = page.locator("#webhooks-body tr")
    expect(rows).to_have_count(1)
    expect(rows.locator(".webhook-scope")).to_have_text(re.compile(r"^API key program-a \(atl_.+…\)$"))
    scope.select_option("")
    _add_endpoint(page, receiver.url("/everything"))
    expect(page.locator("#webhooks-body .webhook-scope")).to_have_text(
        ["All of my account", re.compile(r"^API key program-a ")]
    )
    shot(page, tmp_path, "account_webhook_per_key", full_page=True)

    # Revoking the key deletes its endpoint, and it is no longer offered.
    revoke = page.get_by_role("button", name="Revoke key program-a")
    revoke.click()
    revoke.click()
    expect(rows).to_have_count(1)
    expect(rows.locator("th")).to_have_text(receiver.url("/everything"))
    expect(program_a).to_have_count(0)
    listed = page.evaluate("fetch('/api/v1/webhooks').then((r) => r.json())")
    assert [item["api_key"] for item in listed["items"]] == [None]
