"""The public feed in a real browser (headless Debian Chromium) on the whole platform: an artist
generates public images; a visitor, first anonymous and then signed in, finds them in the feed,
searches, opens one (the detail panel offers exactly what each may do), likes it, copies its prompt
and uses it in the studio, and remixes it from the panel; the artist pins an image and makes it the
profile photo, and the profile page shows both. Screenshots go to the test's tmp dir (and to
$ATELIER_E2E_SCREENSHOTS when set)."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from atelier.billing.v1 import billing_pb2, billing_pb2_grpc
from tests.e2e.browser import GENERATION_TIMEOUT_MS, new_page, shot, sign_up_here

pytestmark = pytest.mark.e2e

FEED_TIMEOUT_S = 30.0


def _new_page(browser: Browser, url: str) -> Page:
    page = new_page(browser)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url)
    return page


def _sign_up_here(page: Page, prefix: str) -> tuple[str, str]:
    """Signs up on the auth view now on screen; (username, api key)."""
    username = sign_up_here(page, prefix)
    return username, page.locator("#api-key-value").text_content() or ""


def _wait(url: str, headers: dict[str, str], generation_id: str) -> None:
    deadline = time.monotonic() + GENERATION_TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        status = httpx.get(f"{url}/api/v1/generations/{generation_id}", headers=headers, timeout=30).json()["status"]
        if status in ("succeeded", "failed"):
            assert status == "succeeded"
            return
        time.sleep(0.3)
    raise AssertionError("the generation did not finish")


def _generate_in_api(url: str, api_key: str, prompt: str) -> None:
    headers = {"Authorization": f"Bearer {api_key}"}
    reply = httpx.post(
        f"{url}/api/v1/generations", json={"prompt": prompt, "num_images": 1, "steps": 2}, headers=headers, timeout=30
    )
    assert reply.status_code == 202, reply.text
    _wait(url, headers, reply.json()["generation_id"])


def _search_until_found(page: Page, query: str, count: int) -> None:
    """The feed is a projection of events: new images reach it within moments."""
    cards = page.locator("#feed-grid .feed-card")
    deadline = time.monotonic() + FEED_TIMEOUT_S
    while True:
        page.locator("#feed-q").fill(query)
        page.locator("#feed-search").get_by_role("button", name="Search").click()
        expect(page.locator("#feed-summary")).to_contain_text(query)
        if cards.count() == count:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{count} cards for {query!r} not within {FEED_TIMEOUT_S} s: {cards.count()}")
        time.sleep(0.5)


def test_a_visitor_finds_likes_copies_and_remixes_public_images(platform, browser, tmp_path) -> None:
    token = uuid.uuid4().hex[:8]
    circle = f"a red circle on a blue background {token}"
    triangle = f"a green triangle on a white background {token}"

    # The artist generates two public images: one in the studio, one through the API.
    artist = _new_page(browser, platform.url)
    artist.goto(platform.url)
    artist_name, artist_key = _sign_up_here(artist, "artist")
    artist.get_by_label("Prompt", exact=True).fill(circle)
    artist.locator("#num-images").select_option("1")
    artist.get_by_role("button", name="Generate").click()
    expect(artist.locator("#tiles img.final")).to_have_count(1, timeout=GENERATION_TIMEOUT_MS)
    _generate_in_api(platform.url, artist_key, triangle)

    # An anonymous visitor: from the landing page to the feed, then a search.
    visitor = _new_page(browser, platform.url)
    visitor.goto(platform.url)
    visitor.get_by_role("link", name="Browse the public feed").click()
    expect(visitor.locator("#feed-title")).to_be_visible()
    expect(visitor.locator("#nav-create")).to_be_hidden()
    _search_until_found(visitor, token, 2)
    expect(visitor.locator("#feed-grid .feed-prompt")).to_have_text([triangle, circle])
    expect(visitor.locator("#feed-grid .feed-owner-name").first).to_have_text(artist_name)
    shot(visitor, tmp_path, "feed_anonymous_search", full_page=True)
    _search_until_found(visitor, f"circle {token}", 1)

    # The detail panel for an anonymous visitor: the count and "Copy prompt", nothing that needs an account.
    visitor.locator("#feed-grid .feed-open").first.click()
    expect(visitor.locator("#detail")).to_be_visible()
    expect(visitor.locator("#detail-prompt")).to_have_text(circle)
    expect(visitor.locator("#detail-owner")).to_have_text(f"By {artist_name}")
    expect(visitor.locator("#detail-like-count")).to_have_text("0 likes")
    expect(visitor.locator("#detail-copy-prompt")).to_be_visible()
    expect(visitor.locator("#detail-recipe")).to_contain_text("Seed")
    for hidden in (
        "#detail-like",
        "#detail-use-prompt",
        "#detail-remix",
        "#detail-retry",
        "#detail-pin",
        "#detail-avatar",
        "#detail-report",
        "#detail-delete",
        "#detail-visibility-box",
    ):
        expect(visitor.locator(hidden)).to_be_hidden()
    shot(visitor, tmp_path, "feed_detail_anonymous")
    visitor.locator("#detail-close").click()

    # The artist's profile, anonymously.
    visitor.locator("#feed-grid .feed-owner").first.click()
    expect(visitor.locator("#profile-name")).to_have_text(artist_name)
    expect(visitor.locator("#profile-images .feed-card")).to_have_count(2)

    # The visitor signs up and comes back to the feed.
    visitor.get_by_role("link", name="Log in or sign up").click()
    viewer_name, _ = _sign_up_here(visitor, "viewer")
    visitor.get_by_role("link", name="Feed").click()
    _search_until_found(visitor, f"circle {token}", 1)
    visitor.locator("#feed-grid .feed-open").first.click()
    for shown in ("#detail-like", "#detail-use-prompt", "#detail-remix", "#detail-report", "#detail-copy-prompt"):
        expect(visitor.locator(shown)).to_be_visible()
    for hidden in ("#detail-retry", "#detail-pin", "#detail-avatar", "#detail-delete", "#detail-visibility-box"):
        expect(visitor.locator(hidden)).to_be_hidden()
    visitor.locator("#detail-like").click()
    expect(visitor.locator("#detail-like")).to_have_attribute("aria-pressed", "true")
    expect(visitor.locator("#detail-like-count")).to_have_text("1 like")
    visitor.locator("#detail-copy-prompt").click()
    expect(visitor.locator("#detail-status")).to_have_text("Prompt copied.")
    assert visitor.evaluate("navigator.clipboard.readText()") == circle
    shot(visitor, tmp_path, "feed_detail_signed_in")
    visitor.locator("#detail-use-prompt").click()
    expect(visitor.locator("#detail")).to_be_hidden()
    expect(visitor.get_by_label("Prompt", exact=True)).to_have_value(circle)
    expect(visitor.locator("#studio")).to_be_visible()
    shot(visitor, tmp_path, "feed_use_prompt_studio")
    visitor.locator("#num-images").select_option("1")  # the studio's choice is what a remix gets

    # Back in the feed the like shows on the card; then a remix from the panel goes to the studio.
    visitor.get_by_role("link", name="Feed").click()
    _search_until_found(visitor, f"circle {token}", 1)
    expect(visitor.locator("#feed-grid .feed-likes")).to_have_text("♥ 1")
    visitor.locator("#feed-grid .feed-open").first.click()
    visitor.locator("#detail-remix").click()
    visitor.locator("#detail-remix-prompt").fill(f"a red circle on a yellow background {token}")
    visitor.locator("#detail-remix-strength").fill("0.4")
    expect(visitor.locator("#detail-remix-strength-value")).to_have_text("0.40")
    shot(visitor, tmp_path, "feed_remix_form")
    visitor.get_by_role("button", name="Remix in studio").click()
    expect(visitor.locator("#studio")).to_be_visible()
    expect(visitor.locator("#current-prompt")).to_have_text(f"a red circle on a yellow background {token}")
    expect(visitor.locator("#tiles img.final")).to_have_count(1, timeout=GENERATION_TIMEOUT_MS)
    visitor.locator("#tiles .tile-open").first.click()
    expect(visitor.locator("#detail-lineage")).to_contain_text("Remixed from")
    shot(visitor, tmp_path, "feed_remix_result")
    visitor.locator("#detail-close").click()

    # The artist pins the circle and makes it the profile photo; the profile shows both.
    artist.get_by_role("link", name="Feed").click()
    _search_until_found(artist, f"blue {token}", 1)  # the remix matches "circle" too
    artist.locator("#feed-grid .feed-open").first.click()
    expect(artist.locator("#detail-report")).to_be_hidden()
    expect(artist.locator("#detail-like-count")).to_have_text("1 like")
    artist.locator("#detail-pin").click()
    expect(artist.locator("#detail-pin")).to_have_text("Unpin from profile")
    artist.locator("#detail-avatar").click()
    expect(artist.locator("#detail-avatar")).to_have_text("Your profile photo")
    shot(artist, tmp_path, "feed_detail_owner")
    artist.locator("#detail-close").click()
    artist.locator("#account-name").click()
    expect(artist.locator("#profile-name")).to_have_text(artist_name)
    expect(artist.locator("#profile-avatar img")).to_have_count(1)
    expect(artist.locator("#profile-pinned .feed-prompt")).to_have_text([circle])
    shot(artist, tmp_path, "profile_owner", full_page=True)
    visitor.goto(f"{platform.url}/u/{artist_name}")
    expect(visitor.locator("#profile-avatar img")).to_have_count(1)
    expect(visitor.locator("#profile-pinned .feed-card")).to_have_count(1)
    expect(visitor.locator("#profile-note")).to_have_text("")
    shot(visitor, tmp_path, "profile_visitor", full_page=True)
    assert viewer_name


def test_the_feed_shows_one_card_per_set_scrolls_on_and_sorts_by_likes(platform, browser, tmp_path) -> None:
    token = uuid.uuid4().hex[:8]
    page = _new_page(browser, platform.url)
    page.goto(platform.url)
    _, api_key = _sign_up_here(page, "prolific")
    user_id = page.evaluate("fetch('/api/v1/me').then(r => r.json()).then(me => me.user_id)")
    with platform.stack.sync_channel("billing") as channel:  # 32 images need more than free credits
        billing_pb2_grpc.BillingServiceStub(channel).ChangePlan(
            billing_pb2.ChangePlanRequest(user_id=user_id, plan="plus", actor="operator:e2e"), timeout=10
        )
    headers = {"Authorization": f"Bearer {api_key}"}
    sets: dict[str, list[str]] = {}
    for shape in ("circle", "square", "triangle", "star"):
        reply = httpx.post(
            f"{platform.url}/api/v1/generations",
            headers=headers,
            timeout=30,
            json={"prompt": f"a {shape} {token}", "num_images": 8, "steps": 2, "visibility": "public"},
        )
        assert reply.status_code == 202, reply.text
        generation_id = reply.json()["generation_id"]
        _wait(platform.url, headers, generation_id)
        generation = httpx.get(f"{platform.url}/api/v1/generations/{generation_id}", headers=headers, timeout=30)
        sets[shape] = [image["image_id"] for image in generation.json()["images"]]

    # One card per generation: a page of 24 images holds three sets; the fourth comes from the next
    # page, which three cards are too few to hide (the sentinel is in view); none comes twice.
    visitor = _new_page(browser, platform.url)
    visitor.goto(f"{platform.url}/#/feed")
    _search_until_found(visitor, token, 4)
    cards = visitor.locator("#feed-grid .feed-card")
    expect(cards.locator(".set-count")).to_have_text(["8 images"] * 4)
    expect(visitor.locator("#feed-grid .feed-prompt")).to_have_text([f"a {s} {token}" for s in reversed(sets)])
    expect(visitor.locator("#feed-more")).to_be_hidden()
    shot(visitor, tmp_path, "feed_cards_per_set", full_page=True)

    # A card opens its set in the panel; the strip moves through its images.
    cards.first.locator(".feed-open").click()
    strip = visitor.locator("#detail-set button")
    expect(strip).to_have_count(8)
    expect(visitor.locator('#detail-set button[aria-current="true"]')).to_have_count(1)
    strip.nth(3).click()
    expect(visitor.locator("#detail-img")).to_have_attribute("src", f"/api/v1/images/{sets['star'][3]}/content")
    expect(strip.nth(3)).to_have_attribute("aria-current", "true")
    shot(visitor, tmp_path, "feed_set_in_panel")
    visitor.locator("#detail-close").click()

    # Privacy: a card shows only the images of its set public now; a set all private disappears.
    made_private = httpx.post(
        f"{platform.url}/api/v1/images/visibility",
        headers=headers,
        timeout=30,
        json={"image_ids": sets["star"][5:] + sets["triangle"], "visibility": "private"},
    )
    assert made_private.status_code == 200 and not made_private.json()["refused"], made_private.text
    _search_until_found(visitor, token, 3)
    expect(visitor.locator("#feed-grid .feed-prompt")).to_have_text(
        [f"a {s} {token}" for s in ("star", "square", "circle")]
    )
    expect(cards.first.locator(".set-count")).to_have_text("5 images")
    cards.first.locator(".feed-open").click()
    expect(strip).to_have_count(5)
    visitor.locator("#detail-close").click()

    # Top: the one liked image's card comes first, over the window chosen.
    liked = cards.nth(2).get_attribute("data-image-id")
    assert httpx.post(f"{platform.url}/api/v1/images/{liked}/like", headers=headers, timeout=30).status_code == 200
    visitor.get_by_role("tab", name="Top").click()
    expect(visitor.locator("#feed-summary")).to_contain_text("Most liked this week")
    expect(cards.first).to_have_attribute("data-image-id", liked)
    expect(visitor.locator("#feed-grid .feed-likes").first).to_have_text("♥ 1")
    for choice, words in (("day", "Most liked today"), ("all", "Most liked of all time")):
        visitor.locator("#feed-window").select_option(choice)
        expect(visitor.locator("#feed-summary")).to_contain_text(words)
        expect(cards.first).to_have_attribute("data-image-id", liked)
    shot(visitor, tmp_path, "feed_top_all_time")

    # Signed in, a card is liked without opening it; the owner pins from their own card.
    visitor.get_by_role("link", name="Log in or sign up").click()
    _sign_up_here(visitor, "liker")
    visitor.get_by_role("link", name="Feed").click()
    visitor.get_by_role("tab", name="New").click()
    _search_until_found(visitor, token, 3)
    like = cards.first.locator(".card-like")
    expect(like).to_have_attribute("aria-pressed", "false")
    like.click()
    expect(like).to_have_attribute("aria-pressed", "true")
    expect(like).to_have_text("♥ 1")
    expect(cards.first.locator(".card-pin")).to_have_count(0)  # not theirs
    first_cover = cards.first.get_attribute("data-image-id")
    social = httpx.get(f"{platform.url}/api/v1/images/{first_cover}", headers=headers, timeout=30).json()
    assert social["like_count"] == 1
    page.goto(f"{platform.url}/#/feed")
    _search_until_found(page, token, 3)
    pin = page.locator("#feed-grid .feed-card").first.locator(".card-pin")
    expect(pin).to_have_text("Pin")
    pin.click()
    expect(pin).to_have_text("Pinned")
    shot(page, tmp_path, "feed_card_pinned")
    profile = httpx.get(f"{platform.url}/api/v1/users/{page.locator('#account-name').text_content()}", timeout=30)
    assert [item["image_id"] for item in profile.json()["pinned"]] == [first_cover]
