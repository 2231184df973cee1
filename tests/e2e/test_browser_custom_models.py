"""Custom models in a real browser on the whole platform: on the Account page a Basic user uploads
five small images, names the style and trains it (a few steps: ATELIER_CUSTOM_MODEL_TRAIN_STEPS),
watches the progress bar reach the end on the training's own progress stream, picks the style in the
studio's Model menu, generates with it, and deletes it. The platform's Triton draws with the
procedural stand-in, which refuses styles in its own words: the studio shows them, which proves the
style travelled with the generation (tiny-diffusion draws it: tests/integration/test_style_train_model.py)."""

from __future__ import annotations

import pytest
from PIL import Image
from playwright.sync_api import expect

from atelier.billing.v1 import billing_pb2, billing_pb2_grpc
from tests.e2e.browser import GENERATION_TIMEOUT_MS, new_page, shot, sign_up_here

pytestmark = pytest.mark.e2e


def test_a_style_is_trained_from_five_uploads_used_in_the_studio_and_deleted(platform, browser, tmp_path) -> None:
    images = []
    for i in range(5):
        path = tmp_path / f"blue{i}.png"
        Image.new("RGB", (64, 64), (20 + 10 * i, 60, 200)).save(path)
        images.append(str(path))
    page = new_page(browser)
    page.goto(platform.url)
    sign_up_here(page, "stylist")
    user_id = page.evaluate("fetch('/api/v1/me').then(r => r.json()).then(me => me.user_id)")
    with platform.stack.sync_channel("billing") as channel:
        billing_pb2_grpc.BillingServiceStub(channel).ChangePlan(
            billing_pb2.ChangePlanRequest(user_id=user_id, plan="basic", actor="operator:e2e"), timeout=10
        )
    page.goto(f"{platform.url}/#/account")
    expect(page.get_by_role("heading", name="Custom models", exact=True)).to_be_visible()

    page.get_by_label("Style name").fill("Blues")
    page.get_by_label("Training images", exact=True).set_input_files(images)
    page.get_by_role("button", name="Train", exact=True).click()
    expect(page.locator("#model-training")).to_be_visible()
    expect(page.locator("#model-progress-status")).to_have_text(
        "Blues is ready. Pick it in the studio's Model menu.", timeout=GENERATION_TIMEOUT_MS
    )
    expect(page.locator("#model-progress")).to_have_attribute("aria-valuenow", "100")
    row = page.locator("#models-body tr")
    expect(row).to_have_count(1)
    expect(row.locator(".model-status")).to_have_text("Ready")
    shot(page, tmp_path, "custom_model_trained")

    page.locator("#nav-create").click()
    page.locator("#advanced-toggle").click()
    page.get_by_label("Model", exact=True).select_option(label="Blues")
    page.get_by_label("Prompt", exact=True).fill("a red circle on a white background")
    page.locator("#num-images").select_option("1")
    page.get_by_role("button", name="Generate").click()
    expect(page.locator("#generate-error")).to_contain_text("draws no custom styles", timeout=GENERATION_TIMEOUT_MS)
    used = page.evaluate("fetch('/api/v1/generations?limit=1').then(r => r.json()).then(p => p.items[0].params)")
    model_id = page.evaluate("fetch('/api/v1/models').then(r => r.json()).then(p => p.items[0].model_id)")
    assert used["model_id"] == model_id

    page.locator("#nav-account").click()
    remove = page.get_by_role("button", name="Delete model Blues")
    remove.click()
    remove.click()  # confirmed on the button itself
    expect(page.locator("#models-body tr")).to_have_count(0)
    expect(page.locator("#models-empty")).to_be_visible()
