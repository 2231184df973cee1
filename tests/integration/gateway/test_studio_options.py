"""GET/PUT /api/v1/me/studio-options: the prompt box's advanced options each user left last time.
Owner only, never cached, validated like a generation request, and nothing half-written."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.asyncio

PATH = "/api/v1/me/studio-options"
DEFAULTS = {
    "negative_prompt": "",
    "seed": None,
    "seed_locked": False,
    "magic_prompt": False,
    "color_palette": [],
    "aspect_ratio": "1:1",
    "num_images": 4,
    "drawer_open": False,
}
CHOSEN = {
    "negative_prompt": "blurry, text",
    "seed": 1234,
    "seed_locked": True,
    "magic_prompt": True,
    "color_palette": ["#0f4c81", "#3fa7d6"],
    "aspect_ratio": "16:9",
    "num_images": 2,
    "drawer_open": True,
}


async def test_options_are_kept_for_their_owner_only(gateway, sign_up) -> None:
    alice = await sign_up("alice")
    bob = await sign_up("bob")

    first = await alice.client.get(PATH)
    assert first.status_code == 200 and first.json() == DEFAULTS

    saved = await alice.client.put(PATH, json=CHOSEN, headers=alice.csrf)
    assert saved.status_code == 200, saved.text
    assert saved.json() == CHOSEN
    again = await alice.client.get(PATH)
    assert again.json() == CHOSEN
    assert again.headers["cache-control"] == "private, no-store"
    assert (await alice.client.get(PATH, headers=alice.bearer)).json() == CHOSEN

    assert (await bob.client.get(PATH)).json() == DEFAULTS  # nobody else's, and no way to name another user


async def test_an_unlocked_seed_is_not_kept(gateway, sign_up) -> None:
    alice = await sign_up("alice")
    saved = await alice.client.put(PATH, json={**CHOSEN, "seed_locked": False}, headers=alice.csrf)
    assert saved.json()["seed"] is None
    assert (await alice.client.get(PATH)).json()["seed"] is None


async def test_anonymous_callers_have_no_options(gateway) -> None:
    async with gateway.client() as anonymous:
        assert (await anonymous.get(PATH)).status_code == 401
        assert (await anonymous.put(PATH, json=CHOSEN)).status_code in (401, 403)


@pytest.mark.parametrize(
    "bad",
    [
        {"seed": -1},
        {"seed": 2**32},
        {"seed": "12"},
        {"color_palette": ["red"]},
        {"color_palette": ["#000000"] * 9},
        {"aspect_ratio": "2:1"},
        {"num_images": 9},
        {"negative_prompt": "x" * 1001},
        {"surprise": True},
    ],
)
async def test_bad_options_are_refused_and_nothing_is_written(gateway, sign_up, bad) -> None:
    alice = await sign_up("alice")
    await alice.client.put(PATH, json=CHOSEN, headers=alice.csrf)
    refused = await alice.client.put(PATH, json={**CHOSEN, **bad}, headers=alice.csrf)
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert (await alice.client.get(PATH)).json() == CHOSEN
