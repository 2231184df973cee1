"""Remix, retry, and what GET /api/v1/images/{id} shows of how an image was made (recipe, likes,
lineage), against the in-process fakes."""

import pytest

from atelier.common.v1 import visibility_pb2
from tests.integration.gateway.conftest import Gateway, SignedUp

IMAGE_NOT_FOUND = "Image not found."


def image_of(gateway: Gateway, owner: SignedUp, prompt: str, visibility: str = "public", **params) -> str:
    if visibility == "private":
        gateway.billing.set_plan(owner.user_id, "plus")
    generation = gateway.generation.add(owner.user_id, prompt=prompt, visibility=visibility, num_images=1)
    for name, value in params.items():
        if isinstance(value, list):
            getattr(generation.params, name).extend(value)
        else:
            setattr(generation.params, name, value)
    return gateway.generation.succeed(generation.generation_id)[0]


def set_visibility(gateway: Gateway, image_id: str, visibility: str) -> None:
    row = gateway.visibility.rows[image_id]
    row.visibility = visibility_pb2.VISIBILITY_PRIVATE if visibility == "private" else visibility_pb2.VISIBILITY_PUBLIC
    row.version += 1


# ---- remix


async def test_a_public_image_can_be_remixed_by_anyone_signed_in(
    gateway: Gateway, alice: SignedUp, bob: SignedUp
) -> None:
    source = image_of(gateway, alice, "a red circle")
    response = await bob.client.post(
        f"/api/v1/images/{source}/remix",
        json={"prompt": "a red circle, in watercolour", "strength": 0.35},
        headers=bob.csrf,
    )
    assert response.status_code == 202, response.text
    assert response.headers["location"] == f"/api/v1/generations/{response.json()['generation_id']}"
    [sent] = gateway.generation.submissions
    assert sent.owner_id == bob.user_id
    assert sent.params.source_image_id == source
    assert sent.params.prompt == "a red circle, in watercolour"
    assert sent.params.strength == pytest.approx(0.35)
    assert sent.params.aspect_ratio == "1:1"  # the source's (64 x 64)
    assert gateway.generation.accepted[0].visibility == visibility_pb2.VISIBILITY_PUBLIC  # bob is on the free plan


async def test_remix_defaults_and_plan_rules(gateway: Gateway, alice: SignedUp, bob: SignedUp) -> None:
    source = image_of(gateway, alice, "a red circle")
    response = await bob.client.post(
        f"/api/v1/images/{source}/remix", json={"prompt": "blue", "strength": 1}, headers=bob.csrf
    )
    assert response.status_code == 202, response.text
    assert gateway.generation.submissions[-1].params.strength == 1.0
    refused = await bob.client.post(
        f"/api/v1/images/{source}/remix", json={"prompt": "blue", "visibility": "private"}, headers=bob.csrf
    )
    assert refused.status_code == 403
    assert refused.json()["detail"] == "Private generations need the Plus plan or higher."
    await bob.client.post(f"/api/v1/images/{source}/remix", json={"prompt": "no strength"}, headers=bob.csrf)
    assert gateway.generation.submissions[-1].params.strength == 0.0  # the model's default


async def test_a_generation_with_a_source_image_takes_a_strength_too(
    gateway: Gateway, alice: SignedUp, bob: SignedUp
) -> None:
    source = image_of(gateway, alice, "a red circle")
    response = await bob.client.post(
        "/api/v1/generations", json={"prompt": "blue", "source_image_id": source, "strength": 0.25}, headers=bob.csrf
    )
    assert response.status_code == 202, response.text
    sent = gateway.generation.submissions[-1].params
    assert (sent.source_image_id, sent.strength) == (source, pytest.approx(0.25))
    bad = await bob.client.post(
        "/api/v1/generations", json={"prompt": "blue", "source_image_id": source, "strength": 2}, headers=bob.csrf
    )
    assert bad.status_code == 422


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"prompt": ""},
        {"prompt": "   "},
        {"prompt": "x" * 1001},
        {"prompt": "a", "strength": 0},
        {"prompt": "a", "strength": 1.5},
        {"prompt": "a", "strength": "high"},
        {"prompt": "a", "source_image_id": "x"},
    ],
)
async def test_a_remix_needs_a_prompt_and_a_strength_in_range(
    gateway: Gateway, alice: SignedUp, bob: SignedUp, body: dict
) -> None:
    source = image_of(gateway, alice, "a red circle")
    response = await bob.client.post(f"/api/v1/images/{source}/remix", json=body, headers=bob.csrf)
    assert response.status_code == 422, response.text
    assert gateway.generation.submissions == []


async def test_remixing_what_you_may_not_see_is_the_same_404(gateway: Gateway, alice: SignedUp, bob: SignedUp) -> None:
    private = image_of(gateway, alice, "a secret sun", "private")
    for image_id in (private, "00000000-0000-0000-0000-000000000000", "nope"):
        response = await bob.client.post(
            f"/api/v1/images/{image_id}/remix", json={"prompt": "mine now"}, headers=bob.csrf
        )
        assert response.status_code == 404 and response.json()["detail"] == IMAGE_NOT_FOUND
    assert gateway.generation.submissions == []
    own = await alice.client.post(f"/api/v1/images/{private}/remix", json={"prompt": "again"}, headers=alice.csrf)
    assert own.status_code == 202
    async with gateway.client() as anonymous:
        assert (await anonymous.post(f"/api/v1/images/{private}/remix", json={"prompt": "x"})).status_code == 401


# ---- retry


async def test_a_retry_repeats_the_prompt_and_options_with_a_new_seed(gateway: Gateway, alice: SignedUp) -> None:
    body = {
        "prompt": "a red circle",
        "negative_prompt": "blur",
        "num_images": 2,
        "aspect_ratio": "16:9",
        "color_palette": ["#ff0000"],
        "magic_prompt": True,
        "steps": 3,
    }
    accepted = await alice.client.post("/api/v1/generations", json=body, headers=alice.csrf)
    original = accepted.json()["generation_id"]
    gateway.generation.succeed(original)  # the free plan runs one at a time
    response = await alice.client.post(f"/api/v1/generations/{original}/retry", headers=alice.csrf)
    assert response.status_code == 202, response.text
    assert response.json()["generation_id"] != original
    first, retried = gateway.generation.submissions
    assert retried.params.prompt == "a red circle" and retried.params.negative_prompt == "blur"
    assert (retried.params.num_images, retried.params.aspect_ratio, retried.params.steps) == (2, "16:9", 3)
    assert list(retried.params.color_palette) == ["#ff0000"] and retried.params.magic_prompt
    assert not retried.params.HasField("seed")  # drawn anew: the user did not choose it
    # The original's visibility, not a new choice to remember.
    assert retried.visibility == gateway.generation.accepted[0].visibility and retried.visibility_copied


async def test_a_retry_keeps_a_seed_the_user_chose(gateway: Gateway, alice: SignedUp) -> None:
    accepted = await alice.client.post(
        "/api/v1/generations", json={"prompt": "a red circle", "seed": 42}, headers=alice.csrf
    )
    gateway.generation.succeed(accepted.json()["generation_id"])  # the free plan runs one at a time
    retried = await alice.client.post(
        f"/api/v1/generations/{accepted.json()['generation_id']}/retry", headers=alice.csrf
    )
    gateway.generation.succeed(retried.json()["generation_id"])
    again = await alice.client.post(f"/api/v1/generations/{retried.json()['generation_id']}/retry", headers=alice.csrf)
    assert again.status_code == 202
    assert [s.params.seed for s in gateway.generation.submissions] == [42, 42, 42]


async def test_only_the_owner_may_retry(gateway: Gateway, alice: SignedUp, bob: SignedUp) -> None:
    accepted = await alice.client.post("/api/v1/generations", json={"prompt": "a red circle"}, headers=alice.csrf)
    generation_id = accepted.json()["generation_id"]
    for target in (generation_id, "00000000-0000-0000-0000-000000000000", "nope"):
        response = await bob.client.post(f"/api/v1/generations/{target}/retry", headers=bob.csrf)
        assert response.status_code == 404 and response.json()["detail"] == "Generation not found."
    async with gateway.client() as anonymous:
        assert (await anonymous.post(f"/api/v1/generations/{generation_id}/retry")).status_code == 401
    assert len(gateway.generation.submissions) == 1


async def test_a_private_generation_retried_after_a_lapse_is_refused(gateway: Gateway, alice: SignedUp) -> None:
    gateway.billing.set_plan(alice.user_id, "plus")
    accepted = await alice.client.post(
        "/api/v1/generations", json={"prompt": "secret", "visibility": "private"}, headers=alice.csrf
    )
    gateway.billing.lapse(alice.user_id)
    response = await alice.client.post(
        f"/api/v1/generations/{accepted.json()['generation_id']}/retry", headers=alice.csrf
    )
    assert response.status_code == 403
    assert len(gateway.generation.accepted) == 1


async def test_a_retried_remix_needs_its_source_still_visible(gateway: Gateway, alice: SignedUp, bob: SignedUp) -> None:
    source = image_of(gateway, alice, "a red circle")
    remix = await bob.client.post(f"/api/v1/images/{source}/remix", json={"prompt": "blue"}, headers=bob.csrf)
    gateway.billing.set_plan(alice.user_id, "plus")
    set_visibility(gateway, source, "private")
    response = await bob.client.post(f"/api/v1/generations/{remix.json()['generation_id']}/retry", headers=bob.csrf)
    assert response.status_code == 404 and response.json()["detail"] == "Source image not found."


# ---- what the image shows


async def test_anyone_who_may_see_an_image_gets_its_recipe(gateway: Gateway, alice: SignedUp, bob: SignedUp) -> None:
    image_id = image_of(
        gateway, alice, "a red circle", negative_prompt="blur", color_palette=["#112233"], aspect_ratio="4:3"
    )
    gateway.generation.generations[gateway.generation.images[image_id].generation_id].magic_prompt = "a vivid circle"
    async with gateway.client() as anonymous:
        for client in (anonymous, bob.client):
            body = (await client.get(f"/api/v1/images/{image_id}")).json()
            assert body["recipe"] == {
                "prompt": "a red circle",
                "magic_prompt": "a vivid circle",
                "negative_prompt": "blur",
                "color_palette": ["#112233"],
                "aspect_ratio": "4:3",
                "seed": gateway.generation.images[image_id].seed,
            }
            assert not {"generation_id", "seed", "content_type", "pinned"} & body.keys()
            assert body["like_count"] == 0
        assert "liked_by_you" not in (await anonymous.get(f"/api/v1/images/{image_id}")).json()
    await bob.client.post(f"/api/v1/images/{image_id}/like", headers=bob.csrf)
    seen_by_bob = (await bob.client.get(f"/api/v1/images/{image_id}")).json()
    assert (seen_by_bob["like_count"], seen_by_bob["liked_by_you"]) == (1, True)
    owner_view = (await alice.client.get(f"/api/v1/images/{image_id}")).json()
    assert owner_view["pinned"] is False and owner_view["seed"] == owner_view["recipe"]["seed"]


async def test_lineage_is_shown_only_while_the_source_is_visible(
    gateway: Gateway, alice: SignedUp, bob: SignedUp
) -> None:
    source = image_of(gateway, alice, "the original")
    remix = image_of(gateway, bob, "the remix", source_image_id=source)
    async with gateway.client() as anonymous:
        for client in (anonymous, bob.client, alice.client):
            body = (await client.get(f"/api/v1/images/{remix}")).json()
            assert body["remixed_from"] == {
                "image_id": source,
                "url": f"/api/v1/images/{source}/content",
                "by": "remix",
            }
        gateway.billing.set_plan(alice.user_id, "plus")
        set_visibility(gateway, source, "private")
        for client in (anonymous, bob.client):
            response = await client.get(f"/api/v1/images/{remix}")
            assert response.status_code == 200
            assert "remixed_from" not in response.json() and source not in response.text
        assert (await alice.client.get(f"/api/v1/images/{remix}")).json()["remixed_from"]["image_id"] == source


async def test_a_remixers_generation_names_its_source_only_while_it_is_visible(
    gateway: Gateway, alice: SignedUp, bob: SignedUp
) -> None:
    source = image_of(gateway, alice, "the original")
    accepted = await bob.client.post(f"/api/v1/images/{source}/remix", json={"prompt": "blue"}, headers=bob.csrf)
    generation_id = accepted.json()["generation_id"]
    shown = (await bob.client.get(f"/api/v1/generations/{generation_id}")).json()
    assert shown["params"]["source_image_id"] == source
    gateway.billing.set_plan(alice.user_id, "plus")
    set_visibility(gateway, source, "private")
    for response in (
        await bob.client.get(f"/api/v1/generations/{generation_id}"),
        await bob.client.get("/api/v1/generations"),
    ):
        assert response.status_code == 200 and source not in response.text


async def test_the_image_is_shown_without_likes_while_the_feed_is_down(gateway: Gateway, alice: SignedUp) -> None:
    image_id = image_of(gateway, alice, "a red circle")
    gateway.feed.available = False
    async with gateway.client() as anonymous:
        response = await anonymous.get(f"/api/v1/images/{image_id}")
    assert response.status_code == 200
    assert "like_count" not in response.json() and response.json()["recipe"]["prompt"] == "a red circle"
