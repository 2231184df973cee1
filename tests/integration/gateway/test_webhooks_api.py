"""The public API of webhook endpoints (services/gateway/api/routes/webhooks.py) against the
contract fake: register, list, delete, read the delivery log; each caller sees only their own."""

from __future__ import annotations

import json
import uuid

from google.protobuf.timestamp_pb2 import Timestamp

from atelier.webhooks.v1 import webhooks_pb2


async def test_register_list_read_the_log_and_delete(gateway, sign_up):
    alice = await sign_up("alice")
    created = await alice.client.post(
        "/api/v1/webhooks",
        json={"url": "https://hooks.example.com/atelier", "events": ["generation.completed"]},
        headers=alice.bearer,
    )
    assert created.status_code == 201, created.text
    endpoint = created.json()
    assert endpoint["signing_secret"].startswith("whsec_")
    assert endpoint["url"] == "https://hooks.example.com/atelier" and endpoint["events"] == ["generation.completed"]
    assert gateway.webhooks.endpoints[endpoint["id"]].owner_id == alice.user_id

    listed = await alice.client.get("/api/v1/webhooks", headers=alice.bearer)
    assert listed.status_code == 200
    assert [item["id"] for item in listed.json()["items"]] == [endpoint["id"]]
    assert "signing_secret" not in listed.json()["items"][0]
    assert listed.headers["cache-control"] == "private, no-store"

    stamp = Timestamp()
    stamp.GetCurrentTime()
    body = {"id": str(uuid.uuid4()), "type": "generation.completed", "data": {"status": "succeeded"}}
    gateway.webhooks.deliveries[endpoint["id"]] = [
        webhooks_pb2.Delivery(
            delivery_id=str(uuid.uuid4()),
            endpoint_id=endpoint["id"],
            event_id=body["id"],
            event_type="generation.completed",
            status="delivered",
            created_at=stamp,
            body=json.dumps(body),
            attempts=[
                webhooks_pb2.DeliveryAttempt(
                    attempt=1,
                    attempted_at=stamp,
                    response_status=500,
                    error="the endpoint answered 500",
                    duration_ms=12,
                ),
                webhooks_pb2.DeliveryAttempt(attempt=2, attempted_at=stamp, response_status=200, duration_ms=9),
            ],
        )
    ]
    log = await alice.client.get(f"/api/v1/webhooks/{endpoint['id']}/deliveries", headers=alice.bearer)
    assert log.status_code == 200, log.text
    (delivery,) = log.json()["items"]
    assert delivery["status"] == "delivered" and delivery["body"] == body and delivery["next_attempt_at"] is None
    assert [(a["attempt"], a["response_status"], a["error"]) for a in delivery["attempts"]] == [
        (1, 500, "the endpoint answered 500"),
        (2, 200, ""),
    ]

    deleted = await alice.client.delete(f"/api/v1/webhooks/{endpoint['id']}", headers=alice.bearer)
    assert deleted.status_code == 204
    assert (await alice.client.get("/api/v1/webhooks", headers=alice.bearer)).json()["items"] == []


async def test_another_users_endpoint_answers_like_one_that_does_not_exist(gateway, sign_up):
    alice, mallory = await sign_up("alice"), await sign_up("mallory")
    created = await alice.client.post(
        "/api/v1/webhooks", json={"url": "https://hooks.example.com/a"}, headers=alice.bearer
    )
    endpoint_id = created.json()["id"]
    answers = []
    for path in (endpoint_id, str(uuid.uuid4()), "not-an-id"):
        for method, suffix in (("DELETE", ""), ("GET", "/deliveries")):
            response = await mallory.client.request(method, f"/api/v1/webhooks/{path}{suffix}", headers=mallory.bearer)
            answers.append((response.status_code, response.json()["detail"]))
    assert set(answers) == {(404, "Webhook endpoint not found.")}
    assert (await mallory.client.get("/api/v1/webhooks", headers=mallory.bearer)).json()["items"] == []
    assert endpoint_id in gateway.webhooks.endpoints


async def test_bad_input_is_a_422_with_the_reason_and_anonymous_callers_get_401(gateway, sign_up):
    alice = await sign_up("alice")
    refused = await alice.client.post(
        "/api/v1/webhooks", json={"url": "http://hooks.example.com/a"}, headers=alice.bearer
    )
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["errors"] == [{"field": "url", "message": "must start with https://"}]
    unknown = await alice.client.post(
        "/api/v1/webhooks", json={"url": "https://h.example.com/", "events": ["image.exploded"]}, headers=alice.bearer
    )
    assert unknown.status_code == 422
    async with gateway.client() as anonymous:
        assert (await anonymous.get("/api/v1/webhooks")).status_code == 401
        assert (await anonymous.post("/api/v1/webhooks", json={"url": "https://h.example.com/"})).status_code == 401
    assert gateway.webhooks.endpoints == {}


async def _new_key(user, name: str) -> dict:
    created = await user.client.post("/api/v1/api-keys", json={"name": name}, headers=user.bearer)
    assert created.status_code == 201, created.text
    return created.json()


async def test_an_endpoint_tied_to_one_of_my_live_keys_and_the_keys_generations(gateway, sign_up):
    alice, mallory = await sign_up("alice"), await sign_up("mallory")
    key_a, key_b = await _new_key(alice, "program-a"), await _new_key(alice, "program-b")

    tied = await alice.client.post(
        "/api/v1/webhooks", json={"url": "https://hooks.example.com/a", "api_key_id": key_a["id"]}, headers=alice.bearer
    )
    assert tied.status_code == 201, tied.text
    assert tied.json()["api_key"] == {"id": key_a["id"], "name": "program-a", "prefix": key_a["prefix"]}
    assert gateway.webhooks.endpoints[tied.json()["id"]].api_key_id == key_a["id"]
    on_b = await alice.client.post(
        "/api/v1/webhooks", json={"url": "https://hooks.example.com/b", "api_key_id": key_b["id"]}, headers=alice.bearer
    )
    whole = await alice.client.post(
        "/api/v1/webhooks", json={"url": "https://hooks.example.com/all", "api_key_id": None}, headers=alice.bearer
    )
    assert whole.status_code == 201 and whole.json()["api_key"] is None
    listed = (await alice.client.get("/api/v1/webhooks", headers=alice.bearer)).json()["items"]
    assert {item["url"].rsplit("/", 1)[1]: (item["api_key"] or {}).get("name") for item in listed} == {
        "a": "program-a",
        "b": "program-b",
        "all": None,
    }

    # Another user's key, a made-up one and a malformed id are refused alike, and nothing is stored.
    stored = dict(gateway.webhooks.endpoints)
    refusals = set()
    for key_id in (key_a["id"], str(uuid.uuid4()), "not-an-id"):
        refused = await mallory.client.post(
            "/api/v1/webhooks",
            json={"url": "https://hooks.example.com/m", "api_key_id": key_id},
            headers=mallory.bearer,
        )
        refusals.add((refused.status_code, refused.json()["detail"]))
    assert refusals == {(422, "api_key_id: not one of your live API keys (see GET /api/v1/api-keys)")}
    assert gateway.webhooks.endpoints == stored

    # A generation carries the key it was submitted with; one from the web session carries none.
    by_key = {"Authorization": f"Bearer {key_a['api_key']}"}
    assert (await alice.client.post("/api/v1/generations", json={"prompt": "a"}, headers=by_key)).status_code == 202
    # (The free plan's one-at-a-time refuses this one: what reached the service is what counts.)
    await alice.client.post("/api/v1/generations", json={"prompt": "b"}, headers=alice.csrf)
    assert [s.api_key_id for s in gateway.generation.submissions] == [key_a["id"], ""]

    # Revoking a key deletes its endpoints; a revoked key cannot be named again.
    assert (await alice.client.delete(f"/api/v1/api-keys/{key_b['id']}", headers=alice.bearer)).status_code == 204
    assert on_b.json()["id"] not in gateway.webhooks.endpoints
    again = await alice.client.post(
        "/api/v1/webhooks", json={"url": "https://hooks.example.com/b", "api_key_id": key_b["id"]}, headers=alice.bearer
    )
    assert again.status_code == 422
    assert {e.endpoint_id for e in gateway.webhooks.endpoints.values() if e.owner_id == alice.user_id} == {
        tied.json()["id"],
        whole.json()["id"],
    }


async def test_an_endpoint_left_behind_by_a_revocation_goes_at_the_next_listing(gateway, sign_up):
    alice = await sign_up("alice")
    key = await _new_key(alice, "gone")
    tied = await alice.client.post(
        "/api/v1/webhooks", json={"url": "https://hooks.example.com/a", "api_key_id": key["id"]}, headers=alice.bearer
    )
    # The webhooks service is down as the key is revoked: the key is revoked all the same.
    gateway.webhooks.key_deletion_down = True
    assert (await alice.client.delete(f"/api/v1/api-keys/{key['id']}", headers=alice.bearer)).status_code == 204
    using = await alice.client.get("/api/v1/webhooks", headers={"Authorization": f"Bearer {key['api_key']}"})
    assert using.status_code == 401
    assert tied.json()["id"] in gateway.webhooks.endpoints
    # Its endpoint is never listed again, and goes at the first listing the service answers.
    listed = await alice.client.get("/api/v1/webhooks", headers=alice.bearer)
    assert listed.status_code == 200 and listed.json()["items"] == []
    gateway.webhooks.key_deletion_down = False
    assert (await alice.client.get("/api/v1/webhooks", headers=alice.bearer)).json()["items"] == []
    assert tied.json()["id"] not in gateway.webhooks.endpoints


async def test_a_key_revoked_while_its_endpoint_is_registered_takes_the_endpoint_with_it(gateway, sign_up):
    alice = await sign_up("alice")
    key = await _new_key(alice, "racing")
    # Revoked after the route checked it and before the endpoint was stored (after the revocation's clean-up).
    revoke = "UPDATE api_keys SET revoked_at = now() WHERE id = %s RETURNING id"
    gateway.webhooks.on_create = lambda: gateway.rows(revoke, (key["id"],)) and None
    refused = await alice.client.post(
        "/api/v1/webhooks", json={"url": "https://hooks.example.com/a", "api_key_id": key["id"]}, headers=alice.bearer
    )
    assert refused.status_code == 422, refused.text
    assert gateway.webhooks.endpoints == {}
