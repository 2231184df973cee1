"""Hostile input at the gateway's trust boundary: NUL bytes, lone surrogates, oversized bodies and
forged cursors are refused with a problem document, never a 5xx (issue 10)."""

import base64
import json

import httpx
import pytest

from tests.integration.gateway.conftest import PASSWORD, Gateway, SignedUp

PROBLEM = "application/problem+json"
NUL = "a\x00b"
SURROGATE = "a\ud800b"


def _json_body(value: object) -> bytes:
    # json.dumps writes lone surrogates as \ud800 escapes, as a hostile client would.
    return json.dumps(value).encode()


def _assert_refused(response: httpx.Response, *statuses: int) -> None:
    assert response.status_code in (statuses or (422,)), (response.status_code, response.text)
    assert response.headers["content-type"] == PROBLEM


async def _post_json(client: httpx.AsyncClient, url: str, value: object, headers: dict | None = None):
    return await client.post(
        url, content=_json_body(value), headers={"content-type": "application/json", **(headers or {})}
    )


@pytest.mark.parametrize("bad", [NUL, SURROGATE])
async def test_bad_characters_in_a_login_username_are_refused(gateway: Gateway, bad: str) -> None:
    async with gateway.client() as client:
        response = await _post_json(client, "/api/v1/auth/login", {"username": bad, "password": PASSWORD})
    _assert_refused(response)


@pytest.mark.parametrize("bad", [NUL, SURROGATE])
async def test_bad_characters_in_json_bodies_are_refused(alice: SignedUp, bad: str) -> None:
    for url, body in (
        ("/api/v1/api-keys", {"name": bad}),
        ("/api/v1/generations", {"prompt": bad}),
        ("/api/v1/images/00000000-0000-4000-8000-000000000001/report", {"reason": bad}),
        ("/api/v1/images/visibility", {"image_ids": [bad], "visibility": "public"}),
        ("/api/v1/images/visibility", {"image_ids": ["x"], "visibility": "public", bad: 1}),
    ):
        _assert_refused(await _post_json(alice.client, url, body, alice.csrf))


async def test_nul_in_paths_is_refused(gateway: Gateway, alice: SignedUp) -> None:
    for path in ("/api/v1/users/a%00b", "/static/app%00.js", "/u/a%00b", "/api/v1/images/a%00b"):
        _assert_refused(await alice.client.get(path), 404, 422)


async def test_nul_in_a_search_query_is_refused(alice: SignedUp) -> None:
    _assert_refused(await alice.client.get("/api/v1/feed", params={"q": NUL}))


async def test_a_search_of_dashes_is_answered(alice: SignedUp) -> None:
    response = await alice.client.get("/api/v1/feed", params={"q": "-" * 50})
    assert response.status_code in (200, 422), response.text


@pytest.mark.parametrize(
    "cursor",
    [
        "not a cursor",
        "%%%",
        base64.urlsafe_b64encode(b'{"g": "x", "m": [1, 2, 3, 4]}').decode(),
        base64.urlsafe_b64encode(b'{"g": "x", "m": [1, 2, 5, 4]}').decode(),
        base64.urlsafe_b64encode(b'{"g": "x", "m": null}').decode(),
        base64.urlsafe_b64encode(b'{"g": "\\u0000"}').decode(),
        base64.urlsafe_b64encode(b'["g"]').decode(),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    ],
)
async def test_forged_creations_cursors_are_refused(alice: SignedUp, cursor: str) -> None:
    response = await alice.client.get("/api/v1/me/creations", params={"cursor": cursor})
    _assert_refused(response, 400, 422)


async def test_a_body_over_the_limit_is_refused_before_it_is_parsed(gateway: Gateway, alice: SignedUp) -> None:
    limit = gateway.app.state.settings.max_request_body_bytes
    big = {"prompt": "x" * (limit + 1)}
    response = await _post_json(alice.client, "/api/v1/generations", big, alice.csrf)
    _assert_refused(response, 413)


async def test_a_chunked_body_over_the_limit_is_refused(gateway: Gateway, alice: SignedUp) -> None:
    limit = gateway.app.state.settings.max_request_body_bytes

    async def chunks():
        yield b'{"prompt": "'
        for _ in range(limit // 65536 + 2):
            yield b"x" * 65536
        yield b'"}'

    response = await alice.client.post(
        "/api/v1/generations", content=chunks(), headers={"content-type": "application/json", **alice.csrf}
    )
    _assert_refused(response, 413)


async def test_a_body_within_the_limit_still_works(alice: SignedUp) -> None:
    response = await _post_json(alice.client, "/api/v1/api-keys", {"name": "laptop ü \\u0000 ok"}, alice.csrf)
    assert response.status_code == 201, response.text
    assert response.json()["name"] == "laptop ü \\u0000 ok"
