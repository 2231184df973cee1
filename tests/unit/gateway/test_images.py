"""Image bytes and metadata: the owner's only for now; 404 for everyone else; never cached by others."""

import io
import uuid

import pytest
from PIL import Image

from tests.unit.gateway.conftest import Gateway, SignedUp, SignUp


@pytest.fixture
async def alice(sign_up: SignUp) -> SignedUp:
    return await sign_up("alice")


@pytest.fixture
def alices_image(gateway: Gateway, alice: SignedUp) -> str:
    generation = gateway.generation.add(alice.user_id, prompt="a secret yellow star")
    return gateway.generation.succeed(generation.generation_id)[0]


async def test_the_owner_gets_the_bytes_uncacheable(gateway: Gateway, alice: SignedUp, alices_image: str) -> None:
    response = await alice.client.get(f"/api/v1/images/{alices_image}/content")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.headers["cache-control"] == "private, no-store"
    assert response.content == gateway.objects.data[gateway.generation.images[alices_image].object_key]


async def test_a_thumbnail_or_a_jpeg_can_be_asked_for(gateway: Gateway, alice: SignedUp, alices_image: str) -> None:
    jpeg = await alice.client.get(f"/api/v1/images/{alices_image}/content", params={"format": "jpg"})
    assert jpeg.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(jpeg.content)).format == "JPEG"
    bad = await alice.client.get(f"/api/v1/images/{alices_image}/content", params={"size": "huge"})
    assert bad.status_code == 422


async def test_the_owner_gets_the_metadata(alice: SignedUp, alices_image: str) -> None:
    response = await alice.client.get(f"/api/v1/images/{alices_image}")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "private, no-store"
    body = response.json()
    assert (body["image_id"], body["prompt"], body["url"]) == (
        alices_image, "a secret yellow star", f"/api/v1/images/{alices_image}/content")


@pytest.mark.parametrize("suffix", ["", "/content"])
async def test_anyone_else_gets_404_exactly_like_a_missing_image(gateway: Gateway, sign_up: SignUp,
                                                                  alices_image: str, suffix: str) -> None:
    bob = await sign_up("bob")
    async with gateway.client() as anonymous:
        for client, headers in ((bob.client, {}), (anonymous, {}), (anonymous, bob.bearer)):
            for image_id in (alices_image, str(uuid.uuid4()), "../../etc/passwd"):
                response = await client.get(f"/api/v1/images/{image_id}{suffix}", headers=headers)
                assert response.status_code == 404, (image_id, response.text)
                assert response.json()["detail"] in ("Image not found.", "There is nothing at this address.")
                assert "secret" not in response.text


async def test_a_lost_object_is_404_not_a_crash(gateway: Gateway, alice: SignedUp, alices_image: str) -> None:
    gateway.objects.data.clear()
    response = await alice.client.get(f"/api/v1/images/{alices_image}/content")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
