"""The feed, social actions, profiles, remix and lineage through the public HTTP API on the real
platform (billing, visibility, feed, generation API and worker, gateway; real Postgres, NATS
JetStream, the S3 store and Triton). Generations are one image of two steps. The feed runs with a
report threshold of 2 (ATELIER_FEED_REPORT_THRESHOLD), every report weighing 1 (the test's accounts
are minutes old; test_feed_service covers the weights)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest

from tests.integration.test_privacy_support import ANONYMOUS, Account, Platform, running_platform
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration

PROJECTION_TIMEOUT_S = 20.0
IMAGE_NOT_FOUND = "Image not found."


@pytest.fixture(scope="module")
def platform(postgres_url, object_store, triton_url) -> Iterator[Platform]:
    with running_platform(
        postgres_url,
        object_store,
        triton_url,
        ATELIER_FEED_REPORT_THRESHOLD="2",
        ATELIER_FEED_NEW_REPORTER_WEIGHT="1",
    ) as running:
        yield running


def token() -> str:
    return f"t{uuid.uuid4().hex[:10]}"


def feed(platform: Platform, headers: dict[str, str], **params) -> dict:
    reply = platform.http.get("/api/v1/feed", params=params, headers=headers)
    assert reply.status_code == 200, reply.text
    return reply.json()


def feed_ids(platform: Platform, headers: dict[str, str], **params) -> list[str]:
    return [item["image_id"] for item in feed(platform, headers, limit=50, **params)["items"]]


def profile(platform: Platform, username: str, headers: dict[str, str]) -> dict:
    reply = platform.http.get(f"/api/v1/users/{username}", headers=headers)
    assert reply.status_code == 200, reply.text
    return reply.json()


def eventually(check: Callable[[], bool], what: str, timeout: float = PROJECTION_TIMEOUT_S) -> None:
    """The feed is a projection of events: a new image reaches it within moments, not at once."""
    wait_until(check, what, timeout, interval=0.2)


def one_image(platform: Platform, user: Account, prompt: str, visibility: str | None = None) -> str:
    [image] = platform.generate(user, prompt, visibility)["images"]
    return image["image_id"]


def plus_user(platform: Platform, prefix: str) -> Account:
    user = platform.sign_up(prefix)
    platform.change_plan(user, "plus")
    return user


def assert_not_found(reply) -> None:
    assert reply.status_code == 404, (reply.status_code, reply.text)
    assert reply.json()["detail"] == IMAGE_NOT_FOUND


def test_anonymous_visitors_browse_and_search_a_feed_of_public_images_only(platform: Platform) -> None:
    artist, hermit = platform.sign_up("artist"), plus_user(platform, "hermit")
    shared, hidden = token(), token()
    public = one_image(platform, artist, f"a red circle on a blue background {shared}")
    private = one_image(platform, hermit, f"a yellow star {hidden}", "private")
    eventually(lambda: public in feed_ids(platform, ANONYMOUS), "the public image in the feed")

    page = feed(platform, ANONYMOUS, q=shared)
    [item] = page["items"]
    assert item["image_id"] == public and item["owner"] == {"username": artist.username, "avatar_url": None}
    assert item["liked_by_you"] is False and item["owned_by_you"] is False and item["visibility"] == "public"
    assert item["width"] > 0 and item["height"] > 0 and item["prompt"].endswith(shared)
    for headers in (ANONYMOUS, artist.headers):
        assert feed(platform, headers, q=hidden)["items"] == []
        for sort in ("new", "top"):
            page = feed(platform, headers, sort=sort, limit=50)
            assert private not in str(page) and hidden not in str(page)
        assert hidden not in str(profile(platform, hermit.username, headers))
    assert private not in feed_ids(platform, hermit.headers)  # the feed is public images, for owners too

    # Keyset pages: one item a page, every public image exactly once.
    seen: list[str] = []
    cursor = None
    for _ in range(200):
        page = feed(platform, ANONYMOUS, limit=1, **({"cursor": cursor} if cursor else {}))
        seen += [i["image_id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert public in seen and private not in seen and len(seen) == len(set(seen))


def test_a_private_toggle_removes_the_image_from_feed_search_profile_and_avatar_at_once(platform: Platform) -> None:
    owner, viewer = plus_user(platform, "owner"), platform.sign_up("viewer")
    word = token()
    image_id = one_image(platform, owner, f"a green triangle {word}", "public")
    eventually(lambda: image_id in feed_ids(platform, ANONYMOUS, q=word), "the image in search")
    assert platform.http.post(f"/api/v1/images/{image_id}/pin", headers=owner.headers).status_code == 200
    avatar = platform.http.put("/api/v1/me/avatar", json={"image_id": image_id}, headers=owner.headers)
    assert avatar.status_code == 200, avatar.text
    for headers in (ANONYMOUS, viewer.headers):
        shown = profile(platform, owner.username, headers)
        assert shown["avatar_url"] == f"/api/v1/images/{image_id}/content?size=thumb"
        assert [i["image_id"] for i in shown["pinned"]] == [image_id]
        assert [i["image_id"] for i in shown["images"]] == [image_id]
        assert image_id in feed_ids(platform, headers)
        assert platform.http.get(shown["avatar_url"], headers=headers).status_code == 200

    assert platform.set_visibility(owner, image_id, "private").status_code == 200
    # The very next requests: gone from the feed, the search, the profile (pinned and listed) and
    # the avatar, for anonymous visitors and other users alike.
    for headers in (ANONYMOUS, viewer.headers):
        assert image_id not in feed_ids(platform, headers)
        assert feed(platform, headers, q=word)["items"] == []
        assert image_id not in feed_ids(platform, headers, sort="top")
        shown = profile(platform, owner.username, headers)
        assert shown == {
            "username": owner.username,
            "avatar_url": None,
            "is_you": False,
            "pinned": [],
            "images": [],
            "next_cursor": None,
        }
        assert platform.http.get(f"/api/v1/images/{image_id}/content?size=thumb", headers=headers).status_code == 404
    mine = profile(platform, owner.username, owner.headers)
    assert mine["is_you"] is True and mine["avatar_url"]
    assert [(i["image_id"], i["visibility"]) for i in mine["pinned"]] == [(image_id, "private")]
    assert mine["images"] == []

    assert platform.set_visibility(owner, image_id, "public").status_code == 200
    eventually(lambda: image_id in feed_ids(platform, ANONYMOUS, q=word), "the image back in search")
    assert profile(platform, owner.username, ANONYMOUS)["avatar_url"]


def test_likes_pins_and_remixes_of_what_you_may_not_see_are_404(platform: Platform) -> None:
    owner, other = plus_user(platform, "keeper"), platform.sign_up("other")
    public = one_image(platform, owner, f"a blue square {token()}", "public")
    private = one_image(platform, owner, f"a secret moon {token()}", "private")
    eventually(lambda: public in feed_ids(platform, ANONYMOUS), "the public image in the feed")

    for method in ("post", "delete"):
        assert_not_found(platform.http.request(method, f"/api/v1/images/{private}/like", headers=other.headers))
        assert_not_found(platform.http.request(method, f"/api/v1/images/{private}/pin", headers=other.headers))
        assert_not_found(platform.http.request(method, f"/api/v1/images/{public}/pin", headers=other.headers))
    assert_not_found(
        platform.http.post(f"/api/v1/images/{private}/remix", json={"prompt": "mine"}, headers=other.headers)
    )
    assert_not_found(
        platform.http.post(f"/api/v1/images/{private}/report", json={"reason": "spam"}, headers=other.headers)
    )
    assert platform.http.post(f"/api/v1/images/{public}/like").status_code == 401

    liked = platform.http.post(f"/api/v1/images/{public}/like", headers=other.headers)
    assert liked.status_code == 200 and liked.json()["like_count"] == 1
    [item] = [i for i in feed(platform, other.headers, limit=50)["items"] if i["image_id"] == public]
    assert (item["like_count"], item["liked_by_you"]) == (1, True)
    detail = platform.http.get(f"/api/v1/images/{public}", headers=other.headers).json()
    assert (detail["like_count"], detail["liked_by_you"]) == (1, True)
    assert detail["recipe"]["prompt"].startswith("a blue square") and isinstance(detail["recipe"]["seed"], int)
    assert platform.http.post(f"/api/v1/images/{private}/like", headers=owner.headers).status_code == 200
    share = platform.http.get(f"/api/v1/images/{private}/share", headers=owner.headers).json()
    assert share["works_for"] == "owner_only"
    assert_not_found(platform.http.get(f"/api/v1/images/{private}/share", headers=other.headers))
    assert platform.http.get(f"/api/v1/images/{public}/share").json()["works_for"] == "anyone"


def test_an_image_reported_past_the_threshold_leaves_the_feed(platform: Platform) -> None:
    owner = platform.sign_up("reported")
    word = token()
    image_id = one_image(platform, owner, f"a purple hexagon {word}")
    eventually(lambda: image_id in feed_ids(platform, ANONYMOUS, q=word), "the image in search")
    first, second = platform.sign_up("r1"), platform.sign_up("r2")
    reply = platform.http.post(f"/api/v1/images/{image_id}/report", json={"reason": "spam"}, headers=first.headers)
    assert reply.status_code == 202 and reply.json() == {"image_id": image_id, "received": True}
    assert image_id in feed_ids(platform, ANONYMOUS, q=word)  # one report: still shown (threshold 2)
    platform.http.post(f"/api/v1/images/{image_id}/report", json={"reason": "offensive"}, headers=second.headers)
    for headers in (ANONYMOUS, first.headers, owner.headers):
        assert image_id not in feed_ids(platform, headers)
        assert feed(platform, headers, q=word)["items"] == []
    assert platform.http.get(f"/api/v1/images/{image_id}").status_code == 200  # hidden from the feed only


def altered(text: str) -> str:
    """One character in the middle changed: it carries six whole bits, so the decoded bytes change
    (the last base64 characters may carry padding bits, and may already read "AA")."""
    middle = len(text) // 2
    return text[:middle] + ("B" if text[middle] == "A" else "A") + text[middle + 1 :]


def test_a_feed_cursor_pages_and_an_altered_one_is_a_422(platform: Platform) -> None:
    owner = platform.sign_up("paged")
    word = token()
    images = [one_image(platform, owner, f"a green star {word}") for _ in range(2)]
    eventually(lambda: set(images) <= set(feed_ids(platform, ANONYMOUS, q=word)), "both images in search")
    first = feed(platform, ANONYMOUS, q=word, limit=1)
    second = feed(platform, ANONYMOUS, q=word, limit=1, cursor=first["next_cursor"])
    assert {first["items"][0]["image_id"], second["items"][0]["image_id"]} == set(images)
    payload, signature = first["next_cursor"].split(".")
    for cursor in (payload, f"{altered(payload)}.{signature}", f"{payload}.{altered(signature)}"):
        refused = platform.http.get("/api/v1/feed", params={"q": word, "limit": 1, "cursor": cursor})
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["detail"].startswith("cursor: forged or altered")


def test_lineage_is_shown_to_a_viewer_only_while_the_source_is_visible(platform: Platform) -> None:
    author, remixer = plus_user(platform, "author"), platform.sign_up("remixer")
    source = one_image(platform, author, "a red circle on a blue background", "public")
    accepted = platform.http.post(
        f"/api/v1/images/{source}/remix",
        json={"prompt": "a red circle on a green background", "strength": 0.5, "num_images": 1, "steps": 2},
        headers=remixer.headers,
    )
    assert accepted.status_code == 202, accepted.text
    generation = platform.wait(remixer, accepted.json()["generation_id"])
    assert generation["status"] == "succeeded", generation
    assert generation["params"]["source_image_id"] == source
    [remix] = [image["image_id"] for image in generation["images"]]

    for headers in (ANONYMOUS, remixer.headers, author.headers):
        shown = platform.http.get(f"/api/v1/images/{remix}", headers=headers).json()
        assert shown["remixed_from"] == {
            "image_id": source,
            "url": f"/api/v1/images/{source}/content",
            "by": "remix",
        }

    assert platform.set_visibility(author, source, "private").status_code == 200
    for headers in (ANONYMOUS, remixer.headers):
        reply = platform.http.get(f"/api/v1/images/{remix}", headers=headers)
        assert reply.status_code == 200 and "remixed_from" not in reply.json() and source not in reply.text
    assert (
        platform.http.get(f"/api/v1/images/{remix}", headers=author.headers).json()["remixed_from"]["image_id"]
        == source
    )
    # The remixer's own generation no longer names it either.
    mine = platform.http.get(f"/api/v1/generations/{generation['generation_id']}", headers=remixer.headers)
    assert mine.status_code == 200 and mine.json()["params"]["source_image_id"] is None and source not in mine.text

    # A retried remix needs its source: now private, it is "not found" to the remixer.
    retry = platform.http.post(f"/api/v1/generations/{generation['generation_id']}/retry", headers=remixer.headers)
    assert retry.status_code == 404 and retry.json()["detail"] == "Source image not found."


def test_a_retry_runs_the_same_prompt_again_for_the_owner_only(platform: Platform) -> None:
    owner, other = platform.sign_up("retrier"), platform.sign_up("stranger")
    first = platform.generate(owner, f"a white cross {token()}")
    assert (
        platform.http.post(f"/api/v1/generations/{first['generation_id']}/retry", headers=other.headers).status_code
        == 404
    )
    reply = platform.http.post(f"/api/v1/generations/{first['generation_id']}/retry", headers=owner.headers)
    assert reply.status_code == 202, reply.text
    again = platform.wait(owner, reply.json()["generation_id"])
    assert again["status"] == "succeeded" and again["prompt"] == first["prompt"]
    assert again["params"]["num_images"] == 1 and again["params"]["aspect_ratio"] == first["params"]["aspect_ratio"]


def test_a_retry_keeps_a_seed_the_owner_chose_and_draws_a_new_one_otherwise(platform: Platform) -> None:
    owner = platform.sign_up("seeder")

    def retried(generation_id: str) -> dict:
        reply = platform.http.post(f"/api/v1/generations/{generation_id}/retry", headers=owner.headers)
        assert reply.status_code == 202, reply.text
        return platform.wait(owner, reply.json()["generation_id"])  # the free plan runs one at a time

    body = {"prompt": f"a black dot {token()}", "num_images": 1, "steps": 2, "seed": 987654321}
    accepted = platform.http.post("/api/v1/generations", json=body, headers=owner.headers)
    assert accepted.status_code == 202, accepted.text
    chosen = platform.wait(owner, accepted.json()["generation_id"])
    assert retried(chosen["generation_id"])["params"]["seed"] == 987654321

    drawn = platform.generate(owner, f"a black dot {token()}")
    assert retried(drawn["generation_id"])["params"]["seed"] != drawn["params"]["seed"]
