"""Delete with undo on the real platform (billing, visibility, feed, generation API and worker,
gateway; real Postgres, NATS, S3 store, Triton), with a 3 s undo window: the images are hidden from
everyone, the owner included, the moment the DELETE returns; within the window the owner's restore
brings them back as they were (public ones public, private ones private); after it the rows and the
bytes are gone and nothing can be restored."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from minio.error import S3Error

from tests.integration.test_privacy_support import (
    ANONYMOUS,
    Account,
    Platform,
    assert_hidden,
    assert_public,
    missing_image_answers,
    running_platform,
)
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration

PROMPT = "a red circle on a blue background"
UNDO_WINDOW_S = 3


@pytest.fixture(scope="module")
def platform(postgres_url, object_store, triton_url) -> Iterator[Platform]:
    with running_platform(
        postgres_url, object_store, triton_url, ATELIER_DELETE_UNDO_WINDOW_S=str(UNDO_WINDOW_S)
    ) as running:
        yield running


def image_ids(generation: dict) -> list[str]:
    return [image["image_id"] for image in generation["images"]]


def object_keys(platform: Platform, ids: list[str]) -> list[str]:
    with psycopg.connect(platform.stack.infra.database_url) as conn:
        rows = conn.execute("SELECT object_key FROM generation.images WHERE id = ANY(%s::uuid[])", (ids,)).fetchall()
    return [row[0] for row in rows]


def stored(object_store, key: str) -> bool:
    try:
        object_store.client().stat_object(object_store.bucket, key)
    except S3Error as error:
        if error.code == "NoSuchKey":
            return False
        raise
    return True


def owner_with_a_half_public_set(platform: Platform, token: str) -> tuple[Account, dict, str, str]:
    owner = platform.sign_up("owner")
    platform.change_plan(owner, "plus")
    generation = platform.generate(owner, f"{PROMPT} {token}", "private", num_images=2)
    public_one, private_one = image_ids(generation)
    assert platform.set_visibility(owner, public_one, "public").status_code == 200
    return owner, generation, public_one, private_one


def test_an_undoable_deletion_hides_at_once_and_the_owner_can_undo_it(platform: Platform, object_store) -> None:
    token = f"s{uuid.uuid4().hex[:12]}"
    owner, generation, public_one, private_one = owner_with_a_half_public_set(platform, token)
    path = f"/api/v1/generations/{generation['generation_id']}"
    stranger = platform.sign_up("stranger")

    pending = platform.http.delete(path, params={"undo": "true"}, headers=owner.headers)
    assert pending.status_code == 202, pending.text
    assert sorted(pending.json()["deleted_image_ids"]) == sorted(image_ids(generation))
    assert pending.json()["undo_until"]
    # Within the window: gone for everyone, the owner included, on every surface.
    for headers in (owner.headers, stranger.headers, ANONYMOUS):
        reference = missing_image_answers(platform, headers)
        for image_id in (public_one, private_one):
            assert_hidden(platform, image_id, headers, token, reference)
        assert platform.http.get(path, headers=headers).status_code == 404
    assert platform.creations(owner) == []
    feed = platform.http.get("/api/v1/feed/sets", params={"q": token}).json()
    assert feed["items"] == []

    # Nobody else can undo it; the owner can.
    assert platform.http.post(f"{path}/restore", headers=stranger.headers).status_code == 404
    restored = platform.http.post(f"{path}/restore", headers=owner.headers)
    assert restored.status_code == 200, restored.text
    assert sorted(restored.json()["restored_image_ids"]) == sorted(image_ids(generation))
    for headers in (stranger.headers, ANONYMOUS):
        assert_public(platform, public_one, headers, token)
        assert_hidden(platform, private_one, headers, token, missing_image_answers(platform, headers))
    mine = platform.http.get(f"/api/v1/images/{private_one}", headers=owner.headers)
    assert mine.status_code == 200 and mine.json()["visibility"] == "private"
    assert {i["image_id"] for i in platform.creations(owner)} == {public_one, private_one}
    # An undone deletion stays undone: past the window the sweep leaves it alone.
    keys = object_keys(platform, [public_one, private_one])
    time.sleep(UNDO_WINDOW_S + 2)  # letting the window pass is the point
    assert object_keys(platform, [public_one, private_one]) == keys and len(keys) == 2
    assert_public(platform, public_one, ANONYMOUS, token)


def test_after_the_undo_window_rows_and_bytes_are_gone(platform: Platform, object_store) -> None:
    token = f"s{uuid.uuid4().hex[:12]}"
    owner, generation, public_one, private_one = owner_with_a_half_public_set(platform, token)
    keys = object_keys(platform, [public_one, private_one])
    assert len(keys) == 2 and all(stored(object_store, key) for key in keys)
    path = f"/api/v1/generations/{generation['generation_id']}"
    assert platform.http.delete(path, params={"undo": "true"}, headers=owner.headers).status_code == 202

    wait_until(lambda: not any(stored(object_store, key) for key in keys), "the bytes removed", timeout=60)
    assert object_keys(platform, [public_one, private_one]) == []
    assert platform.http.post(f"{path}/restore", headers=owner.headers).status_code == 404
    for headers in (owner.headers, ANONYMOUS):
        reference = missing_image_answers(platform, headers)
        for image_id in (public_one, private_one):
            assert_hidden(platform, image_id, headers, token, reference)


def test_a_plain_delete_still_deletes_at_once(platform: Platform, object_store) -> None:
    owner = platform.sign_up("basic")
    platform.change_plan(owner, "basic")
    generation = platform.generate(owner, PROMPT)
    keys = object_keys(platform, image_ids(generation))
    path = f"/api/v1/generations/{generation['generation_id']}"
    assert platform.http.delete(path, headers=owner.headers).status_code == 204
    assert object_keys(platform, image_ids(generation)) == []
    assert not any(stored(object_store, key) for key in keys)
    assert platform.http.post(f"{path}/restore", headers=owner.headers).status_code == 404
