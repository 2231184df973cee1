"""Style reference and the editor in a real browser (headless Debian Chromium) on the whole platform:
an image's "Use as style reference" fills the studio's control (thumbnail, remove, strength) and the
next generation names it; "Edit" is disabled with the plan's reason on the free plan, and on basic
opens the editor whose live preview follows the controls and whose Save makes a new image the studio
follows, edited from its source."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from atelier.billing.v1 import billing_pb2, billing_pb2_grpc
from tests.e2e.browser import GENERATION_TIMEOUT_MS, new_page, shot, sign_up_here

pytestmark = pytest.mark.e2e

NEEDS_BASIC = "Editing needs the Basic plan or higher."


def generate_one(page, prompt: str) -> None:
    page.get_by_label("Prompt", exact=True).fill(prompt)
    page.locator("#num-images").select_option("1")
    page.get_by_role("button", name="Generate").click()


def test_an_image_used_as_style_reference_guides_the_next_generation(platform, browser, tmp_path) -> None:
    page = new_page(browser)
    page.goto(platform.url)
    sign_up_here(page, "stylist")
    generate_one(page, "a yellow square on a purple background")
    expect(page.locator("#tiles img.final")).to_have_count(1, timeout=GENERATION_TIMEOUT_MS)

    reference_src = page.locator("#tiles img.final").first.get_attribute("src")
    page.locator("#tiles .tile-open").first.click()
    page.locator("#detail-style-ref").click()
    expect(page.locator("#detail")).not_to_be_visible()
    expect(page.locator("#style-ref-thumb")).to_be_visible()
    expect(page.locator("#style-ref-strength")).to_be_visible()
    page.locator("#style-ref-strength").fill("0.8")
    expect(page.locator("#style-ref-strength-value")).to_have_text("0.8")
    shot(page, tmp_path, "style_reference_chosen")

    generate_one(page, "a red circle on a blue background")
    final = page.locator("#tiles img.final")
    # The studio now shows the new generation's image, not the reference's.
    not_the_reference = re.compile(f"^(?!{re.escape(reference_src or '')}$)")
    expect(final.first).to_have_attribute("src", not_the_reference, timeout=GENERATION_TIMEOUT_MS)
    expect(final).to_have_count(1, timeout=GENERATION_TIMEOUT_MS)
    page.locator("#tiles .tile-open").first.click()
    expect(page.locator("#detail-lineage")).to_contain_text("Styled after")
    expect(page.locator("#detail-style-from-open")).to_be_visible()
    page.locator("#detail-close").click()

    page.locator("#style-ref-remove").click()
    expect(page.locator("#style-ref-chosen")).to_be_hidden()
    expect(page.locator("#style-ref-strength-field")).to_be_hidden()


def test_the_editor_explains_the_plan_then_saves_a_new_edited_image(platform, browser, tmp_path) -> None:
    page = new_page(browser)
    page.goto(platform.url)
    sign_up_here(page, "editor")
    user_id = page.evaluate("fetch('/api/v1/me').then(r => r.json()).then(me => me.user_id)")
    generate_one(page, "a red circle on a blue background")
    expect(page.locator("#tiles img.final")).to_have_count(1, timeout=GENERATION_TIMEOUT_MS)

    page.locator("#tiles .tile-open").first.click()
    edit = page.locator("#detail-edit")
    expect(edit).to_be_disabled()
    expect(edit).to_have_attribute("title", NEEDS_BASIC)
    expect(page.locator("#detail-edit-note")).to_have_text(f"{NEEDS_BASIC} See plans")
    page.locator("#detail-close").click()

    with platform.stack.sync_channel("billing") as channel:
        billing_pb2_grpc.BillingServiceStub(channel).ChangePlan(
            billing_pb2.ChangePlanRequest(user_id=user_id, plan="basic", actor="operator:e2e"), timeout=10
        )
    page.reload()
    expect(page.locator("#account-plan")).to_have_text("Basic")
    page.locator("#history .history-card").first.click()
    expect(page.locator("#tiles img.final")).to_have_count(1)
    page.locator("#tiles .tile-open").first.click()
    expect(edit).to_be_enabled()
    edit.click()

    preview = page.locator("#editor-preview")
    expect(page.locator("#editor")).to_be_visible()
    expect(page.locator("#editor-save")).to_be_disabled()  # nothing to save yet
    page.locator("#editor-rotate").click()
    page.locator("#editor-flip-h").click()
    page.locator("#editor-crop-width").fill("256")
    expect(preview).to_have_css("transform", "matrix(0, 1, 1, 0, 0, 0)")  # a quarter turn, mirrored
    expect(preview).to_have_attribute("style", re.compile(r"clip-path: inset\(0% 50%"))
    shot(page, tmp_path, "editor_preview")
    page.locator("#editor-save").click()

    # The studio follows the job like a generation: the crop (256x512), turned, is 512 wide, 256 high.
    final = page.locator("#tiles img.final")
    expect(final).to_have_count(1, timeout=GENERATION_TIMEOUT_MS)
    expect(final.first).to_have_attribute("width", "512", timeout=GENERATION_TIMEOUT_MS)
    expect(final.first).to_have_attribute("height", "256", timeout=GENERATION_TIMEOUT_MS)
    page.locator("#tiles .tile-open").first.click()
    expect(page.locator("#detail-lineage")).to_contain_text("Edited from")
