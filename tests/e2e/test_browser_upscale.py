"""Upscale in a real browser (headless Debian Chromium) on the whole platform: the detail panel's
"Upscale 2×" control, disabled with the plan's reason on the free plan; on basic it starts a job the
studio follows to a 1024 px image whose panel names its source."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from atelier.billing.v1 import billing_pb2, billing_pb2_grpc
from tests.e2e.browser import GENERATION_TIMEOUT_MS, new_page, shot, sign_up_here

pytestmark = pytest.mark.e2e

NEEDS_BASIC = "Upscaling needs the Basic plan or higher."


def test_the_upscale_control_explains_the_plan_then_doubles_the_image(platform, browser, tmp_path) -> None:
    page = new_page(browser)
    page.goto(platform.url)
    sign_up_here(page, "upscaler")
    user_id = page.evaluate("fetch('/api/v1/me').then(r => r.json()).then(me => me.user_id)")
    page.get_by_label("Prompt", exact=True).fill("a red circle on a blue background")
    page.locator("#num-images").select_option("1")
    page.get_by_role("button", name="Generate").click()
    expect(page.locator("#tiles img.final")).to_have_count(1, timeout=GENERATION_TIMEOUT_MS)

    page.locator("#tiles .tile-open").first.click()
    upscale = page.locator("#detail-upscale")
    expect(upscale).to_be_visible()
    expect(upscale).to_be_disabled()
    expect(upscale).to_have_attribute("title", NEEDS_BASIC)
    expect(page.locator("#detail-upscale-note")).to_have_text(f"{NEEDS_BASIC} See plans")
    shot(page, tmp_path, "upscale_free_detail")
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
    expect(upscale).to_be_enabled()
    upscale.click()

    # The studio follows the job like a generation and shows the 2x image.
    final = page.locator("#tiles img.final")
    expect(final).to_have_count(1, timeout=GENERATION_TIMEOUT_MS)
    expect(final.first).to_have_attribute("width", "1024", timeout=GENERATION_TIMEOUT_MS)
    page.locator("#tiles .tile-open").first.click()
    expect(page.locator("#detail-lineage")).to_contain_text("Upscaled 2× from")
    expect(page.locator("#detail-lineage-open")).to_be_visible()
    shot(page, tmp_path, "upscale_result_detail")
