"""Custom models in a real browser on the whole platform: on the Account page a Basic user uploads
five small images, names the style and trains it (a few steps: ATELIER_CUSTOM_MODEL_TRAIN_STEPS),
watches the progress bar reach the end on the training's own progress stream, picks the style in the
studio's Model menu, generates with it, and deletes it. The platform's Triton draws with the
procedural stand-in, which refuses styles in its own words: the studio shows them, which proves the
style travelled with the generation (tiny-diffusion draws it: tests/integration/test_style_train_model.py).
A Team-plan user picks five of their creations for a style shared with their team, sees it train and
ready, and picks it in the studio; so does a member of the team."""

from __future__ import annotations

import pytest
from PIL import Image
from playwright.sync_api import expect

from atelier.billing.v1 import billing_pb2, billing_pb2_grpc
from tests.e2e.browser import GENERATION_TIMEOUT_MS, POST_AS_ME, generate_images, new_page, shot, sign_up_here

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


def test_five_creations_are_picked_for_a_team_style_and_its_member_picks_it_in_the_studio(
    platform, browser, tmp_path
) -> None:
    owner, member = new_page(browser), new_page(browser)
    owner.goto(platform.url)
    sign_up_here(owner, "picker")
    member.goto(platform.url)
    member_name = sign_up_here(member, "crewmate")
    owner_id = owner.evaluate("fetch('/api/v1/me').then(r => r.json()).then(me => me.user_id)")
    with platform.stack.sync_channel("billing") as channel:
        billing_pb2_grpc.BillingServiceStub(channel).ChangePlan(
            billing_pb2.ChangePlanRequest(user_id=owner_id, plan="team", actor="operator:e2e"), timeout=10
        )
    team = owner.evaluate(POST_AS_ME, ["/api/v1/teams", {"name": "Pickers"}])
    assert team["status"] == 201, team
    team_id = team["body"]["team_id"]
    assert (
        owner.evaluate(POST_AS_ME, [f"/api/v1/teams/{team_id}/invitations", {"username": member_name}])["status"] == 201
    )
    assert member.evaluate(POST_AS_ME, [f"/api/v1/teams/{team_id}/accept", {}])["status"] == 200
    owner.reload()
    generate_images(owner, "a yellow triangle on a black background", 5)

    owner.locator("#nav-account").click()
    owner.get_by_role("button", name="Pick from my creations").click()
    picks = owner.get_by_role("checkbox", name="Pick “a yellow triangle on a black background”")
    expect(picks).to_have_count(5)
    for index in range(5):
        picks.nth(index).check()
    expect(owner.locator("#model-picks-count")).to_have_text("5 picked.")
    shot(owner, tmp_path, "custom_model_picks")
    owner.get_by_label("Style name").fill("Triangles")
    owner.get_by_label("Share with").select_option(label="Pickers")
    owner.get_by_role("button", name="Train", exact=True).click()
    expect(owner.locator("#model-training")).to_be_visible()
    expect(owner.locator("#model-progress-status")).to_have_text(
        "Triangles is ready. Pick it in the studio's Model menu.", timeout=GENERATION_TIMEOUT_MS
    )
    row = owner.locator("#models-body tr")
    expect(row).to_have_count(1)
    expect(row.locator(".model-status")).to_have_text("Ready")
    expect(row.locator(".model-shared")).to_have_text("Shared with Pickers")
    model = owner.evaluate("fetch('/api/v1/models').then(r => r.json()).then(p => p.items[0])")
    assert model["image_count"] == 5 and model["team_id"] == team_id
    assert all(image["source_image_id"] for image in model["images"])  # the picked creations
    shot(owner, tmp_path, "custom_model_picked")

    owner.locator("#nav-create").click()
    owner.locator("#advanced-toggle").click()
    owner.get_by_label("Model", exact=True).select_option(label="Triangles")
    expect(owner.get_by_label("Model", exact=True)).to_have_value(model["model_id"])
    member.reload()
    member.locator("#advanced-toggle").click()
    member.get_by_label("Model", exact=True).select_option(label="Triangles (Pickers)")
    expect(member.get_by_label("Model", exact=True)).to_have_value(model["model_id"])

    # Taken back in place on the Account page: the member no longer has it; shared again: they do.
    owner.locator("#nav-account").click()
    sharing = owner.get_by_label("Share Triangles with")
    expect(sharing).to_have_value(team_id)
    sharing.select_option(label="Only me")
    expect(row.locator(".model-shared")).to_have_count(0)
    expect(owner.get_by_label("Share Triangles with")).to_have_value("")
    assert owner.evaluate(MY_MODELS_TEAMS) == [None]
    assert member.evaluate(MY_MODELS_TEAMS) == []
    member.reload()
    _open_advanced(member)
    expect(member.get_by_label("Model", exact=True).locator("option", has_text="Triangles")).to_have_count(0)
    owner.get_by_label("Share Triangles with").select_option(label="Pickers")
    expect(row.locator(".model-shared")).to_have_text("Shared with Pickers")
    shot(owner, tmp_path, "custom_model_shared_again")
    assert member.evaluate(MY_MODELS_TEAMS) == [team_id]
    member.reload()
    _open_advanced(member)
    member.get_by_label("Model", exact=True).select_option(label="Triangles (Pickers)")


MY_MODELS_TEAMS = "fetch('/api/v1/models').then(r => r.json()).then(p => p.items.map(m => m.team_id ?? null))"


def _open_advanced(page) -> None:
    """The studio remembers whether its Advanced drawer was open; open it if it is not."""
    if not page.locator("#advanced").evaluate("drawer => drawer.open"):
        page.locator("#advanced-toggle").click()
