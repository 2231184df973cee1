"""Public and private in a real browser (headless Debian Chromium) on the whole platform: the
Public/Private selector beside the prompt box, the detail panel's control, the Creations page (tabs,
multi-select, Make private / Make public), the plan page, share links, and controls a plan does not
allow shown disabled with the reason. Plans are changed as an operator would, through billing's
ChangePlan gRPC. Screenshots go to the test's tmp dir (and to $ATELIER_E2E_SCREENSHOTS when set)."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Browser, Page, expect

from atelier.billing.v1 import billing_pb2, billing_pb2_grpc
from tests.e2e.browser import generate_images, new_page, shot, sign_up_here

pytestmark = pytest.mark.e2e

NEEDS_PLUS = "Private generations need the Plus plan or higher."
# Every plan refusal ends with a link to the pricing page.
NEEDS_PLUS_NOTE = f"{NEEDS_PLUS} See plans"


def _sign_up(browser: Browser, url: str, prefix: str) -> tuple[Page, str]:
    page = new_page(browser)
    page.goto(url)
    sign_up_here(page, prefix)
    return page, page.evaluate("fetch('/api/v1/me').then(r => r.json()).then(me => me.user_id)")


def _change_plan(platform, user_id: str, plan: str) -> None:
    with platform.stack.sync_channel("billing") as channel:
        billing_pb2_grpc.BillingServiceStub(channel).ChangePlan(
            billing_pb2.ChangePlanRequest(user_id=user_id, plan=plan, actor="operator:e2e"), timeout=10
        )


def test_a_free_user_sees_privacy_controls_disabled_with_the_reason(platform, browser, tmp_path) -> None:
    page, _ = _sign_up(browser, platform.url, "free")
    private_choice = page.get_by_label("Private")
    expect(private_choice).to_be_disabled()
    expect(page.locator("#choose-private")).to_have_attribute("title", NEEDS_PLUS)
    expect(page.locator("#visibility-note")).to_have_text(NEEDS_PLUS_NOTE)
    generate_images(page, "a red circle on a blue background", 1)
    expect(page.locator("#tiles .visibility-badge")).to_have_text(["Public"])
    shot(page, tmp_path, "privacy_free_studio", full_page=True)

    page.locator("#tiles .tile-open").first.click()
    expect(page.locator("#detail")).to_be_visible()
    expect(page.locator("#detail-private")).to_be_disabled()
    expect(page.locator("#detail-visibility-note")).to_have_text(NEEDS_PLUS_NOTE)
    expect(page.locator("#detail-download")).to_have_text("Download JPG")
    expect(page.locator("#detail-delete")).to_be_disabled()
    shot(page, tmp_path, "privacy_free_detail")
    page.locator("#detail-close").click()

    page.get_by_role("link", name="Creations").click()
    expect(page.locator("#creations-grid .creation")).to_have_count(1)
    page.locator("#creations-grid input[type=checkbox]").first.check()
    expect(page.get_by_role("button", name="Make private")).to_be_disabled()
    expect(page.get_by_role("button", name="Make private")).to_have_attribute("title", NEEDS_PLUS)
    expect(page.locator("#bulk-note")).to_have_text(NEEDS_PLUS_NOTE)
    shot(page, tmp_path, "privacy_free_creations", full_page=True)


def test_a_plus_user_generates_privately_toggles_and_bulk_changes(platform, browser, tmp_path) -> None:
    page, user_id = _sign_up(browser, platform.url, "plus")
    _change_plan(platform, user_id, "plus")
    page.reload()
    expect(page.locator("#account-plan")).to_have_text("Plus")
    page.get_by_text("Private", exact=True).first.click()
    expect(page.get_by_label("Private")).to_be_checked()
    expect(page.locator("#visibility-note")).to_be_hidden()
    generate_images(page, "a yellow star on a purple background", 2)
    expect(page.locator("#tiles .visibility-badge")).to_have_text(["Private", "Private"])
    shot(page, tmp_path, "privacy_plus_studio", full_page=True)

    # The detail panel: make the first one public.
    page.locator("#tiles .tile-open").first.click()
    expect(page.locator("#detail-private")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#detail-download")).to_have_text("Download PNG")
    page.locator("#detail-public").click()
    expect(page.locator("#detail-public")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#detail-status")).to_contain_text("Public now")
    page.locator("#detail-share").click()
    expect(page.locator("#detail-share-note")).to_have_text("Anyone with this link can see the image.")
    public_link = page.locator("#detail-share-url").input_value()
    shot(page, tmp_path, "privacy_plus_detail")
    # While public, a stranger's share page carries the link-preview tags.
    stranger = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    shared = stranger.goto(public_link)
    assert shared is not None and shared.status == 200
    expect(stranger.locator('meta[property="og:image"]')).to_have_attribute(
        "content", f"{platform.url}/api/v1/images/{public_link.rsplit('/', 1)[1]}/content"
    )
    expect(stranger.locator('meta[name="twitter:card"]')).to_have_attribute("content", "summary_large_image")
    expect(stranger.locator("#shared-image img")).to_have_count(1)
    page.locator("#detail-close").click()
    expect(page.locator("#tiles .visibility-badge")).to_have_text(["Public", "Private"])

    # Creations: tabs, multi-select, bulk.
    page.get_by_role("link", name="Creations").click()
    expect(page.locator("#creations-grid .creation")).to_have_count(2)
    page.get_by_role("tab", name="Private").click()
    expect(page.locator("#creations-grid .creation")).to_have_count(1)
    page.get_by_role("tab", name="Public").click()
    expect(page.locator("#creations-grid .creation")).to_have_count(1)
    page.get_by_role("tab", name="All").click()
    expect(page.locator("#creations-grid .creation")).to_have_count(2)
    page.get_by_role("button", name="Select all").click()
    expect(page.locator("#selection-count")).to_have_text("2 selected")
    page.get_by_role("button", name="Make private").click()
    expect(page.locator("#bulk-result")).to_have_text("2 images made private.")
    page.get_by_role("tab", name="Private").click()
    expect(page.locator("#creations-grid .creation")).to_have_count(2)
    shot(page, tmp_path, "privacy_plus_creations", full_page=True)

    # The share link of an image made private again shows nothing to a stranger: the very page of
    # an id that never existed, 404, without any preview tag.
    missing = stranger.goto(f"{platform.url}/i/{uuid.uuid4()}")
    assert missing is not None and missing.status == 404
    missing_page = missing.body()
    gone = stranger.goto(public_link)
    assert gone is not None and gone.status == 404 and gone.body() == missing_page
    expect(stranger.locator('meta[property^="og:"], meta[name^="twitter:"]')).to_have_count(0)
    expect(stranger.locator("#shared-missing")).to_be_visible()
    expect(stranger.locator("#shared-image img")).to_have_count(0)
    shot(stranger, tmp_path, "privacy_share_private_anonymous", full_page=True)
    page.goto(public_link)  # its owner still sees it
    expect(page.locator("#shared-image img")).to_have_count(1)
    expect(page.locator("#shared-image .visibility-badge")).to_have_text("Private")

    page.get_by_role("link", name="Plan", exact=True).click()
    expect(page.locator("#plan-current-name")).to_have_text("Plus")
    expect(page.locator("#plans-head th.current")).to_contain_text("Plus")
    shot(page, tmp_path, "privacy_plan_page", full_page=True)
