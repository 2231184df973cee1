"""POST /api/v1/me/creations/zip: a zip of my own images, built by the gateway while it is sent.
One id that is not one of mine (another user's public or private image, a deleted, unknown or
malformed id) refuses the whole request with the one image 404, before anything is sent."""

import io
import uuid
import zipfile

import pytest
from PIL import Image

from tests.integration.gateway.conftest import Gateway, SignedUp

ZIP = "/api/v1/me/creations/zip"


def images_of(gateway: Gateway, owner: SignedUp, visibility: str, count: int) -> list[str]:
    generation = gateway.generation.add(owner.user_id, prompt="a secret star", visibility=visibility, num_images=count)
    return gateway.generation.succeed(generation.generation_id)


async def test_my_images_come_as_one_zip_in_the_order_asked(gateway: Gateway, alice: SignedUp) -> None:
    gateway.billing.set_plan(alice.user_id, "plus")
    private = images_of(gateway, alice, "private", 2)
    public = images_of(gateway, alice, "public", 1)
    wanted = [public[0], private[1], private[0], public[0]]  # a duplicate comes once
    response = await alice.client.post(ZIP, json={"image_ids": wanted}, headers=alice.csrf)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["content-disposition"] == 'attachment; filename="atelier-images.zip"'
    assert response.headers["cache-control"] == "private, no-store"
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
        assert names == [
            f"001-atelier-{public[0]}.png",
            f"002-atelier-{private[1]}.png",
            f"003-atelier-{private[0]}.png",
        ]
        for name, image_id in zip(names, [public[0], private[1], private[0]], strict=True):
            single = await alice.client.get(f"/api/v1/images/{image_id}/content")
            assert archive.read(name) == single.content  # the very bytes /content gives me


async def test_a_free_plan_gets_jpgs(gateway: Gateway, alice: SignedUp) -> None:
    [image_id] = images_of(gateway, alice, "public", 1)
    response = await alice.client.post(ZIP, json={"image_ids": [image_id]}, headers=alice.csrf)
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        [name] = archive.namelist()
        assert name.endswith(".jpg")
        assert Image.open(io.BytesIO(archive.read(name))).format == "JPEG"


async def test_one_id_that_is_not_mine_refuses_the_whole_zip_alike(
    gateway: Gateway, alice: SignedUp, bob: SignedUp
) -> None:
    gateway.billing.set_plan(bob.user_id, "plus")
    mine = images_of(gateway, alice, "public", 1)[0]
    deleted = images_of(gateway, alice, "public", 1)[0]
    gateway.visibility.mark_deleted([deleted])
    theirs_public = images_of(gateway, bob, "public", 1)[0]
    theirs_private = images_of(gateway, bob, "private", 1)[0]
    answers = set()
    for intruder in (theirs_public, theirs_private, deleted, str(uuid.uuid4()), "not-an-id"):
        response = await alice.client.post(ZIP, json={"image_ids": [mine, intruder]}, headers=alice.csrf)
        assert response.status_code == 404, (intruder, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"] == "Image not found."
        assert "secret" not in response.text
        answers.add(response.content)
    assert len(answers) == 1


@pytest.mark.parametrize("image_ids", [[], [str(uuid.uuid4()) for _ in range(101)]])
async def test_between_1_and_100_ids(alice: SignedUp, image_ids: list[str]) -> None:
    response = await alice.client.post(ZIP, json={"image_ids": image_ids}, headers=alice.csrf)
    assert response.status_code == 422


async def test_an_account_and_the_csrf_token_are_needed(gateway: Gateway, alice: SignedUp) -> None:
    [image_id] = images_of(gateway, alice, "public", 1)
    async with gateway.client() as anonymous:
        assert (await anonymous.post(ZIP, json={"image_ids": [image_id]})).status_code == 401
    assert (await alice.client.post(ZIP, json={"image_ids": [image_id]})).status_code == 403
    assert (await alice.client.post(ZIP, json={"image_ids": [image_id]}, headers=alice.bearer)).status_code == 200
