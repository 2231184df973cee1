"""An API call that needs an account, made with neither an API key nor a session cookie, answers
401 problem+json (`WWW-Authenticate: Bearer`) whatever its body; a cookie session without the CSRF
token still gets the CSRF refusal; a signed-in caller still hears about a bad body."""

import httpx
import pytest

from tests.integration.gateway.conftest import Gateway, SignUp

PROBLEM = "application/problem+json"
GENERATIONS = "/api/v1/generations"
MALFORMED_JSON = {"content": b'{"prompt": "a cat"', "headers": {"Content-Type": "application/json"}}


def assert_401(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["detail"] == "Log in or send an API key (Authorization: Bearer <key>)."


@pytest.mark.parametrize(
    "body",
    [
        {"json": {"prompt": "a cat"}},
        MALFORMED_JSON,
        {},
        {"content": b"prompt=a+cat", "headers": {"Content-Type": "application/x-www-form-urlencoded"}},
        {"json": {"prompt": ""}},
    ],
    ids=["valid", "malformed-json", "no-body", "form", "invalid"],
)
async def test_an_anonymous_generation_answers_401_whatever_the_body(gateway: Gateway, body: dict) -> None:
    async with gateway.client() as anonymous:
        assert_401(await anonymous.post(GENERATIONS, **body))
    assert gateway.generation.submissions == []


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1/api-keys"),
        ("GET", "/api/v1/api-keys"),
        ("DELETE", "/api/v1/api-keys/00000000-0000-4000-8000-000000000000"),
        ("GET", "/api/v1/sessions"),
        ("DELETE", "/api/v1/sessions"),
        ("POST", "/api/v1/me/password"),
        ("GET", "/api/v1/me"),
        ("PUT", "/api/v1/me/avatar"),
        ("POST", "/api/v1/images/visibility"),
    ],
)
async def test_every_account_route_answers_401_to_anonymous_callers_even_with_a_malformed_body(
    gateway: Gateway, method: str, path: str
) -> None:
    async with gateway.client() as anonymous:
        assert_401(await anonymous.request(method, path, **MALFORMED_JSON))


async def test_a_dead_session_cookie_is_anonymous_not_a_csrf_failure(gateway: Gateway, sign_up: SignUp) -> None:
    alice = await sign_up("alice")
    assert (await alice.client.post("/api/v1/auth/logout", headers=alice.csrf)).status_code == 204
    async with gateway.client() as stale:
        stale.cookies.set("atelier_session", "ended-or-made-up")
        assert_401(await stale.post(GENERATIONS, json={"prompt": "a cat"}))


async def test_a_cookie_session_without_the_csrf_token_still_gets_the_csrf_refusal(
    gateway: Gateway, sign_up: SignUp
) -> None:
    alice = await sign_up("alice")
    for body in ({"json": {"prompt": "a cat"}}, MALFORMED_JSON):
        response = await alice.client.post(GENERATIONS, **body)
        assert response.status_code == 403, response.text
        assert response.headers["content-type"] == PROBLEM
        assert "CSRF" in response.json()["detail"]
    assert gateway.generation.submissions == []


async def test_signed_in_callers_still_hear_that_their_json_is_malformed(gateway: Gateway, sign_up: SignUp) -> None:
    alice = await sign_up("alice")
    by_cookie = await alice.client.post(
        GENERATIONS, content=MALFORMED_JSON["content"], headers={**MALFORMED_JSON["headers"], **alice.csrf}
    )
    async with gateway.client() as tool:
        by_key = await tool.post(
            GENERATIONS, content=MALFORMED_JSON["content"], headers={**MALFORMED_JSON["headers"], **alice.bearer}
        )
        garbage_key = await tool.post(
            GENERATIONS,
            content=MALFORMED_JSON["content"],
            headers={**MALFORMED_JSON["headers"], "Authorization": "Bearer atl_not-a-key"},
        )
    assert by_cookie.status_code == by_key.status_code == 400
    assert "not valid JSON" in by_key.json()["detail"]
    assert garbage_key.status_code == 401
    assert "not valid" in garbage_key.json()["detail"]


async def test_routes_open_to_anonymous_callers_keep_answering_them(gateway: Gateway) -> None:
    async with gateway.client() as anonymous:
        assert (await anonymous.get("/api/v1/feed")).status_code == 200
        logout = await anonymous.post("/api/v1/auth/logout")
        login = await anonymous.post("/api/v1/auth/login", **MALFORMED_JSON)
    assert logout.status_code == 204
    assert login.status_code == 400  # log-in needs no account: its body is what is wrong
