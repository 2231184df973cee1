"""Opens what the gateway talks to (Postgres, NATS, the generation, visibility, billing and feed
services, the object store) and closes it again at shutdown."""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from nats.aio.client import Client

from contracts import identities
from glue.db import open_pool
from glue.nats_connect import connect
from glue.service_identity import IdentityFiles, secure_channel
from glue.storage import ObjectStore
from glue.user_token import UserTokenSigner
from services.gateway.auth.accounts import Accounts
from services.gateway.clients.billing import BillingClient
from services.gateway.clients.feed import FeedClient
from services.gateway.clients.generation import GenerationClient
from services.gateway.clients.progress import NatsProgressFeed
from services.gateway.clients.rpc import UserTokens
from services.gateway.clients.visibility import VisibilityClient
from services.gateway.dependencies import GatewayDeps
from services.gateway.ratelimit.store import RateLimits
from services.gateway.repository import SCHEMA, AccountsRepository
from services.gateway.settings import GatewaySettings

log = logging.getLogger(__name__)


async def _nats_connected(feed: NatsProgressFeed) -> None:
    if not feed.is_connected():
        raise RuntimeError("not connected to NATS")


async def _connect_progress_feed(settings: GatewaySettings, feed: NatsProgressFeed) -> Client:
    client = await connect(settings.nats_url, name="gateway")
    feed.use(client)
    log.info("nats connected", extra={"url": settings.nats_url})
    return client


@asynccontextmanager
async def open_dependencies(settings: GatewaySettings) -> AsyncIterator[GatewayDeps]:
    identity = IdentityFiles.from_settings(settings)
    # The gateway authenticates people: it signs, for each call, the user the call is made for.
    user_tokens = UserTokens(UserTokenSigner.from_file(settings.user_token_signing_key))
    pool = await open_pool(settings.database_url, SCHEMA, max_size=settings.db_pool_size)
    progress = NatsProgressFeed()
    # NATS only carries previews: the gateway serves without it (and /readyz says so) until it connects.
    nats_connection = asyncio.create_task(_connect_progress_feed(settings, progress))
    try:
        async with (
            secure_channel(settings.generation_addr, identities.GENERATION_API, identity) as channel,
            secure_channel(settings.billing_addr, identities.BILLING, identity) as billing_channel,
            secure_channel(settings.visibility_addr, identities.VISIBILITY, identity) as visibility_channel,
            secure_channel(settings.feed_addr, identities.FEED, identity) as feed_channel,
        ):
            repository = AccountsRepository(pool)
            generations = GenerationClient(channel, settings.grpc_timeout_s, user_tokens)
            billing = BillingClient(billing_channel, settings.grpc_timeout_s, user_tokens)
            visibility = VisibilityClient(visibility_channel, settings.grpc_timeout_s, user_tokens)
            yield GatewayDeps(
                accounts=Accounts(repository, timedelta(seconds=settings.session_ttl_s)),
                generations=generations,
                billing=billing,
                visibility=visibility,
                # Not a readiness check: with the feed down, feed pages and social actions answer
                # 503 while generation and image reads go on.
                feed=FeedClient(feed_channel, settings.grpc_timeout_s, user_tokens),
                progress=progress,
                objects=ObjectStore(settings),
                readiness_checks={
                    "database": repository.ping,
                    "nats": lambda: _nats_connected(progress),
                    "generation": generations.check_serving,
                    "visibility": visibility.check_serving,
                    "billing": billing.check_serving,
                },
                rate_limits=RateLimits.on(pool, settings),
            )
    finally:
        if nats_connection.done() and nats_connection.exception() is None:
            await nats_connection.result().drain()
        else:
            nats_connection.cancel()
        await pool.close()
