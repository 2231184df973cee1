"""GET /api/v1/feed/sets (one card per generation) and the Top window, against the in-process fakes:
a card carries only the images of its set that are public at the request; a set whose images all
went private disappears; the window reaches the feed service."""

import pytest

from atelier.feed.v1 import feed_pb2
from tests.integration.gateway.conftest import Gateway, SignedUp


def generation_of(gateway: Gateway, owner: SignedUp, prompt: str, images: int) -> list[str]:
    generation = gateway.generation.add(owner.user_id, prompt=prompt, num_images=images)
    return gateway.generation.succeed(generation.generation_id)


def make_private(gateway: Gateway, image_id: str) -> None:
    row = gateway.visibility.rows[image_id]
    row.visibility, row.version = 2, row.version + 1  # VISIBILITY_PRIVATE


def set_ids(card: dict) -> list[str]:
    return [image["image_id"] for image in card["set_images"]]


async def test_one_card_per_generation_with_its_public_images(gateway: Gateway, alice: SignedUp) -> None:
    circles = generation_of(gateway, alice, "a red circle", 3)
    squares = generation_of(gateway, alice, "a blue square", 2)
    async with gateway.client() as anonymous:
        response = await anonymous.get("/api/v1/feed/sets")
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "private, no-store"
        cards = response.json()["items"]
        assert [card["image_id"] for card in cards] == [squares[0], circles[0]]
        assert [set_ids(card) for card in cards] == [squares, circles]
        assert cards[1]["prompt"] == "a red circle" and cards[1]["owner"]["username"] == "alice"
        assert cards[1]["pinned"] is None  # not yours: nothing said
        assert (await alice.client.post(f"/api/v1/images/{circles[0]}/pin", headers=alice.csrf)).status_code == 200
        mine = (await alice.client.get("/api/v1/feed/sets")).json()["items"]
        assert [(card["owned_by_you"], card["pinned"]) for card in mine] == [(True, False), (True, True)]
        assert cards[1]["set_images"][0] == {
            "image_id": circles[0],
            "url": f"/api/v1/images/{circles[0]}/content",
            "width": 64,
            "height": 64,
        }

        # One image of a set made private: the card shows the others only (to its owner too: the feed is public).
        make_private(gateway, circles[1])
        for client in (anonymous, alice.client):
            cards = (await client.get("/api/v1/feed/sets")).json()["items"]
            assert [set_ids(card) for card in cards] == [squares, [circles[0], circles[2]]]

        # The cover made private: the next public image of the set stands for it.
        make_private(gateway, circles[0])
        cards = (await anonymous.get("/api/v1/feed/sets")).json()["items"]
        assert [(card["image_id"], set_ids(card)) for card in cards] == [
            (squares[0], squares),
            (circles[2], [circles[2]]),
        ]

        # Every image of a set private: the set is gone.
        make_private(gateway, circles[2])
        response = await anonymous.get("/api/v1/feed/sets")
        assert [card["image_id"] for card in response.json()["items"]] == [squares[0]]
        assert "red circle" not in response.text


async def test_a_set_split_over_two_pages_comes_again_with_the_same_images(gateway: Gateway, alice: SignedUp) -> None:
    circles = generation_of(gateway, alice, "a red circle", 3)
    async with gateway.client() as anonymous:
        first = (await anonymous.get("/api/v1/feed/sets", params={"limit": 2})).json()
        second = (await anonymous.get("/api/v1/feed/sets", params={"limit": 2, "cursor": first["next_cursor"]})).json()
    assert [set_ids(card) for card in first["items"]] == [circles]
    assert [(card["image_id"], set_ids(card)) for card in second["items"]] == [(circles[2], circles)]
    assert second["next_cursor"] is None


@pytest.mark.parametrize(
    ("window", "hours", "all_time"), [(None, 168, False), ("day", 24, False), ("week", 168, False), ("all", 0, True)]
)
async def test_the_top_window_reaches_the_feed(
    gateway: Gateway, window: str | None, hours: int, all_time: bool
) -> None:
    params = {"sort": "top"} | ({"window": window} if window else {})
    async with gateway.client() as anonymous:
        for path in ("/api/v1/feed", "/api/v1/feed/sets"):
            assert (await anonymous.get(path, params=params)).status_code == 200
            call = gateway.feed.list_calls[-1]
            assert (call.sort, call.window_hours, call.all_time) == (feed_pb2.FEED_SORT_TOP, hours, all_time)


async def test_an_unknown_window_is_422(gateway: Gateway) -> None:
    async with gateway.client() as anonymous:
        response = await anonymous.get("/api/v1/feed/sets", params={"sort": "top", "window": "month"})
    assert response.status_code == 422
