"""Image reads, authorised by the (fake) visibility authority at read time: public images for
anyone, private ones for the owner only, and for everyone else a private, deleted or unknown image
answers one and the same 404. Cache headers, formats by plan, share links."""

import io
import uuid

import pytest
from PIL import Image

from tests.integration.gateway.conftest import Gateway, SignedUp

PNG, JPEG = "image/png", "image/jpeg"


def image_of(gateway: Gateway, owner: SignedUp, visibility: str, prompt: str = "a secret yellow star") -> str:
    generation = gateway.generation.add(owner.user_id, prompt=prompt, visibility=visibility, num_images=1)
    return gateway.generation.succeed(generation.generation_id)[0]


@pytest.fixture
def private_image(gateway: Gateway, alice: SignedUp) -> str:
    gateway.billing.set_plan(alice.user_id, "plus")
    return image_of(gateway, alice, "private")


@pytest.fixture
def public_image(gateway: Gateway, alice: SignedUp) -> str:
    return image_of(gateway, alice, "public", prompt="a public blue square")


def deleted_image(gateway: Gateway, alice: SignedUp) -> str:
    image_id = image_of(gateway, alice, "private", prompt="a deleted secret")
    gateway.visibility.mark_deleted([image_id])
    return image_id


def fingerprint(response) -> tuple:
    """Everything a caller can observe of a response, with the image id in the path blanked out."""
    body = {k: v for k, v in response.json().items() if k != "instance"}
    headers = {k: v for k, v in response.headers.items() if k not in ("content-length", "date")}
    return response.status_code, sorted(headers.items()), sorted(body.items())


# ---- the owner


async def test_the_owner_gets_private_bytes_uncacheable(gateway: Gateway, alice: SignedUp, private_image: str) -> None:
    response = await alice.client.get(f"/api/v1/images/{private_image}/content")
    assert response.status_code == 200
    assert response.headers["content-type"] == PNG  # plus: PNG
    assert response.headers["cache-control"] == "private, no-store"
    assert response.content == gateway.objects.data[gateway.generation.images[private_image].object_key]


async def test_the_owner_gets_the_metadata_with_owner_fields(alice: SignedUp, private_image: str) -> None:
    response = await alice.client.get(f"/api/v1/images/{private_image}")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "private, no-store"
    body = response.json()
    assert (body["image_id"], body["prompt"], body["url"], body["visibility"], body["owned_by_you"]) == (
        private_image,
        "a secret yellow star",
        f"/api/v1/images/{private_image}/content",
        "private",
        True,
    )
    assert body["owner_username"] == "alice"
    assert {"generation_id", "seed", "content_type"} <= body.keys()
    assert body["download_formats"] == ["png", "jpg"]


async def test_a_thumbnail_or_a_jpeg_can_be_asked_for(gateway: Gateway, alice: SignedUp, private_image: str) -> None:
    jpeg = await alice.client.get(f"/api/v1/images/{private_image}/content", params={"format": "jpg"})
    assert jpeg.headers["content-type"] == JPEG
    assert Image.open(io.BytesIO(jpeg.content)).format == "JPEG"
    thumb = await alice.client.get(f"/api/v1/images/{private_image}/content", params={"size": "thumb"})
    assert thumb.status_code == 200
    bad = await alice.client.get(f"/api/v1/images/{private_image}/content", params={"size": "huge"})
    assert bad.status_code == 422
    download = await alice.client.get(f"/api/v1/images/{private_image}/content", params={"download": "true"})
    assert download.headers["content-disposition"] == f'attachment; filename="atelier-{private_image[:8]}.png"'


async def test_a_lost_object_is_404_not_a_crash(gateway: Gateway, alice: SignedUp, private_image: str) -> None:
    gateway.objects.data.clear()
    response = await alice.client.get(f"/api/v1/images/{private_image}/content")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


# ---- everyone else


@pytest.mark.parametrize("suffix", ["", "/content", "/content?size=thumb&format=jpg", "/share"])
async def test_a_private_a_deleted_and_an_unknown_image_answer_exactly_alike(
    gateway: Gateway, alice: SignedUp, bob: SignedUp, private_image: str, suffix: str
) -> None:
    gone = deleted_image(gateway, alice)
    async with gateway.client() as anonymous:
        viewers = ((bob.client, {}), (anonymous, {}), (anonymous, bob.bearer))
        for client, headers in viewers:
            seen = set()
            for image_id in (private_image, gone, str(uuid.uuid4())):
                response = await client.get(f"/api/v1/images/{image_id}{suffix}", headers=headers)
                assert response.status_code == 404, (image_id, response.text)
                assert "secret" not in response.text
                assert response.headers["cache-control"] == "private, no-store"
                seen.add(repr(fingerprint(response)))
            assert len(seen) == 1, seen
            malformed = await client.get(f"/api/v1/images/not-an-id{suffix}", headers=headers)
            assert malformed.status_code == 404
    # Deleted: the owner too.
    for path in ("", "/content", "/share"):
        assert (await alice.client.get(f"/api/v1/images/{gone}{path}")).status_code == 404


async def test_public_images_are_readable_by_anyone_with_the_public_fields_only(
    gateway: Gateway, bob: SignedUp, public_image: str
) -> None:
    async with gateway.client() as anonymous:
        for client in (anonymous, bob.client):
            response = await client.get(f"/api/v1/images/{public_image}")
            assert response.status_code == 200, response.text
            body = response.json()
            assert body["prompt"] == "a public blue square"
            assert body["visibility"] == "public" and body["owned_by_you"] is False
            assert body["owner_username"] == "alice"
            assert not {"generation_id", "seed", "content_type"} & body.keys()
            assert response.headers["cache-control"] == "private, no-store"


async def test_public_bytes_are_briefly_cacheable_and_jpg_for_free_and_anonymous(
    gateway: Gateway, bob: SignedUp, public_image: str
) -> None:
    async with gateway.client() as anonymous:
        for client in (anonymous, bob.client):
            response = await client.get(f"/api/v1/images/{public_image}/content", params={"format": "png"})
            assert response.status_code == 200
            assert response.headers["content-type"] == JPEG
            assert Image.open(io.BytesIO(response.content)).format == "JPEG"
            assert response.headers["cache-control"] == "public, max-age=30"
            assert response.headers["vary"] == "Authorization, Cookie"
    gateway.billing.set_plan(bob.user_id, "basic")
    response = await bob.client.get(f"/api/v1/images/{public_image}/content")
    assert response.headers["content-type"] == PNG


async def test_every_read_asks_the_authority_at_read_time(gateway: Gateway, bob: SignedUp, public_image: str) -> None:
    assert (await bob.client.get(f"/api/v1/images/{public_image}")).status_code == 200
    gateway.visibility.rows[public_image].visibility = 2  # made private behind the gateway's back
    for path in ("", "/content", "/share"):
        assert (await bob.client.get(f"/api/v1/images/{public_image}{path}")).status_code == 404
    assert any(viewer == bob.user_id for viewer, _ in gateway.visibility.authorize_calls)


async def test_the_authority_unreachable_means_nothing_is_shown(
    gateway: Gateway, alice: SignedUp, bob: SignedUp, public_image: str
) -> None:
    gateway.visibility.available = False
    for client, image_id in ((bob.client, public_image), (alice.client, public_image), (bob.client, str(uuid.uuid4()))):
        for path in ("", "/content", "/share"):
            response = await client.get(f"/api/v1/images/{image_id}{path}")
            assert response.status_code == 503
            assert "blue square" not in response.text


# ---- formats by plan


async def test_a_lapsed_owner_downloads_private_images_as_jpg_only(
    gateway: Gateway, alice: SignedUp, private_image: str
) -> None:
    gateway.billing.lapse(alice.user_id)
    for params in ({}, {"format": "png"}):
        response = await alice.client.get(f"/api/v1/images/{private_image}/content", params=params)
        assert response.status_code == 200
        assert response.headers["content-type"] == JPEG
        assert response.headers["cache-control"] == "private, no-store"
    body = (await alice.client.get(f"/api/v1/images/{private_image}")).json()
    assert body["visibility"] == "private" and body["download_formats"] == ["jpg"]


async def test_billing_down_falls_back_to_jpg(gateway: Gateway, alice: SignedUp, private_image: str) -> None:
    gateway.billing.available = False
    response = await alice.client.get(f"/api/v1/images/{private_image}/content")
    assert response.status_code == 200 and response.headers["content-type"] == JPEG


# ---- share links


async def test_share_links(
    gateway: Gateway, alice: SignedUp, bob: SignedUp, public_image: str, private_image: str
) -> None:
    mine = await alice.client.get(f"/api/v1/images/{private_image}/share")
    assert mine.status_code == 200
    assert mine.json() == {
        "image_id": private_image,
        "url": f"http://127.0.0.1/i/{private_image}",
        "visibility": "private",
        "works_for": "owner_only",
    }
    theirs = await bob.client.get(f"/api/v1/images/{public_image}/share")
    assert theirs.json()["works_for"] == "anyone"
    async with gateway.client() as anonymous:
        page = await anonymous.get(f"/i/{private_image}")
        other_page = await anonymous.get(f"/i/{uuid.uuid4()}")
    # The same 404 page for both: the page says nothing (tests/integration/gateway/test_share_page.py)
    assert page.status_code == other_page.status_code == 404 and page.text == other_page.text
