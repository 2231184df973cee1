"""Sessions (list, end one, sign out everywhere) and password change: each ended session stops at once,
its live progress stream too; another user's session id is 404; a password change needs the current
password, ends every other session and counts wrong passwords towards the log-in lockout."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from tests.integration.gateway.conftest import PASSWORD, Gateway, SignedUp, SignUp
from tests.integration.gateway.test_generation_events import _rest, progress, sse_events
from tests.integration.gateway.test_rate_limits import LOCKOUT_FAST, BuildApp, client_of, replica  # noqa: F401

PROBLEM = "application/problem+json"
NEW_PASSWORD = "a new password 2"


@asynccontextmanager
async def second_browser(gateway: Gateway, username: str) -> AsyncIterator[httpx.AsyncClient]:
    """The same person signed in on another device."""
    async with gateway.client() as browser:
        login = await browser.post(
            "/api/v1/auth/login", json={"username": username, "password": PASSWORD}, headers={"User-Agent": "Phone/1.0"}
        )
        assert login.status_code == 200, login.text
        yield browser


def csrf_of(client: httpx.AsyncClient) -> dict[str, str]:
    return {"X-CSRF-Token": client.cookies["atelier_csrf"]}


async def sessions_of(client: httpx.AsyncClient) -> list[dict]:
    response = await client.get("/api/v1/sessions")
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def test_the_list_shows_my_sessions_newest_first_and_which_is_this_one(gateway: Gateway, sign_up: SignUp) -> None:
    alice = await sign_up("alice")
    async with second_browser(gateway, "alice") as phone:
        listed = await sessions_of(alice.client)
        assert [item["current"] for item in listed] == [False, True]
        assert listed[0]["user_agent"] == "Phone/1.0"
        assert all(item["created_at"] and item["expires_at"] for item in listed)
        assert [item["current"] for item in await sessions_of(phone)] == [True, False]
        raw = str(listed)
        assert alice.client.cookies["atelier_session"] not in raw and phone.cookies["atelier_session"] not in raw


async def test_ending_another_session_stops_it_at_once(gateway: Gateway, sign_up: SignUp) -> None:
    alice = await sign_up("alice")
    async with second_browser(gateway, "alice") as phone:
        [phone_session] = [item for item in await sessions_of(alice.client) if not item["current"]]
        ended = await alice.client.delete(f"/api/v1/sessions/{phone_session['id']}", headers=alice.csrf)
        assert ended.status_code == 204
        assert (await phone.get("/api/v1/me")).status_code == 401
        assert (await alice.client.get("/api/v1/me")).status_code == 200
        again = await alice.client.delete(f"/api/v1/sessions/{phone_session['id']}", headers=alice.csrf)
        assert again.status_code == 404


async def test_another_users_session_id_is_404_and_keeps_working(gateway: Gateway, sign_up: SignUp) -> None:
    alice, mallory = await sign_up("alice"), await sign_up("mallory")
    [alices] = await sessions_of(alice.client)
    assert [item["id"] for item in await sessions_of(mallory.client)] != [alices["id"]]
    attempt = await mallory.client.delete(f"/api/v1/sessions/{alices['id']}", headers=mallory.csrf)
    unknown = await mallory.client.delete("/api/v1/sessions/00000000-0000-4000-8000-000000000000", headers=mallory.csrf)
    malformed = await mallory.client.delete("/api/v1/sessions/not-an-id", headers=mallory.csrf)
    assert attempt.status_code == unknown.status_code == malformed.status_code == 404
    assert attempt.json()["detail"] == unknown.json()["detail"] == "Session not found."
    assert (await alice.client.get("/api/v1/me")).status_code == 200


async def test_sign_out_everywhere_ends_every_session_but_not_the_api_keys(gateway: Gateway, sign_up: SignUp) -> None:
    alice = await sign_up("alice")
    async with second_browser(gateway, "alice") as phone:
        response = await alice.client.delete("/api/v1/sessions", headers=alice.csrf)
        assert response.status_code == 200
        assert response.json() == {"ended": 2}
        assert any(header.startswith("atelier_session=") for header in response.headers.get_list("set-cookie"))
        assert (await phone.get("/api/v1/me")).status_code == 401
        assert (await alice.client.get("/api/v1/me")).status_code == 401
    async with gateway.client() as tool:
        assert (await tool.get("/api/v1/me", headers=alice.bearer)).status_code == 200


async def test_sign_out_everywhere_ends_live_progress_streams(
    gateway: Gateway, sign_up: SignUp, live_gateway: str
) -> None:
    alice: SignedUp = await sign_up("alice", base_url=live_gateway)
    generation_id = gateway.generation.add(alice.user_id).generation_id
    async with httpx.AsyncClient(base_url=live_gateway, timeout=30) as phone:
        login = await phone.post("/api/v1/auth/login", json={"username": "alice", "password": PASSWORD})
        assert login.status_code == 200
        async with phone.stream("GET", f"/api/v1/generations/{generation_id}/events") as response:
            events = sse_events(response)
            assert (await anext(events))[0] == "state"
            assert (await alice.client.delete("/api/v1/sessions", headers=alice.csrf)).status_code == 200
            gateway.progress.publish(progress(generation_id, alice.user_id, step=6))
            assert await _rest(events) == []  # it ends, and step 6 never left


async def test_a_password_change_needs_the_current_password(gateway: Gateway, sign_up: SignUp) -> None:
    alice = await sign_up("alice")
    wrong = await alice.client.post(
        "/api/v1/me/password",
        json={"current_password": "not it at all", "new_password": NEW_PASSWORD},
        headers=alice.csrf,
    )
    assert wrong.status_code == 403
    assert wrong.headers["content-type"] == PROBLEM
    assert wrong.json()["detail"] == "The current password is wrong."
    short = await alice.client.post(
        "/api/v1/me/password", json={"current_password": PASSWORD, "new_password": "short"}, headers=alice.csrf
    )
    assert short.status_code == 422
    async with gateway.client() as browser:
        login = await browser.post("/api/v1/auth/login", json={"username": "alice", "password": PASSWORD})
        assert login.status_code == 200  # unchanged


async def test_a_password_change_ends_every_other_session_and_keeps_this_one(gateway: Gateway, sign_up: SignUp) -> None:
    alice = await sign_up("alice")
    async with second_browser(gateway, "alice") as phone:
        changed = await alice.client.post(
            "/api/v1/me/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}, headers=alice.csrf
        )
        assert changed.status_code == 204, changed.text
        assert (await phone.get("/api/v1/me")).status_code == 401
        assert (await alice.client.get("/api/v1/me")).status_code == 200
        assert [item["current"] for item in await sessions_of(alice.client)] == [True]
    async with gateway.client() as browser:
        old = await browser.post("/api/v1/auth/login", json={"username": "alice", "password": PASSWORD})
        new = await browser.post("/api/v1/auth/login", json={"username": "alice", "password": NEW_PASSWORD})
    assert (old.status_code, new.status_code) == (401, 200)
    [(password_hash,)] = gateway.rows("SELECT password_hash FROM users WHERE username = 'alice'")
    assert password_hash.startswith("$argon2id$") and NEW_PASSWORD not in password_hash


async def test_wrong_current_passwords_lock_the_password_change_like_log_in(replica: BuildApp) -> None:  # noqa: F811
    app = await replica(**{**LOCKOUT_FAST, "rate_login_lockout_max_s": 60.0})
    async with client_of(app) as browser:
        signed_up = await browser.post("/api/v1/auth/signup", json={"username": "locked", "password": PASSWORD})
        assert signed_up.status_code == 201
        statuses = [
            (
                await browser.post(
                    "/api/v1/me/password",
                    json={"current_password": "a wrong guess", "new_password": NEW_PASSWORD},
                    headers=csrf_of(browser),
                )
            ).status_code
            for _ in range(8)
        ]
        assert statuses[:5] == [403] * 5
        assert statuses[-1] == 429
        right = await browser.post(
            "/api/v1/me/password",
            json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
            headers=csrf_of(browser),
        )
        assert right.status_code == 429
        assert right.headers["content-type"] == PROBLEM
        assert int(right.headers["retry-after"]) >= 1


async def test_a_manage_key_lists_the_sessions_none_of_them_its_own(gateway: Gateway, sign_up: SignUp) -> None:
    alice = await sign_up("alice")
    async with gateway.client() as tool:
        response = await tool.get("/api/v1/sessions", headers=alice.bearer)
    assert response.status_code == 200, response.text
    assert [item["current"] for item in response.json()["items"]] == [False]
