"""GET /api/v1/feed, likes, pins, reports and profiles over HTTP, against in-process fakes of the
feed, generation, visibility and billing services (tests/integration/gateway/feed_fake.py): shapes,
validation, who may do what, and the gateway's own re-check of every page."""

import pytest

from tests.integration.gateway.conftest import Gateway, SignedUp, SignUp

PROBLEM = "application/problem+json"
IMAGE_NOT_FOUND = "Image not found."


def image_of(gateway: Gateway, owner: SignedUp, prompt: str, visibility: str = "public") -> str:
    if visibility == "private":
        gateway.billing.set_plan(owner.user_id, "plus")
    generation = gateway.generation.add(owner.user_id, prompt=prompt, visibility=visibility, num_images=1)
    return gateway.generation.succeed(generation.generation_id)[0]


def make_private(gateway: Gateway, image_id: str) -> None:
    row = gateway.visibility.rows[image_id]
    row.visibility, row.version = 2, row.version + 1  # VISIBILITY_PRIVATE


def assert_image_not_found(response) -> None:
    assert response.status_code == 404, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["detail"] == IMAGE_NOT_FOUND


# ---- the feed


async def test_anonymous_visitors_get_public_images_with_owner_names(gateway: Gateway, alice: SignedUp) -> None:
    first = image_of(gateway, alice, "a red circle")
    second = image_of(gateway, alice, "a blue square")
    image_of(gateway, alice, "a private yellow star", "private")
    async with gateway.client() as anonymous:
        response = await anonymous.get("/api/v1/feed")
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "private, no-store"
    page = response.json()
    assert [item["image_id"] for item in page["items"]] == [second, first]
    assert page["next_cursor"] is None
    item = page["items"][0]
    assert item == {
        "image_id": second,
        "url": f"/api/v1/images/{second}/content",
        "prompt": "a blue square",
        "owner": {"username": "alice", "avatar_url": None},
        "like_count": 0,
        "liked_by_you": False,
        "created_at": item["created_at"],
        "width": 64,
        "height": 64,
        "owned_by_you": False,
        "visibility": "public",
    }
    assert "yellow star" not in response.text


async def test_search_sort_limit_and_cursor_go_to_the_feed(gateway: Gateway, alice: SignedUp, bob: SignedUp) -> None:
    for n in range(3):
        image_of(gateway, alice, f"a red circle number {n}")
    image_of(gateway, alice, "a green triangle")
    first = (await bob.client.get("/api/v1/feed", params={"q": "  red   circle ", "limit": 2})).json()
    assert [i["prompt"] for i in first["items"]] == ["a red circle number 2", "a red circle number 1"]
    assert first["next_cursor"]
    second = (
        await bob.client.get("/api/v1/feed", params={"q": "red circle", "limit": 2, "cursor": first["next_cursor"]})
    ).json()
    assert [i["prompt"] for i in second["items"]] == ["a red circle number 0"]
    assert second["next_cursor"] is None
    sent = gateway.feed.list_calls[0]
    assert (sent.query, sent.page_size, sent.viewer_id) == ("red circle", 2, bob.user_id)
    await bob.client.get("/api/v1/feed", params={"sort": "top"})
    assert gateway.feed.list_calls[-1].sort == 2  # FEED_SORT_TOP


@pytest.mark.parametrize(
    "params, field",
    [
        ({"sort": "best"}, "sort"),
        ({"limit": 0}, "limit"),
        ({"limit": 51}, "limit"),
        ({"q": "x" * 201}, "q"),
        ({"cursor": "not-a-cursor"}, "cursor"),
    ],
)
async def test_bad_feed_parameters_are_422(gateway: Gateway, params: dict, field: str) -> None:
    async with gateway.client() as anonymous:
        response = await anonymous.get("/api/v1/feed", params=params)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    assert [e["field"] for e in response.json()["errors"]] == [field]


async def test_the_gateway_drops_an_item_the_feed_should_not_have_returned(
    gateway: Gateway, alice: SignedUp, bob: SignedUp
) -> None:
    shown = image_of(gateway, alice, "a public moon")
    secret = image_of(gateway, alice, "a secret sun", "private")
    gateway.feed.leak.add(secret)  # a feed bug: the private image comes back in the page
    async with gateway.client() as anonymous:
        for client in (bob.client, anonymous):
            page = (await client.get("/api/v1/feed")).json()
            assert [item["image_id"] for item in page["items"]] == [shown]
            assert "secret sun" not in str(page)


async def test_a_private_avatar_is_shown_to_nobody_else(gateway: Gateway, alice: SignedUp, bob: SignedUp) -> None:
    picture = image_of(gateway, alice, "a portrait")
    assert (await alice.client.put("/api/v1/me/avatar", json={"image_id": picture}, headers=alice.csrf)).json() == {
        "avatar_image_id": picture,
        "avatar_url": f"/api/v1/images/{picture}/content?size=thumb",
    }
    page = (await bob.client.get("/api/v1/feed")).json()
    assert page["items"][0]["owner"]["avatar_url"] == f"/api/v1/images/{picture}/content?size=thumb"
    make_private(gateway, picture)
    image_of(gateway, alice, "a public landscape")
    page = (await bob.client.get("/api/v1/feed")).json()
    assert [item["owner"] for item in page["items"]] == [{"username": "alice", "avatar_url": None}]
    assert picture not in str(page)
    profile = (await bob.client.get("/api/v1/users/alice")).json()
    assert profile["avatar_url"] is None and picture not in str(profile)
    mine = (await alice.client.get("/api/v1/users/alice")).json()
    assert mine["avatar_url"] == f"/api/v1/images/{picture}/content?size=thumb"


async def test_the_feed_down_is_503(gateway: Gateway) -> None:
    gateway.feed.available = False
    async with gateway.client() as anonymous:
        response = await anonymous.get("/api/v1/feed")
    assert response.status_code == 503
    assert response.json()["detail"] == "The feed service is temporarily unavailable; please try again shortly."


# ---- likes


async def test_likes_on_public_and_own_images(gateway: Gateway, alice: SignedUp, bob: SignedUp) -> None:
    public = image_of(gateway, alice, "a public moon")
    liked = await bob.client.post(f"/api/v1/images/{public}/like", headers=bob.csrf)
    assert liked.status_code == 200 and liked.json() == {"image_id": public, "like_count": 1, "liked_by_you": True}
    again = await bob.client.post(f"/api/v1/images/{public}/like", headers=bob.csrf)
    assert again.json()["like_count"] == 1
    item = (await bob.client.get("/api/v1/feed")).json()["items"][0]
    assert (item["like_count"], item["liked_by_you"]) == (1, True)
    unliked = await bob.client.delete(f"/api/v1/images/{public}/like", headers=bob.csrf)
    assert unliked.json() == {"image_id": public, "like_count": 0, "liked_by_you": False}
    own_private = image_of(gateway, alice, "my secret", "private")
    mine = await alice.client.post(f"/api/v1/images/{own_private}/like", headers=alice.csrf)
    assert mine.status_code == 200 and mine.json()["like_count"] == 1


async def test_liking_what_you_may_not_see_is_the_same_404_and_anonymous_is_401(
    gateway: Gateway, alice: SignedUp, bob: SignedUp
) -> None:
    private = image_of(gateway, alice, "a secret sun", "private")
    for image_id in (private, "00000000-0000-0000-0000-000000000000", "not-an-id"):
        for method in ("post", "delete"):
            response = await getattr(bob.client, method)(f"/api/v1/images/{image_id}/like", headers=bob.csrf)
            assert_image_not_found(response)
    assert gateway.feed.likes.get(private, set()) == set()
    async with gateway.client() as anonymous:
        response = await anonymous.post(f"/api/v1/images/{private}/like")
    assert response.status_code == 401


async def test_a_like_without_the_csrf_token_is_refused(gateway: Gateway, alice: SignedUp, bob: SignedUp) -> None:
    public = image_of(gateway, alice, "a public moon")
    response = await bob.client.post(f"/api/v1/images/{public}/like")
    assert response.status_code == 403
    assert gateway.feed.likes.get(public, set()) == set()


# ---- pins


async def test_pins_are_for_own_images_and_show_on_the_profile(
    gateway: Gateway, alice: SignedUp, bob: SignedUp
) -> None:
    public = image_of(gateway, alice, "a public moon")
    private = image_of(gateway, alice, "a secret sun", "private")
    for image_id in (public, private):
        response = await alice.client.post(f"/api/v1/images/{image_id}/pin", headers=alice.csrf)
        assert response.status_code == 200 and response.json() == {"image_id": image_id, "pinned": True}
    assert_image_not_found(await bob.client.post(f"/api/v1/images/{public}/pin", headers=bob.csrf))
    assert_image_not_found(await bob.client.post(f"/api/v1/images/{private}/pin", headers=bob.csrf))
    assert_image_not_found(await bob.client.delete(f"/api/v1/images/{public}/pin", headers=bob.csrf))

    others = (await bob.client.get("/api/v1/users/alice")).json()
    assert [(i["image_id"], i["visibility"]) for i in others["pinned"]] == [(public, "public")]
    assert [i["image_id"] for i in others["images"]] == [public]
    assert others["is_you"] is False and "secret sun" not in str(others)
    mine = (await alice.client.get("/api/v1/users/Alice")).json()
    assert mine["is_you"] is True
    assert [(i["image_id"], i["visibility"]) for i in mine["pinned"]] == [(private, "private"), (public, "public")]
    assert [i["image_id"] for i in mine["images"]] == [public]

    unpinned = await alice.client.delete(f"/api/v1/images/{public}/pin", headers=alice.csrf)
    assert unpinned.json() == {"image_id": public, "pinned": False}
    assert (await bob.client.get("/api/v1/users/alice")).json()["pinned"] == []


# ---- reports


async def test_reports_are_received_and_hide_the_image_past_the_threshold(
    gateway: Gateway, sign_up: SignUp, alice: SignedUp, bob: SignedUp
) -> None:
    image_id = image_of(gateway, alice, "a reported picture")
    carol = await sign_up("carol")
    response = await bob.client.post(f"/api/v1/images/{image_id}/report", json={"reason": "  spam  "}, headers=bob.csrf)
    assert response.status_code == 202 and response.json() == {"image_id": image_id, "received": True}
    assert gateway.feed.reports[image_id] == {bob.user_id: "spam"}
    assert len((await bob.client.get("/api/v1/feed")).json()["items"]) == 1
    await carol.client.post(f"/api/v1/images/{image_id}/report", json={"reason": "offensive"}, headers=carol.csrf)
    assert (await bob.client.get("/api/v1/feed")).json()["items"] == []


@pytest.mark.parametrize(
    "body",
    [{}, {"reason": ""}, {"reason": "   "}, {"reason": "x" * 501}, {"reason": 5}, {"reason": "spam", "extra": 1}],
)
async def test_a_report_needs_a_reason_of_1_to_500_characters(
    gateway: Gateway, alice: SignedUp, bob: SignedUp, body: dict
) -> None:
    image_id = image_of(gateway, alice, "a picture")
    response = await bob.client.post(f"/api/v1/images/{image_id}/report", json=body, headers=bob.csrf)
    assert response.status_code == 422, response.text
    assert image_id not in gateway.feed.reports


async def test_reporting_what_you_may_not_see_is_404_and_anonymous_is_401(
    gateway: Gateway, alice: SignedUp, bob: SignedUp
) -> None:
    private = image_of(gateway, alice, "a secret", "private")
    assert_image_not_found(
        await bob.client.post(f"/api/v1/images/{private}/report", json={"reason": "spam"}, headers=bob.csrf)
    )
    async with gateway.client() as anonymous:
        response = await anonymous.post(f"/api/v1/images/{private}/report", json={"reason": "spam"})
    assert response.status_code == 401


# ---- profiles and avatars


async def test_profiles_of_unknown_users_are_404(gateway: Gateway) -> None:
    async with gateway.client() as anonymous:
        for name in ("nobody_here", "x" * 100):
            response = await anonymous.get(f"/api/v1/users/{name}")
            assert response.status_code == 404
            assert response.json()["detail"] == "User not found."


async def test_a_profile_page_serves_the_app(gateway: Gateway, alice: SignedUp) -> None:
    async with gateway.client() as anonymous:
        response = await anonymous.get("/u/alice")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in response.headers["content-security-policy"]


async def test_the_profile_photo_must_be_my_own_image(gateway: Gateway, alice: SignedUp, bob: SignedUp) -> None:
    public = image_of(gateway, alice, "a public portrait")
    private = image_of(gateway, alice, "a private portrait", "private")
    for image_id in (public, private, "00000000-0000-0000-0000-000000000000"):
        assert_image_not_found(await bob.client.put("/api/v1/me/avatar", json={"image_id": image_id}, headers=bob.csrf))
    bad = await bob.client.put("/api/v1/me/avatar", json={"image_id": "nope"}, headers=bob.csrf)
    assert bad.status_code == 422
    assert (await bob.client.get("/api/v1/me")).json()["avatar_image_id"] is None
    own = await alice.client.put("/api/v1/me/avatar", json={"image_id": private}, headers=alice.csrf)
    assert own.status_code == 200
    assert (await alice.client.get("/api/v1/me")).json()["avatar_image_id"] == private
    # A private photo shows to its owner only.
    assert (await bob.client.get("/api/v1/users/alice")).json()["avatar_url"] is None
    assert (await alice.client.get("/api/v1/users/alice")).json()["avatar_url"]
    removed = await alice.client.delete("/api/v1/me/avatar", headers=alice.csrf)
    assert removed.status_code == 204
    assert (await alice.client.get("/api/v1/me")).json()["avatar_image_id"] is None


async def test_a_just_made_private_image_leaves_the_owners_public_list(gateway: Gateway, alice: SignedUp) -> None:
    image_id = image_of(gateway, alice, "soon private")
    gateway.billing.set_plan(alice.user_id, "plus")
    make_private(gateway, image_id)
    gateway.feed.leak.add(image_id)  # the feed's index has not caught up yet
    mine = (await alice.client.get("/api/v1/users/alice")).json()
    assert mine["images"] == []
