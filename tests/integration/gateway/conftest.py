"""The gateway app against the real Postgres fixture and in-process fake Generation, Billing and
Visibility services (tests/integration/gateway/fakes.py)."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

import grpc
import httpx
import psycopg
import pytest
import pytest_asyncio
import uvicorn
from argon2 import PasswordHasher
from argon2 import Type as Argon2Type
from fastapi import FastAPI

from glue.db import open_pool
from services.gateway.app import create_app
from services.gateway.auth.accounts import Accounts
from services.gateway.auth.security import CSRF_COOKIE, CSRF_HEADER
from services.gateway.clients.billing import BillingClient
from services.gateway.clients.custom_models import CustomModelsClient
from services.gateway.clients.feed import FeedClient
from services.gateway.clients.generation import GenerationClient
from services.gateway.clients.teams import TeamsClient
from services.gateway.clients.visibility import VisibilityClient
from services.gateway.clients.webhooks import WebhooksClient
from services.gateway.dependencies import GatewayDeps
from services.gateway.repository import SCHEMA, AccountsRepository, migrate_schema
from services.gateway.settings import GatewaySettings
from services.gateway.studio_options_store import StudioOptionsStore
from tests.integration.gateway.fakes import (
    FakeBillingService,
    FakeGenerationService,
    FakeVisibilityService,
    InMemoryObjects,
    InMemoryProgressFeed,
    running_services,
)
from tests.integration.gateway.feed_fake import FakeFeedService
from tests.integration.gateway.models_fake import FakeCustomModelService
from tests.integration.gateway.webhooks_fake import FakeWebhooksService, running_webhooks
from tests.support.services import CURSOR_SECRET

PASSWORD = "correct horse battery"
# The gateway's objects are in memory here; its settings still require the store's keys.
UNUSED_OBJECT_STORE_KEYS = {"s3_access_key": "unused-in-memory-objects", "s3_secret_key": "unused-in-memory-objects"}
# Still argon2id, at the smallest cost argon2 accepts: the production profile (RFC 9106 low-memory,
# 64 MiB x 3 passes x 4 lanes; tests/unit/gateway/test_password_hashing.py holds it) costs ~0.1-0.9 s a
# hash on 2 cores, and these tests sign up, log in and change passwords hundreds of times (the API
# fuzz alone sends ~600 such requests). What they check does not depend on the hash's cost.
CHEAP_ARGON2ID = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, type=Argon2Type.ID)


@pytest.fixture(scope="session")
def gateway_database(postgres_url: str) -> str:
    migrate_schema(postgres_url)
    return postgres_url


@dataclass
class Gateway:
    app: FastAPI
    generation: FakeGenerationService
    billing: FakeBillingService
    visibility: FakeVisibilityService
    progress: InMemoryProgressFeed
    objects: InMemoryObjects
    database_url: str
    feed: FakeFeedService
    webhooks: FakeWebhooksService
    # Loopback over plain http: the one place session cookies go without `Secure`.
    base_url: str = "http://127.0.0.1"

    def client(self, base_url: str | None = None) -> httpx.AsyncClient:
        """A browser-like client with its own cookie jar."""
        if base_url is not None:
            return httpx.AsyncClient(base_url=base_url, timeout=30)
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url=self.base_url, timeout=30)

    def rows(self, query: str, params: tuple = ()) -> list[tuple]:
        with psycopg.connect(self.database_url) as conn:
            conn.execute(f"SET search_path TO {SCHEMA}")
            return conn.execute(query, params).fetchall()


@pytest_asyncio.fixture
async def gateway(gateway_database: str) -> AsyncIterator[Gateway]:
    with psycopg.connect(gateway_database, autocommit=True) as conn:
        conn.execute(f"TRUNCATE {SCHEMA}.studio_options, {SCHEMA}.api_keys, {SCHEMA}.sessions, {SCHEMA}.users")
    objects = InMemoryObjects()
    billing = FakeBillingService()
    visibility = FakeVisibilityService(billing)
    fake = FakeGenerationService(objects, visibility, billing)
    feed = FakeFeedService(fake, visibility)
    progress = InMemoryProgressFeed()
    webhooks = FakeWebhooksService()
    settings = GatewaySettings(
        database_url=gateway_database,
        **UNUSED_OBJECT_STORE_KEYS,
        cursor_secret=CURSOR_SECRET,
        events_poll_interval_s=0.05,
        events_heartbeat_s=0.5,
    )
    pool = await open_pool(gateway_database, SCHEMA, max_size=4)
    try:
        async with (
            running_services(fake, billing, visibility, feed, FakeCustomModelService()) as address,
            grpc.aio.insecure_channel(address) as channel,
            running_webhooks(webhooks) as webhooks_address,
            grpc.aio.insecure_channel(webhooks_address) as webhooks_channel,
        ):
            repository = AccountsRepository(pool)
            generations = GenerationClient(channel, timeout_s=5)
            deps = GatewayDeps(
                accounts=Accounts(repository, timedelta(days=1), CHEAP_ARGON2ID),
                generations=generations,
                billing=BillingClient(channel, timeout_s=5),
                visibility=VisibilityClient(channel, timeout_s=5),
                feed=FeedClient(channel, timeout_s=5),
                progress=progress,
                objects=objects,
                readiness_checks={"database": repository.ping},
                route_checks={"generation": generations.check_serving},
                webhooks=WebhooksClient(webhooks_channel, timeout_s=5),
                studio_options=StudioOptionsStore(pool),
                teams=TeamsClient(channel, timeout_s=5),
                custom_models=CustomModelsClient(channel, timeout_s=5),
            )
            yield Gateway(
                create_app(settings, deps),
                fake,
                billing,
                visibility,
                progress,
                objects,
                gateway_database,
                feed,
                webhooks,
            )
    finally:
        await pool.close()


@pytest_asyncio.fixture
async def live_gateway(gateway: Gateway) -> AsyncIterator[str]:
    """The same app served by a real uvicorn on a free port (for streams read as they arrive)."""
    server = uvicorn.Server(
        uvicorn.Config(gateway.app, host="127.0.0.1", port=0, lifespan="off", ws="none", log_config=None)
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@dataclass
class SignedUp:
    client: httpx.AsyncClient
    user_id: str
    username: str
    api_key: str

    @property
    def csrf(self) -> dict[str, str]:
        return {CSRF_HEADER: self.client.cookies[CSRF_COOKIE]}

    @property
    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}


SignUp = Callable[..., Awaitable[SignedUp]]


@pytest_asyncio.fixture
async def sign_up(gateway: Gateway) -> AsyncIterator[SignUp]:
    """Signs a new user up in a client of their own (which then holds the session cookies)."""
    clients: list[httpx.AsyncClient] = []

    async def _sign_up(username: str, base_url: str | None = None) -> SignedUp:
        client = gateway.client(base_url)
        clients.append(client)
        response = await client.post("/api/v1/auth/signup", json={"username": username, "password": PASSWORD})
        assert response.status_code == 201, response.text
        body = response.json()
        return SignedUp(client, body["user_id"], body["username"], body["api_key"])

    yield _sign_up
    for client in clients:
        await client.aclose()


# The two users most tests need: one acts, the other must not see what is not theirs.
@pytest.fixture
async def alice(sign_up: SignUp) -> SignedUp:
    return await sign_up("alice")


@pytest.fixture
async def bob(sign_up: SignUp) -> SignedUp:
    return await sign_up("bob")
