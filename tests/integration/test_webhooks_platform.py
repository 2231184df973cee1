"""Completion webhooks through the public API on the real platform (billing, visibility, feed,
generation API and worker, webhooks, gateway; real Postgres, NATS, S3 store, Triton): each user
registers an endpoint, generates and toggles, and receives their own events only, signed, with ids
and statuses and never a prompt; the delivery log reads back through the API."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest

from services.webhooks import signing
from tests.integration.test_privacy_support import Account, Platform
from tests.support.waiting import wait_until
from tests.support.webhook_receiver import Receiver, webhook_receiver

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def platform(shared_platform: Platform) -> Platform:
    return shared_platform


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as running:
        yield running


def received_types(receiver: Receiver, path: str) -> list[str]:
    return [r.json["type"] for r in receiver.on(path)]


def test_each_user_receives_their_own_events_and_reads_the_log(platform: Platform, receiver: Receiver) -> None:
    alice, bob = platform.sign_up("alice"), platform.sign_up("bob")
    platform.change_plan(alice, "plus")
    hooks = {}
    for user, path in ((alice, "/alice"), (bob, "/bob")):
        reply = platform.http.post("/api/v1/webhooks", json={"url": receiver.url(path)}, headers=user.headers)
        assert reply.status_code == 201, reply.text
        hooks[path] = reply.json()

    token = f"s{uuid.uuid4().hex[:12]}"
    generation = platform.generate(alice, f"a red circle on a blue background {token}")
    image_id = generation["images"][0]["image_id"]
    wait_until(lambda: received_types(receiver, "/alice") == ["generation.completed"], "alice's completion", 60)
    made_private = platform.set_visibility(alice, image_id, "private")
    assert made_private.status_code == 200, made_private.text
    wait_until(lambda: len(receiver.on("/alice")) == 2, "alice's visibility change", 60)
    bobs = platform.generate(bob, "a green square")
    wait_until(lambda: received_types(receiver, "/bob") == ["generation.completed"], "bob's completion", 60)

    completed, changed = receiver.on("/alice")
    assert completed.json["data"] == {
        "generation_id": generation["generation_id"],
        "status": "succeeded",
        "visibility": "public",
        "image_ids": [image_id],
    }
    assert changed.json["type"] == "image.visibility_changed"
    assert changed.json["data"]["image_id"] == image_id and changed.json["data"]["visibility"] == "private"
    assert receiver.on("/bob")[0].json["data"]["generation_id"] == bobs["generation_id"]
    for received in receiver.received:
        assert token.encode() not in received.body and b"prompt" not in received.body
        secret = hooks[received.path]["signing_secret"]
        assert signing.verify(secret, received.headers["Atelier-Signature"], received.body, time.time())
    # Nothing of Alice's ever reached Bob's endpoint, nor Bob's Alice's.
    assert generation["generation_id"].encode() not in b"".join(r.body for r in receiver.on("/bob"))
    assert bobs["generation_id"].encode() not in b"".join(r.body for r in receiver.on("/alice"))

    alice_hook = hooks["/alice"]["id"]

    def logged() -> list[dict] | None:
        reply = platform.http.get(f"/api/v1/webhooks/{alice_hook}/deliveries", headers=alice.headers)
        assert reply.status_code == 200, reply.text
        items = reply.json()["items"]
        return items if len(items) == 2 and all(i["status"] == "delivered" for i in items) else None

    log = wait_until(logged, "alice's log shows both delivered", 30)
    assert {item["event_type"] for item in log} == {"generation.completed", "image.visibility_changed"}
    assert all([a["response_status"] for a in item["attempts"]] == [200] for item in log)
    assert platform.http.get(f"/api/v1/webhooks/{alice_hook}/deliveries", headers=bob.headers).status_code == 404
    assert platform.http.delete(f"/api/v1/webhooks/{alice_hook}", headers=bob.headers).status_code == 404


def test_an_endpoint_tied_to_an_api_key_receives_that_keys_generations_only(
    platform: Platform, receiver: Receiver
) -> None:
    alice, mallory = platform.sign_up("alice"), platform.sign_up("mallory")
    platform.change_plan(alice, "plus")
    keys = {}
    for name in ("a", "b"):
        created = platform.http.post("/api/v1/api-keys", json={"name": f"program-{name}"}, headers=alice.headers)
        assert created.status_code == 201, created.text
        keys[name] = created.json()
    hooks = {}
    for path, key_id in (("/a", keys["a"]["id"]), ("/b", keys["b"]["id"]), ("/all", None)):
        body = {"url": receiver.url(path), "api_key_id": key_id}
        reply = platform.http.post("/api/v1/webhooks", json=body, headers=alice.headers)
        assert reply.status_code == 201, reply.text
        hooks[path] = reply.json()
    # Another user cannot tie an endpoint to Alice's key (and so never route her events to it).
    stolen = platform.http.post(
        "/api/v1/webhooks", json={"url": receiver.url("/m"), "api_key_id": keys["a"]["id"]}, headers=mallory.headers
    )
    assert stolen.status_code == 422, stolen.text

    program_a = Account(alice.user_id, alice.username, keys["a"]["api_key"])
    generation = platform.generate(program_a, "a red circle on a blue background")
    image_id = generation["images"][0]["image_id"]
    # The key is the owner's bookkeeping: not in the owner's views, nor in anyone's of a public image.
    for viewer, path in (
        (alice, f"/api/v1/generations/{generation['generation_id']}"),
        (alice, f"/api/v1/images/{image_id}"),
        (mallory, f"/api/v1/images/{image_id}"),
    ):
        shown = platform.http.get(path, headers=viewer.headers)
        assert shown.status_code == 200 and keys["a"]["id"] not in shown.text, path
    made_private = platform.set_visibility(alice, image_id, "private")
    assert made_private.status_code == 200, made_private.text

    def types(path: str) -> list[str]:
        return sorted(r.json["type"] for r in receiver.on(path))

    expected = ["generation.completed", "image.visibility_changed"]
    wait_until(lambda: types("/a") == expected and types("/all") == expected, "A's and the account's events", 60)
    # B's deliveries would have been written in the statement that wrote A's: its log is empty.
    assert receiver.on("/b") == [] and receiver.on("/m") == []
    b_log = platform.http.get(f"/api/v1/webhooks/{hooks['/b']['id']}/deliveries", headers=alice.headers)
    assert b_log.status_code == 200 and b_log.json()["items"] == []
    for received in receiver.on("/a"):
        assert generation["generation_id"] in received.body.decode() or image_id in received.body.decode()
        assert signing.verify(
            hooks["/a"]["signing_secret"], received.headers["Atelier-Signature"], received.body, time.time()
        )
    assert all(keys["a"]["id"].encode() not in r.body for r in receiver.received)

    # Revoking key A deletes its endpoint; the others stay.
    assert platform.http.delete(f"/api/v1/api-keys/{keys['a']['id']}", headers=alice.headers).status_code == 204
    listed = platform.http.get("/api/v1/webhooks", headers=alice.headers).json()["items"]
    assert {item["id"]: (item["api_key"] or {}).get("name") for item in listed} == {
        hooks["/b"]["id"]: "program-b",
        hooks["/all"]["id"]: None,
    }
