"""Rate limits against the real Postgres: token buckets per route class, keyed per account or per
client address, shared by gateway replicas; login lockout with back-off; 429 problem+json with
Retry-After and RateLimit-* headers; the tarpit that holds refusals."""

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import psycopg
import pytest_asyncio
from fastapi import FastAPI

from glue.db import open_pool
from services.gateway.app import create_app
from services.gateway.auth.security import CSRF_COOKIE, CSRF_HEADER
from services.gateway.ratelimit.store import RateLimits
from services.gateway.repository import SCHEMA
from services.gateway.settings import GatewaySettings
from tests.integration.gateway.conftest import PASSWORD, UNUSED_OBJECT_STORE_KEYS, Gateway
from tests.support.services import CURSOR_SECRET

WRONG = "not the password"
LOCKOUT_FAST = {"rate_login": "1000/minute", "rate_login_lockout_max_s": 2.0}

BuildApp = Callable[..., Awaitable[FastAPI]]


@pytest_asyncio.fixture
async def replica(gateway: Gateway) -> AsyncIterator[BuildApp]:
    """Builds a gateway app with rate limits on, over its own pool of the shared database (two
    calls: two replicas). Settings are GatewaySettings fields (`rate_signup="3/hour"`)."""
    with psycopg.connect(gateway.database_url, autocommit=True) as conn:
        conn.execute(f"TRUNCATE {SCHEMA}.rate_buckets, {SCHEMA}.login_failures")
    pools = []

    async def build(**limits: object) -> FastAPI:
        # Refusals answered at once, but in the tarpit's own tests.
        limits = {"rate_tarpit_max_hold_s": 0, **limits}
        settings = GatewaySettings(
            database_url=gateway.database_url, **UNUSED_OBJECT_STORE_KEYS, cursor_secret=CURSOR_SECRET, **limits
        )
        pool = await open_pool(gateway.database_url, SCHEMA, max_size=2)
        pools.append(pool)
        deps = dataclasses.replace(gateway.app.state.deps, rate_limits=RateLimits.on(pool, settings))
        return create_app(settings, deps)

    yield build
    for pool in pools:
        await pool.close()


def client_of(app: FastAPI, address: str = "203.0.113.7") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    # Loopback over http: the one place the gateway's cookies are not Secure.
    return httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1", timeout=30)


async def log_in(client: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    return await client.post("/api/v1/auth/login", json={"username": username, "password": password})


async def sign_up(client: httpx.AsyncClient, username: str) -> httpx.Response:
    return await client.post("/api/v1/auth/signup", json={"username": username, "password": PASSWORD})


def assert_limited(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert int(response.headers["retry-after"]) >= 1


async def test_forty_wrong_passwords_lock_the_username_and_the_right_one_works_after_the_back_off(
    replica: BuildApp,
) -> None:
    app = await replica(**LOCKOUT_FAST)
    async with client_of(app) as client:
        assert (await sign_up(client, "victim")).status_code == 201
        statuses = [(await log_in(client, "victim", WRONG)).status_code for _ in range(40)]
        # 5 failures, then locked (1 s, then 2 s capped): the rest are refused without a guess.
        assert statuses[:5] == [401] * 5
        assert statuses.count(401) <= 8 and statuses.count(429) >= 32, statuses
        locked = await log_in(client, "victim", PASSWORD)
        assert_limited(locked)
        assert "set-cookie" not in locked.headers
        # Waiting out the lock is the behaviour under test: the same log-in succeeds once it has passed.
        await asyncio.sleep(int(locked.headers["retry-after"]))
        assert (await log_in(client, "victim", PASSWORD)).status_code == 200
        # The success forgot the username's failures: five more wrong passwords before the next lock.
        assert [(await log_in(client, "victim", WRONG)).status_code for _ in range(6)] == [401] * 5 + [429]


async def test_an_unknown_username_is_locked_with_the_same_answer(replica: BuildApp) -> None:
    app = await replica(**LOCKOUT_FAST)
    async with client_of(app) as client:
        assert (await sign_up(client, "known_user")).status_code == 201
        answers = {}
        for username in ("known_user", "ghost_user"):
            for _ in range(5):
                assert (await log_in(client, username, WRONG)).status_code == 401
            answers[username] = await log_in(client, username, PASSWORD if username == "known_user" else WRONG)
    known, ghost = answers["known_user"], answers["ghost_user"]
    assert_limited(known)
    assert_limited(ghost)
    assert known.json()["detail"] == ghost.json()["detail"]
    assert sorted(known.headers.keys()) == sorted(ghost.headers.keys())


async def test_an_address_guessing_many_usernames_is_locked_but_others_are_not(replica: BuildApp) -> None:
    app = await replica(**LOCKOUT_FAST, rate_login_failures_per_address=4)
    async with client_of(app, "198.51.100.1") as guesser, client_of(app, "198.51.100.2") as someone_else:
        assert (await sign_up(someone_else, "carol")).status_code == 201
        for n in range(4):
            assert (await log_in(guesser, f"target_{n}", WRONG)).status_code == 401
        assert_limited(await log_in(guesser, "carol", PASSWORD))
        assert (await log_in(someone_else, "carol", PASSWORD)).status_code == 200


async def test_a_sign_up_burst_is_limited_per_address(replica: BuildApp) -> None:
    app = await replica(rate_signup="3/hour")
    async with client_of(app, "192.0.2.10") as farm, client_of(app, "192.0.2.11") as newcomer:
        created = [await sign_up(farm, f"farm_{n}") for n in range(3)]
        assert [response.status_code for response in created] == [201, 201, 201]
        assert [response.headers["ratelimit-remaining"] for response in created] == ["2", "1", "0"]
        refused = await sign_up(farm, "farm_3")
        assert_limited(refused)
        assert refused.headers["ratelimit-limit"] == "3"
        assert refused.headers["ratelimit-remaining"] == "0"
        assert int(refused.headers["retry-after"]) > 1000  # one sign-up comes back every 20 minutes
        assert (await sign_up(newcomer, "newcomer")).status_code == 201
    replica_rows = await asyncio.to_thread(
        lambda: (
            psycopg.connect(app.state.settings.database_url)
            .execute(f"SELECT count(*) FROM {SCHEMA}.users WHERE username LIKE 'farm_%%'")
            .fetchone()
        )
    )
    assert replica_rows == (3,)


async def test_an_anonymous_feed_loop_gets_429_after_its_budget_with_headers(
    replica: BuildApp, gateway: Gateway
) -> None:
    app = await replica(rate_anonymous_feed="10/minute")
    async with client_of(app, "203.0.113.50") as reader, client_of(app, "203.0.113.51") as member:
        pages = [await reader.get("/api/v1/feed") for _ in range(10)]
        assert [page.status_code for page in pages] == [200] * 10
        assert [page.headers["ratelimit-remaining"] for page in pages] == [str(n) for n in range(9, -1, -1)]
        assert all(page.headers["ratelimit-limit"] == "10" for page in pages)
        refused = await reader.get("/api/v1/feed")
        assert_limited(refused)
        assert refused.json()["detail"].startswith("Too many requests (anonymous feed: 10/minute)")
        assert refused.headers["ratelimit-remaining"] == "0"
        assert 0 < int(refused.headers["ratelimit-reset"]) <= 60
        assert_limited(await reader.get("/api/v1/users/anyone"))
        # A signed-in reader from the same address has a bucket of its own (per account).
        assert (await sign_up(member, "member")).status_code == 201
        assert (await member.get("/api/v1/feed")).status_code == 200


async def test_generation_submits_are_limited_per_account_beyond_the_concurrency_cap(
    replica: BuildApp, gateway: Gateway
) -> None:
    app = await replica(rate_submit="2/minute")
    async with client_of(app) as alice:
        assert (await sign_up(alice, "submitter")).status_code == 201
        csrf = {CSRF_HEADER: alice.cookies[CSRF_COOKIE]}
        for _ in range(2):
            accepted = await alice.post("/api/v1/generations", json={"prompt": "p", "num_images": 1}, headers=csrf)
            assert accepted.status_code == 202, accepted.text
            gateway.generation.succeed(accepted.json()["generation_id"])  # never at the concurrency cap
        refused = await alice.post("/api/v1/generations", json={"prompt": "p", "num_images": 1}, headers=csrf)
        assert_limited(refused)
        assert refused.json()["detail"].startswith("Too many requests (submit: 2/minute)")
    assert len(gateway.generation.accepted) == 2


async def test_two_replicas_sharing_the_database_share_the_bucket(replica: BuildApp) -> None:
    first, second = await replica(rate_anonymous_feed="6/minute"), await replica(rate_anonymous_feed="6/minute")
    async with client_of(first) as via_first, client_of(second) as via_second:
        statuses = []
        for n in range(6):
            client = via_first if n % 2 == 0 else via_second
            statuses.append((await client.get("/api/v1/feed")).status_code)
        assert statuses == [200] * 6
        assert_limited(await via_first.get("/api/v1/feed"))
        assert_limited(await via_second.get("/api/v1/feed"))


async def test_x_forwarded_for_is_ignored_unless_a_trusted_proxy_is_configured(replica: BuildApp) -> None:
    direct = await replica(rate_anonymous_feed="2/minute")
    async with client_of(direct, "203.0.113.60") as client:
        for n in range(2):
            assert (await client.get("/api/v1/feed", headers={"X-Forwarded-For": f"10.0.0.{n}"})).status_code == 200
        assert_limited(await client.get("/api/v1/feed", headers={"X-Forwarded-For": "10.0.0.99"}))
    behind_proxy = await replica(rate_anonymous_feed="2/minute", rate_trusted_proxy_hops=1)
    async with client_of(behind_proxy, "10.1.1.1") as proxy:
        for client_ip in ("198.51.100.70", "198.51.100.71"):
            for _ in range(2):
                forwarded = {"X-Forwarded-For": f"6.6.6.6, {client_ip}"}  # the client wrote 6.6.6.6 itself
                assert (await proxy.get("/api/v1/feed", headers=forwarded)).status_code == 200
        assert_limited(await proxy.get("/api/v1/feed", headers={"X-Forwarded-For": "7.7.7.7, 198.51.100.70"}))


async def test_limits_set_to_0_or_switched_off_do_not_limit(replica: BuildApp) -> None:
    unlimited_feed = await replica(rate_anonymous_feed="0")
    async with client_of(unlimited_feed) as reader:
        pages = [await reader.get("/api/v1/feed") for _ in range(30)]
        assert {page.status_code for page in pages} == {200}
        assert "ratelimit-limit" not in pages[-1].headers
    switched_off = await replica(rate_limits_enabled=False, rate_signup="1/hour")
    async with client_of(switched_off, "192.0.2.99") as client:
        assert [(await sign_up(client, f"free_{n}")).status_code for n in range(3)] == [201] * 3
        statuses = [(await log_in(client, "free_0", WRONG)).status_code for _ in range(8)]
        assert statuses == [401] * 8
        assert (await log_in(client, "free_0", PASSWORD)).status_code == 200


async def test_idle_buckets_and_forgotten_failures_are_swept(replica: BuildApp, gateway: Gateway) -> None:
    app = await replica(rate_anonymous_feed="5/minute")
    limits: RateLimits = app.state.deps.rate_limits
    async with client_of(app, "203.0.113.80") as idle, client_of(app, "203.0.113.81") as active:
        assert (await idle.get("/api/v1/feed")).status_code == 200
        assert (await active.get("/api/v1/feed")).status_code == 200
        assert (await log_in(idle, "old_failure", WRONG)).status_code == 401
        assert (await log_in(active, "new_failure", WRONG)).status_code == 401
    with psycopg.connect(gateway.database_url, autocommit=True) as conn:
        conn.execute(
            f"UPDATE {SCHEMA}.rate_buckets SET updated_at = now() - interval '25 hours' WHERE key LIKE '%%.80'"
        )
        conn.execute(
            f"UPDATE {SCHEMA}.login_failures SET updated_at = now() - interval '1 hour'"
            " WHERE key IN ('user:old_failure', 'addr:203.0.113.80')"
        )
    await limits.buckets.forget_idle()
    await limits.lockout.forget_old()
    assert gateway.rows(f"SELECT key FROM {SCHEMA}.rate_buckets ORDER BY key") == [
        ("anonymous_feed:address:203.0.113.81",),
        ("login:address:203.0.113.81",),
    ]
    assert gateway.rows(f"SELECT key FROM {SCHEMA}.login_failures ORDER BY key") == [
        ("addr:203.0.113.81",),
        ("user:new_failure",),
    ]


async def test_a_signed_in_request_looks_its_caller_up_once(replica: BuildApp, monkeypatch) -> None:
    app = await replica()
    accounts = app.state.deps.accounts
    looked_up = []
    original = accounts.holder_of_api_key

    async def counting(key: str):
        looked_up.append(key)
        return await original(key)

    monkeypatch.setattr(accounts, "holder_of_api_key", counting)
    async with client_of(app) as client:
        signed_up = await sign_up(client, "counted")
        bearer = {"Authorization": f"Bearer {signed_up.json()['api_key']}"}
        client.cookies.clear()
        reply = await client.get("/api/v1/me", headers=bearer)
    assert reply.status_code == 200
    assert reply.headers["ratelimit-limit"] == "1200"  # the account's read bucket
    assert len(looked_up) == 1


async def test_a_sequential_loop_is_held_to_about_its_rate_by_the_tarpit(replica: BuildApp) -> None:
    app = await replica(rate_anonymous_feed="1/second", rate_tarpit_max_hold_s=2.0)
    async with client_of(app, "203.0.113.90") as looper:
        statuses: list[int] = []
        refused_waits: list[float] = []
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            started = time.monotonic()
            reply = await looper.get("/api/v1/feed")
            statuses.append(reply.status_code)
            if reply.status_code == 429:
                assert_limited(reply)
                refused_waits.append(time.monotonic() - started)
    # Answered at once, such a loop makes hundreds of requests in 3 s; held, about two a second.
    assert len(statuses) <= 10, statuses
    assert statuses.count(200) >= 2
    assert refused_waits and min(refused_waits) >= 0.3, refused_waits


async def test_a_remembered_refusal_is_answered_before_the_app_and_not_for_another_caller(
    replica: BuildApp, monkeypatch
) -> None:
    app = await replica(rate_anonymous_feed="1/minute")
    limits: RateLimits = app.state.deps.rate_limits
    checks = []
    original = limits.buckets.take

    async def counting(key, rate):
        checks.append(key)
        return await original(key, rate)

    monkeypatch.setattr(limits.buckets, "take", counting)
    async with client_of(app, "203.0.113.91") as reader, client_of(app, "203.0.113.92") as other:
        assert (await reader.get("/api/v1/feed")).status_code == 200
        first_refusal = await reader.get("/api/v1/feed")
        assert_limited(first_refusal)
        again = [await reader.get("/api/v1/feed") for _ in range(5)]
        for reply in again:
            assert_limited(reply)
            assert reply.json()["detail"] == first_refusal.json()["detail"].replace(
                first_refusal.headers["retry-after"], reply.headers["retry-after"]
            )
            assert reply.headers["ratelimit-limit"] == "1"
            assert reply.headers["x-content-type-options"] == "nosniff"
        assert len(checks) == 2  # the five repeats never reached the dependency
        assert (await other.get("/api/v1/feed")).status_code == 200
        assert (await reader.get("/api/v1/users/someone")).status_code == 429  # same bucket, another path
    assert len(checks) == 4


async def test_the_tarpit_holds_few_requests_per_address_and_answers_the_rest_at_once(replica: BuildApp) -> None:
    app = await replica(rate_anonymous_feed="1/minute", rate_tarpit_max_hold_s=1.5, rate_tarpit_held_per_address=2)
    async with client_of(app, "203.0.113.93") as flooder:
        assert (await flooder.get("/api/v1/feed")).status_code == 200

        async def timed() -> tuple[int, float]:
            started = time.monotonic()
            reply = await flooder.get("/api/v1/feed")
            return reply.status_code, time.monotonic() - started

        answers = await asyncio.gather(*(timed() for _ in range(6)))
    assert {status for status, _ in answers} == {429}
    held = [seconds for _, seconds in answers if seconds >= 1.0]
    assert len(held) == 2, answers
