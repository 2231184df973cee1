"""Remove background in a real browser (headless Debian Chromium) on the whole platform: the detail
panel's "Remove background" control, disabled with the plan's reason on the free plan; on basic it
starts a job the studio follows to a cut-out whose background pixels are transparent in the page,
shown on a checkerboard, its panel naming its source; then "Replace background" with a typed prompt
starts a job whose result opens naming its source too."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from atelier.billing.v1 import billing_pb2, billing_pb2_grpc
from tests.e2e.browser import GENERATION_TIMEOUT_MS, new_finals, new_page, shot, sign_up_here

pytestmark = pytest.mark.e2e

NEEDS_BASIC = "Editing needs the Basic plan or higher."
# The alpha of the top-left pixel of an <img> as the browser decoded it.
CORNER_ALPHA = """async (img) => {
  await img.decode();
  const canvas = document.createElement("canvas");
  canvas.width = img.naturalWidth;
  canvas.height = img.naturalHeight;
  const context = canvas.getContext("2d");
  context.drawImage(img, 0, 0);
  return context.getImageData(2, 2, 1, 1).data[3];
}"""


def test_remove_background_explains_the_plan_then_cuts_the_object_out(platform, browser, tmp_path) -> None:
    page = new_page(browser)
    page.goto(platform.url)
    sign_up_here(page, "cutter")
    user_id = page.evaluate("fetch('/api/v1/me').then(r => r.json()).then(me => me.user_id)")
    page.get_by_label("Prompt", exact=True).fill("a red circle on a blue background")
    page.locator("#num-images").select_option("1")
    page.get_by_role("button", name="Generate").click()
    expect(page.locator("#tiles img.final")).to_have_count(1, timeout=GENERATION_TIMEOUT_MS)

    page.locator("#tiles .tile-open").first.click()
    remove = page.locator("#detail-remove-background")
    expect(remove).to_be_visible()
    expect(remove).to_be_disabled()
    expect(remove).to_have_attribute("title", NEEDS_BASIC)
    expect(page.locator("#detail-remove-background-note")).to_have_text(f"{NEEDS_BASIC} See plans")
    expect(page.locator("#detail-replace-background")).to_be_disabled()
    expect(page.locator("#detail-replace-background-note")).to_have_text(f"{NEEDS_BASIC} See plans")
    assert page.locator("#detail-img").evaluate(CORNER_ALPHA) == 255
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
    expect(remove).to_be_enabled()
    cut_out = new_finals(page)
    remove.click()

    # The studio follows the job like a generation and shows the cut-out.
    expect(cut_out).to_have_count(1, timeout=GENERATION_TIMEOUT_MS)
    page.locator("#tiles .tile-open").first.click()
    expect(page.locator("#detail-lineage")).to_contain_text("Background removed from", timeout=GENERATION_TIMEOUT_MS)
    picture = page.locator("#detail-img")
    expect(picture).to_have_css("background-image", re.compile(r"linear-gradient"))
    assert picture.evaluate(CORNER_ALPHA) == 0
    shot(page, tmp_path, "remove_background_result_detail")

    # Replace the cut-out's background: the studio follows that job too, to a result naming its source.
    page.get_by_label("New background").fill("a white background")
    replaced = new_finals(page)
    page.locator("#detail-replace-background").click()
    expect(page.locator("#detail")).to_be_hidden()  # closed as the studio starts following the new job
    expect(replaced).to_have_count(1, timeout=GENERATION_TIMEOUT_MS)
    page.locator("#tiles .tile-open").first.click()
    expect(page.locator("#detail-lineage")).to_contain_text("Background replaced from", timeout=GENERATION_TIMEOUT_MS)
    shot(page, tmp_path, "replace_background_result_detail")
