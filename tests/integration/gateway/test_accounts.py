"""Sign-up, log-in, log-out, sessions, API keys and how they are stored."""

import hashlib

from tests.integration.gateway.conftest import PASSWORD, Gateway, SignUp

PROBLEM = "application/problem+json"


async def test_signup_starts_a_session_and_returns_a_working_api_key(gateway: Gateway, sign_up: SignUp) -> None:
    alice = await sign_up("alice")

    assert alice.username == "alice"
    assert alice.api_key.startswith("atl_")
    by_cookie = await alice.client.get("/api/v1/me")
    assert by_cookie.status_code == 200
    me = by_cookie.json()
    assert {
        key: me[key]
        for key in (
            "user_id",
            "username",
            "plan",
            "entitlements",
            "credits",
            "avatar_image_id",
            "subscription_status",
            "last_visibility",
        )
    } == {
        "user_id": alice.user_id,
        "username": "alice",
        "plan": "free",
        "entitlements": [],
        "credits": 25,
        "avatar_image_id": None,
        "subscription_status": "none",
        "last_visibility": None,
    }
    async with gateway.client() as anonymous:
        by_key = await anonymous.get("/api/v1/me", headers=alice.bearer)
    assert by_key.json()["user_id"] == alice.user_id


async def test_session_cookie_is_httponly_and_samesite_lax(gateway: Gateway) -> None:
    async with gateway.client() as client:
        response = await client.post("/api/v1/auth/signup", json={"username": "bob", "password": PASSWORD})
    cookies = {header.split("=", 1)[0]: header.lower() for header in response.headers.get_list("set-cookie")}
    assert "httponly" in cookies["atelier_session"]
    assert "samesite=lax" in cookies["atelier_session"]
    assert "httponly" not in cookies["atelier_csrf"]  # the page's script must read it
    assert "secure" not in cookies["atelier_session"]  # plain http on loopback unless configured


async def test_usernames_are_case_insensitive_and_unique(gateway: Gateway, sign_up: SignUp) -> None:
    await sign_up("Carol")
    async with gateway.client() as client:
        response = await client.post("/api/v1/auth/signup", json={"username": "carol", "password": PASSWORD})
    assert response.status_code == 409
    assert response.headers["content-type"] == PROBLEM
    assert "already taken" in response.json()["detail"]


async def test_signup_rules_are_explained_per_field(gateway: Gateway) -> None:
    async with gateway.client() as client:
        response = await client.post("/api/v1/auth/signup", json={"username": "a b", "password": "short"})
    assert response.status_code == 422
    errors = {item["field"]: item["message"] for item in response.json()["errors"]}
    assert "lower-case letters, digits and underscores" in errors["username"]
    assert errors["password"] == "Must be at least 8 character(s) long."
    assert gateway.rows("SELECT count(*) FROM users") == [(0,)]


async def test_login_failure_does_not_say_which_part_was_wrong(gateway: Gateway, sign_up: SignUp) -> None:
    await sign_up("dave")
    async with gateway.client() as client:
        wrong_password = await client.post("/api/v1/auth/login", json={"username": "dave", "password": "nope-nope"})
        unknown_user = await client.post("/api/v1/auth/login", json={"username": "nobody", "password": PASSWORD})
    assert wrong_password.status_code == unknown_user.status_code == 401
    assert wrong_password.json()["detail"] == unknown_user.json()["detail"] == "Wrong username or password."
    assert "atelier_session" not in wrong_password.cookies


async def test_login_then_logout_ends_the_session(gateway: Gateway, sign_up: SignUp) -> None:
    await sign_up("erin")
    async with gateway.client() as browser:
        login = await browser.post("/api/v1/auth/login", json={"username": "ERIN", "password": PASSWORD})
        assert login.status_code == 200
        assert "api_key" not in login.json()
        session = browser.cookies["atelier_session"]
        csrf = {"X-CSRF-Token": browser.cookies["atelier_csrf"]}
        assert (await browser.get("/api/v1/me")).status_code == 200

        assert (await browser.post("/api/v1/auth/logout", headers=csrf)).status_code == 204
        assert (await browser.get("/api/v1/me")).status_code == 401
    async with gateway.client() as replay:  # the old cookie is dead on the server too
        replay.cookies.set("atelier_session", session)
        assert (await replay.get("/api/v1/me")).status_code == 401


async def test_passwords_are_stored_as_argon2id_hashes(gateway: Gateway, sign_up: SignUp) -> None:
    await sign_up("frank")
    [(password_hash,)] = gateway.rows("SELECT password_hash FROM users WHERE username = 'frank'")
    assert password_hash.startswith("$argon2id$")
    assert PASSWORD not in password_hash


async def test_api_keys_and_sessions_are_not_stored_in_clear(gateway: Gateway, sign_up: SignUp) -> None:
    grace = await sign_up("grace")
    created = await grace.client.post("/api/v1/api-keys", json={"name": "laptop"}, headers=grace.csrf)
    assert created.status_code == 201
    new_key = created.json()["api_key"]

    stored_keys = [bytes(row[0]) for row in gateway.rows("SELECT key_hash FROM api_keys")]
    for key in (grace.api_key, new_key):
        assert hashlib.sha256(key.encode()).digest() in stored_keys
    everything = repr(gateway.rows("SELECT * FROM api_keys")) + repr(gateway.rows("SELECT * FROM sessions"))
    for secret in (grace.api_key, new_key, grace.client.cookies["atelier_session"]):
        assert secret not in everything
        assert secret.encode().hex() not in everything


async def test_api_key_is_shown_once_then_listed_without_the_key(gateway: Gateway, sign_up: SignUp) -> None:
    heidi = await sign_up("heidi")
    await heidi.client.post("/api/v1/api-keys", json={"name": "ci"}, headers=heidi.csrf)
    listed = await heidi.client.get("/api/v1/api-keys")
    assert [item["name"] for item in listed.json()["items"]] == ["ci", "default"]
    assert all("api_key" not in item for item in listed.json()["items"])


async def test_a_revoked_api_key_stops_working(gateway: Gateway, sign_up: SignUp) -> None:
    ivan = await sign_up("ivan")
    created = (await ivan.client.post("/api/v1/api-keys", headers=ivan.csrf)).json()
    key_headers = {"Authorization": f"Bearer {created['api_key']}"}
    async with gateway.client() as tool:
        assert (await tool.get("/api/v1/me", headers=key_headers)).status_code == 200
        revoked = await tool.delete(f"/api/v1/api-keys/{created['id']}", headers=ivan.bearer)
        assert revoked.status_code == 204
        rejected = await tool.get("/api/v1/me", headers=key_headers)
    assert rejected.status_code == 401
    assert rejected.headers["content-type"] == PROBLEM
    assert "not valid" in rejected.json()["detail"]


async def test_nobody_can_revoke_another_users_key(gateway: Gateway, sign_up: SignUp) -> None:
    judy, mallory = await sign_up("judy"), await sign_up("mallory")
    judys_key = (await judy.client.get("/api/v1/api-keys")).json()["items"][0]["id"]
    attempt = await mallory.client.delete(f"/api/v1/api-keys/{judys_key}", headers=mallory.csrf)
    assert attempt.status_code == 404
    async with gateway.client() as tool:
        assert (await tool.get("/api/v1/me", headers=judy.bearer)).status_code == 200


async def test_me_needs_an_account(gateway: Gateway) -> None:
    async with gateway.client() as anonymous:
        response = await anonymous.get("/api/v1/me")
        garbage_key = await anonymous.get("/api/v1/me", headers={"Authorization": "Bearer atl_not-a-key"})
        wrong_scheme = await anonymous.get("/api/v1/me", headers={"Authorization": "Basic abc"})
    assert response.status_code == garbage_key.status_code == wrong_scheme.status_code == 401
    assert response.headers["content-type"] == PROBLEM
    assert response.headers["www-authenticate"] == "Bearer"
