"""Creations in a real browser (headless Debian Chromium) on the whole platform: select images,
download them as one zip (built by the gateway from my own images), and delete whole generations
after a styled confirm dialog (never the browser's confirm box). Screenshots go to the test's tmp
dir (and to $ATELIER_E2E_SCREENSHOTS when set)."""

from __future__ import annotations

import io
import zipfile

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from atelier.billing.v1 import billing_pb2, billing_pb2_grpc
from tests.e2e.browser import generate_images, new_page, shot, sign_up_here

pytestmark = pytest.mark.e2e


def _signed_up_on(browser: Browser, platform, plan: str) -> Page:
    page = new_page(browser)
    page.goto(platform.url)
    sign_up_here(page, "keeper")
    user_id = page.evaluate("fetch('/api/v1/me').then(r => r.json()).then(me => me.user_id)")
    with platform.stack.sync_channel("billing") as channel:
        billing_pb2_grpc.BillingServiceStub(channel).ChangePlan(
            billing_pb2.ChangePlanRequest(user_id=user_id, plan=plan, actor="operator:e2e"), timeout=10
        )
    page.reload()
    return page


def test_creations_download_a_zip_and_delete_after_a_confirm_dialog(platform, browser, tmp_path) -> None:
    page = _signed_up_on(browser, platform, "basic")
    page.on("dialog", lambda dialog: pytest.fail(f"a browser dialog opened: {dialog.message}"))
    generate_images(page, "a red circle on a blue background", 2)
    generate_images(page, "a green square on a white background", 2)
    page.get_by_role("link", name="Creations").click()
    grid = page.locator("#creations-grid .creation")
    expect(grid).to_have_count(4)
    image_ids = [grid.nth(n).get_attribute("data-image-id") for n in range(4)]
    expect(page.get_by_role("button", name="Download zip")).to_be_disabled()

    # Download: the selected images, as the PNGs the basic plan downloads.
    page.get_by_role("button", name="Select all").click()
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download zip").click()
    download = download_info.value
    assert download.suggested_filename == "atelier-images.zip"
    with zipfile.ZipFile(io.BytesIO(download.path().read_bytes())) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
        assert [name.split("-atelier-")[1] for name in names] == [f"{i}.png" for i in image_ids]
        assert all(archive.read(name).startswith(b"\x89PNG") for name in names)
    expect(page.locator("#bulk-result")).to_have_text("4 images downloaded as a zip.")

    # Delete: a styled dialog; Cancel keeps everything.
    page.get_by_role("button", name="Clear").click()
    grid.first.locator("input[type=checkbox]").check()
    page.locator("#delete-selected").click()
    dialog = page.locator("#confirm")
    expect(dialog).to_be_visible()
    expect(page.locator("#confirm-title")).to_have_text("Delete 1 generation?")
    shot(page, tmp_path, "creations_delete_confirm")
    page.locator("#confirm-cancel").click()
    expect(dialog).to_be_hidden()
    expect(grid).to_have_count(4)

    # Confirmed: the whole set of the selected image goes at once (both of its images), for
    # everyone; Undo within the window brings it back as it was.
    page.locator("#delete-selected").click()
    page.locator("#confirm-ok").click()
    expect(page.locator("#bulk-result")).to_have_text("1 generation deleted.")
    expect(grid).to_have_count(2)
    expect(page.locator("#toast-undo")).to_be_visible()
    for image_id in image_ids[:2]:  # another viewer during the undo window
        assert httpx.get(f"{platform.url}/api/v1/images/{image_id}/content", timeout=30).status_code == 404
    shot(page, tmp_path, "creations_deleted_with_undo", full_page=True)
    page.locator("#toast-undo").click()
    expect(page.locator("#toast-message")).to_have_text("Restored.")
    expect(grid).to_have_count(4)
    for image_id in image_ids[:2]:
        assert httpx.get(f"{platform.url}/api/v1/images/{image_id}/content", timeout=30).status_code == 200

    # From the image panel: the same dialog, and the same undo.
    grid.nth(3).locator(".creation-open").click()
    page.locator("#detail-delete").click()
    expect(page.locator("#confirm-title")).to_have_text("Delete this generation?")
    shot(page, tmp_path, "detail_delete_confirm")
    page.locator("#confirm-ok").click()
    expect(page.locator("#detail")).to_be_hidden()
    expect(grid).to_have_count(2)
    page.locator("#toast-undo").click()
    expect(grid).to_have_count(4)

    # Deleted and left alone: once the window has passed, nothing brings it back.
    gone_generation = grid.first.get_attribute("data-generation-id")
    grid.first.locator("input[type=checkbox]").check()
    page.locator("#delete-selected").click()
    page.locator("#confirm-ok").click()
    expect(grid).to_have_count(2)
    expect(page.locator("#toast")).to_be_hidden(timeout=30_000)  # the toast leaves 1 s before the window ends
    page.wait_for_timeout(2_000)  # letting the window pass is the point
    restore_status = page.evaluate(
        """(id) => fetch(`/api/v1/generations/${id}/restore`, {
            method: "POST",
            headers: {"X-CSRF-Token": document.cookie.split("; ").find((c) => c.startsWith("atelier_csrf="))
                .slice("atelier_csrf=".length)},
        }).then((r) => r.status)""",
        gone_generation,
    )
    assert restore_status == 404
    page.reload()
    page.get_by_role("link", name="Creations").click()
    expect(grid).to_have_count(2)
    assert [grid.nth(n).get_attribute("data-image-id") for n in range(2)] == image_ids[2:]
    for image_id in image_ids[:2]:
        assert httpx.get(f"{platform.url}/api/v1/images/{image_id}/content", timeout=30).status_code == 404
    shot(page, tmp_path, "creations_after_delete", full_page=True)
