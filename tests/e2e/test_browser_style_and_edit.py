"""Style reference and the editor in a real browser (headless Debian Chromium) on the whole platform:
an image's "Use as style reference" fills the studio's control (thumbnail, remove, strength) and the
next generation names it; "Edit" is disabled with the plan's reason on the free plan, and on basic
opens the editor: a mask painted there (mouse and touch, brush and eraser) hands off to magic fill,
whose result keeps every pixel outside the mask exactly (compared through the API) and changes the
inside; the live preview follows the controls and Save makes a new image the studio follows, edited
from its source."""

from __future__ import annotations

import base64
import io
import re

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import expect

from atelier.billing.v1 import billing_pb2, billing_pb2_grpc
from services.generation.actions.canvas import mask_from_png
from tests.e2e.browser import GENERATION_TIMEOUT_MS, VIEWPORT, new_finals, new_page, paint_stroke, shot, sign_up_here

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


def wait_for_mask_alpha(page, x: int, y: int, alpha: int) -> None:
    """Until the mask's pixel (x, y) has this alpha (page.evaluate runs outside the page's CSP)."""
    script = f"document.getElementById('editor-mask').getContext('2d').getImageData({x}, {y}, 1, 1).data[3]"
    for _ in range(100):
        if page.evaluate(script) == alpha:
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"the mask's pixel ({x}, {y}) never had alpha {alpha}")


def png_pixels(page, base_url: str, image_id: str) -> np.ndarray:
    reply = page.request.get(f"{base_url}/api/v1/images/{image_id}/content?format=png")
    assert reply.ok, reply.text()
    with Image.open(io.BytesIO(reply.body())) as image:
        return np.asarray(image.convert("RGB")).astype(int)


def test_the_editor_explains_the_plan_fills_a_painted_mask_then_saves_an_edit(platform, browser, tmp_path) -> None:
    # A touch screen as well as the mouse: the mask painter reads pointer events of either.
    page = browser.new_context(viewport=VIEWPORT, has_touch=True).new_page()
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

    # Paint mask: a mouse stroke, a touch of the eraser in its middle, then Magic fill with a prompt.
    expect(page.locator("#editor")).to_be_visible()
    page.locator("#editor-mode-fill").click()
    mask = page.locator("#editor-mask")
    expect(mask).to_be_visible()
    expect(mask).to_have_attribute("width", "512")
    fill = page.locator("#editor-fill-submit")
    expect(fill).to_be_disabled()  # nothing painted yet
    paint_stroke(page, mask, (0.3, 0.5), (0.7, 0.5))
    expect(fill).to_be_enabled()
    wait_for_mask_alpha(page, 256, 256, 255)
    page.locator("#editor-eraser").click()
    box = mask.bounding_box()
    assert box is not None
    page.touchscreen.tap(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    wait_for_mask_alpha(page, 256, 256, 0)
    wait_for_mask_alpha(page, 180, 256, 255)
    page.locator("#editor-brush").click()
    page.get_by_label("What to draw in the painted region").fill("a yellow square")
    shot(page, tmp_path, "editor_mask_painted")
    filled = new_finals(page)
    with page.expect_request("**/fill") as request_info:
        fill.click()
    request = request_info.value
    source_id = request.url.split("/images/")[1].split("/")[0]
    painted = mask_from_png(base64.b64decode(request.post_data_json["mask"].split(",", 1)[1])) > 0
    response = request.response()
    assert response is not None and response.status == 202
    generation_id = response.json()["generation_id"]

    # The studio follows the fill like a generation; the result names its source.
    expect(page.locator("#editor")).not_to_be_visible()
    final = page.locator("#tiles img.final")
    expect(filled).to_have_count(1, timeout=GENERATION_TIMEOUT_MS)
    page.locator("#tiles .tile-open").first.click()
    expect(page.locator("#detail-prompt")).to_have_text("a yellow square", timeout=GENERATION_TIMEOUT_MS)
    expect(page.locator("#detail-lineage")).to_contain_text("Filled from")
    shot(page, tmp_path, "editor_fill_result")
    [result] = page.request.get(f"{platform.url}/api/v1/generations/{generation_id}").json()["images"]
    before = png_pixels(page, platform.url, source_id)
    after = png_pixels(page, platform.url, result["image_id"])
    assert painted.shape == before.shape[:2] == after.shape[:2] == (512, 512)
    assert 0.02 < painted.mean() < 0.5
    assert not painted[256, 256] and painted[256, 180]  # erased by touch, painted by mouse
    assert np.array_equal(after[~painted], before[~painted])
    assert np.abs(after[painted] - before[painted]).mean() > 10

    # Adjust the fill result: the crop (256x512), turned, is 512 wide, 256 high.
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

    expect(final).to_have_count(1, timeout=GENERATION_TIMEOUT_MS)
    expect(final.first).to_have_attribute("width", "512", timeout=GENERATION_TIMEOUT_MS)
    expect(final.first).to_have_attribute("height", "256", timeout=GENERATION_TIMEOUT_MS)
    page.locator("#tiles .tile-open").first.click()
    expect(page.locator("#detail-lineage")).to_contain_text("Edited from")
