"""API keys carry scopes (read, generate, manage) that the gateway enforces: a request a key's scopes
do not cover answers 403 problem+json and does nothing. The keys page's list shows name, scopes,
created and last used; another user's key id is 404, a revoked key stops at once."""

import httpx
import pytest

from tests.integration.gateway.conftest import Gateway, SignedUp, SignUp

PROBLEM = "application/problem+json"
GENERATE = {"prompt": "a blue square"}


async def new_key(owner: SignedUp, **body: object) -> dict:
    created = await owner.client.post("/api/v1/api-keys", json=body, headers=owner.csrf)
    assert created.status_code == 201, created.text
    return created.json()


def bearer(key: dict) -> dict[str, str]:
    return {"Authorization": f"Bearer {key['api_key']}"}


def assert_lacks_scope(response: httpx.Response, scope: str) -> None:
    assert response.status_code == 403, response.text
    assert response.headers["content-type"] == PROBLEM
    assert f"'{scope}' scope" in response.json()["detail"]


async def test_a_read_only_key_reads_but_cannot_generate(gateway: Gateway, sign_up: SignUp) -> None:
    alice = await sign_up("alice")
    key = await new_key(alice, name="dashboard", scopes=["read"])
    assert key["scopes"] == ["read"]
    async with gateway.client() as tool:
        assert (await tool.get("/api/v1/me", headers=bearer(key))).status_code == 200
        assert (await tool.get("/api/v1/generations", headers=bearer(key))).status_code == 200
        assert_lacks_scope(await tool.post("/api/v1/generations", json=GENERATE, headers=bearer(key)), "generate")
        assert_lacks_scope(await tool.get("/api/v1/api-keys", headers=bearer(key)), "manage")
    assert gateway.generation.submissions == []


async def test_a_key_without_manage_cannot_create_list_or_revoke_keys(gateway: Gateway, sign_up: SignUp) -> None:
    alice = await sign_up("alice")
    script = await new_key(alice, name="script")  # no scopes named: read and generate
    assert script["scopes"] == ["read", "generate"]
    [default] = [
        item for item in (await alice.client.get("/api/v1/api-keys")).json()["items"] if item["name"] == "default"
    ]
    async with gateway.client() as tool:
        assert (await tool.post("/api/v1/generations", json=GENERATE, headers=bearer(script))).status_code == 202
        assert_lacks_scope(await tool.post("/api/v1/api-keys", json={}, headers=bearer(script)), "manage")
        assert_lacks_scope(await tool.delete(f"/api/v1/api-keys/{default['id']}", headers=bearer(script)), "manage")
        assert_lacks_scope(await tool.get("/api/v1/sessions", headers=bearer(script)), "manage")
        assert_lacks_scope(
            await tool.post(
                "/api/v1/me/password",
                json={"current_password": "x", "new_password": "long enough"},
                headers=bearer(script),
            ),
            "manage",
        )
        assert (await tool.get("/api/v1/me", headers=alice.bearer)).status_code == 200  # not revoked
    assert len((await alice.client.get("/api/v1/api-keys")).json()["items"]) == 2  # none created


async def test_a_generate_only_key_cannot_read(gateway: Gateway, sign_up: SignUp) -> None:
    alice = await sign_up("alice")
    key = await new_key(alice, scopes=["generate"])
    async with gateway.client() as tool:
        assert (await tool.post("/api/v1/generations", json=GENERATE, headers=bearer(key))).status_code == 202
        assert_lacks_scope(await tool.get("/api/v1/me", headers=bearer(key)), "read")


async def test_a_manage_key_creates_and_revokes_keys(gateway: Gateway, sign_up: SignUp) -> None:
    alice = await sign_up("alice")
    admin = await new_key(alice, name="admin", scopes=["manage", "read"])
    assert admin["scopes"] == ["read", "manage"]
    async with gateway.client() as tool:
        made = await tool.post("/api/v1/api-keys", json={"name": "ci", "scopes": ["read"]}, headers=bearer(admin))
        assert made.status_code == 201
        revoked = await tool.delete(f"/api/v1/api-keys/{made.json()['id']}", headers=bearer(admin))
        assert revoked.status_code == 204
        assert (await tool.get("/api/v1/me", headers=bearer(made.json()))).status_code == 401


async def test_the_sign_up_key_has_every_scope(gateway: Gateway, sign_up: SignUp) -> None:
    alice = await sign_up("alice")
    [default] = (await alice.client.get("/api/v1/api-keys")).json()["items"]
    assert default["scopes"] == ["read", "generate", "manage"]
    async with gateway.client() as tool:
        assert (await tool.get("/api/v1/api-keys", headers=alice.bearer)).status_code == 200


@pytest.mark.parametrize(
    ("scopes", "message"),
    [(["admin"], "Must be one of 'read', 'generate' or 'manage'."), ([], "List should have at least 1 item")],
)
async def test_unknown_or_no_scopes_are_refused(
    gateway: Gateway, sign_up: SignUp, scopes: list[str], message: str
) -> None:
    alice = await sign_up("alice")
    response = await alice.client.post("/api/v1/api-keys", json={"scopes": scopes}, headers=alice.csrf)
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    assert message in response.json()["detail"]
    assert len((await alice.client.get("/api/v1/api-keys")).json()["items"]) == 1


async def test_the_list_shows_name_scopes_created_and_last_used_and_never_the_key(
    gateway: Gateway, sign_up: SignUp
) -> None:
    alice = await sign_up("alice")
    key = await new_key(alice, name="laptop", scopes=["read"])
    before = {item["id"]: item for item in (await alice.client.get("/api/v1/api-keys")).json()["items"]}
    assert before[key["id"]]["last_used_at"] is None
    async with gateway.client() as tool:
        await tool.get("/api/v1/me", headers=bearer(key))
    items = (await alice.client.get("/api/v1/api-keys")).json()["items"]
    listed = {item["id"]: item for item in items}[key["id"]]
    assert listed["name"] == "laptop"
    assert listed["scopes"] == ["read"]
    assert listed["created_at"] and listed["last_used_at"]
    assert listed["prefix"] == key["api_key"][:10]
    assert all(key["api_key"] not in str(item) for item in items)


async def test_keys_are_private_to_their_owner(gateway: Gateway, sign_up: SignUp) -> None:
    alice, mallory = await sign_up("alice"), await sign_up("mallory")
    alices = await new_key(alice, name="alices-secret-name")
    mallorys_list = (await mallory.client.get("/api/v1/api-keys")).json()["items"]
    assert [item["name"] for item in mallorys_list] == ["default"]
    async with gateway.client() as tool:
        attempt = await tool.delete(f"/api/v1/api-keys/{alices['id']}", headers=mallory.bearer)
        unknown = await tool.delete("/api/v1/api-keys/00000000-0000-4000-8000-000000000000", headers=mallory.bearer)
        assert attempt.status_code == unknown.status_code == 404
        assert attempt.json()["detail"] == unknown.json()["detail"]
        assert (await tool.get("/api/v1/me", headers=bearer(alices))).status_code == 200


async def test_a_revoked_key_stops_at_once_and_cannot_be_revoked_twice(gateway: Gateway, sign_up: SignUp) -> None:
    alice = await sign_up("alice")
    key = await new_key(alice)
    async with gateway.client() as tool:
        assert (await tool.get("/api/v1/me", headers=bearer(key))).status_code == 200
        assert (await alice.client.delete(f"/api/v1/api-keys/{key['id']}", headers=alice.csrf)).status_code == 204
        assert (await tool.post("/api/v1/generations", json=GENERATE, headers=bearer(key))).status_code == 401
    assert (await alice.client.delete(f"/api/v1/api-keys/{key['id']}", headers=alice.csrf)).status_code == 404
    assert key["id"] not in {item["id"] for item in (await alice.client.get("/api/v1/api-keys")).json()["items"]}
