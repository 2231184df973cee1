"""Cookie-authenticated requests that change state need the CSRF token; API-key requests do not."""

import pytest

from tests.integration.gateway.conftest import Gateway, SignUp

GENERATE = {"prompt": "a blue square"}


async def test_cookie_request_without_csrf_header_is_refused_and_submits_nothing(
    gateway: Gateway, sign_up: SignUp
) -> None:
    alice = await sign_up("alice")
    response = await alice.client.post("/api/v1/generations", json=GENERATE)
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert "CSRF" in response.json()["detail"]
    assert gateway.generation.submissions == []


@pytest.mark.parametrize("token", ["", "0" * 64, "forged"])
async def test_a_wrong_csrf_token_is_refused(gateway: Gateway, sign_up: SignUp, token: str) -> None:
    alice = await sign_up("alice")
    response = await alice.client.post("/api/v1/generations", json=GENERATE, headers={"X-CSRF-Token": token})
    assert response.status_code == 403
    assert gateway.generation.submissions == []


async def test_a_planted_cookie_pair_does_not_pass(gateway: Gateway, sign_up: SignUp) -> None:
    # A sibling site that can set cookies plants its own csrf cookie and sends the same header.
    alice = await sign_up("alice")
    alice.client.cookies.set("atelier_csrf", "attacker-chosen")
    response = await alice.client.post(
        "/api/v1/generations", json=GENERATE, headers={"X-CSRF-Token": "attacker-chosen"}
    )
    assert response.status_code == 403


async def test_another_sessions_token_does_not_pass(gateway: Gateway, sign_up: SignUp) -> None:
    alice, mallory = await sign_up("alice"), await sign_up("mallory")
    response = await alice.client.post("/api/v1/generations", json=GENERATE, headers=mallory.csrf)
    assert response.status_code == 403


async def test_the_matching_token_passes(gateway: Gateway, sign_up: SignUp) -> None:
    alice = await sign_up("alice")
    response = await alice.client.post("/api/v1/generations", json=GENERATE, headers=alice.csrf)
    assert response.status_code == 202
    assert len(gateway.generation.submissions) == 1


async def test_api_key_requests_need_no_csrf_token(gateway: Gateway, sign_up: SignUp) -> None:
    alice = await sign_up("alice")
    async with gateway.client() as tool:
        response = await tool.post("/api/v1/generations", json=GENERATE, headers=alice.bearer)
    assert response.status_code == 202


async def test_logout_by_a_foreign_site_is_refused(gateway: Gateway, sign_up: SignUp) -> None:
    alice = await sign_up("alice")
    assert (await alice.client.post("/api/v1/auth/logout")).status_code == 403
    assert (await alice.client.get("/api/v1/me")).status_code == 200


async def test_reading_needs_no_csrf_token(gateway: Gateway, sign_up: SignUp) -> None:
    alice = await sign_up("alice")
    alice.client.cookies.delete("atelier_csrf")
    me = await alice.client.get("/api/v1/me")
    assert me.status_code == 200
    assert "atelier_csrf" in me.cookies  # handed out again so the page can keep acting
