"""Opens what the gateway talks to (Postgres, the generation, visibility, billing, feed and webhooks services,
the object store) and closes it again at shutdown. No NATS: previews come through the generation
service (WatchProgress)."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from contracts import identities
from glue.db import open_pool
from glue.service_identity import IdentityFiles, secure_channel
from glue.storage import ObjectStore
from glue.user_token import UserTokenSigner
from services.gateway.auth.accounts import Accounts
from services.gateway.clients.billing import BillingClient
from services.gateway.clients.custom_models import CustomModelsClient
from services.gateway.clients.feed import FeedClient
from services.gateway.clients.generation import GenerationClient, GrpcProgressFeed
from services.gateway.clients.rpc import UserTokens
from services.gateway.clients.teams import TeamsClient
from services.gateway.clients.visibility import VisibilityClient
from services.gateway.clients.webhooks import WebhooksClient
from services.gateway.dependencies import GatewayDeps
from services.gateway.ratelimit.store import RateLimits
from services.gateway.repository import SCHEMA, AccountsRepository
from services.gateway.settings import GatewaySettings
from services.gateway.studio_options_store import StudioOptionsStore

log = logging.getLogger(__name__)


@asynccontextmanager
async def open_dependencies(settings: GatewaySettings) -> AsyncIterator[GatewayDeps]:
    identity = IdentityFiles.from_settings(settings)
    # The gateway authenticates people: it signs, for each call, the user the call is made for.
    user_tokens = UserTokens(UserTokenSigner.from_file(settings.user_token_signing_key))
    pool = await open_pool(settings.database_url, SCHEMA, max_size=settings.db_pool_size)
    try:
        async with (
            # Training images come back whole (10 MB each at most).
            secure_channel(
                settings.generation_addr, identities.GENERATION_API, identity, max_receive_bytes=16 * 1024 * 1024
            ) as channel,
            secure_channel(settings.billing_addr, identities.BILLING, identity) as billing_channel,
            secure_channel(settings.visibility_addr, identities.VISIBILITY, identity) as visibility_channel,
            secure_channel(settings.feed_addr, identities.FEED, identity) as feed_channel,
            secure_channel(settings.webhooks_addr, identities.WEBHOOKS, identity) as webhooks_channel,
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
                # Previews come through the generation service (WatchProgress): the gateway has no NATS.
                progress=GrpcProgressFeed(channel, settings.grpc_timeout_s, user_tokens),
                objects=ObjectStore(settings),
                # Sign-in and sessions live in Postgres; everything else degrades route by route.
                readiness_checks={"database": repository.ping},
                route_checks={
                    "generation": generations.check_serving,
                    "visibility": visibility.check_serving,
                    "billing": billing.check_serving,
                },
                rate_limits=RateLimits.on(pool, settings),
                # Like the feed, not a readiness check: with it down only the webhook routes answer 503.
                webhooks=WebhooksClient(webhooks_channel, settings.grpc_timeout_s, user_tokens),
                studio_options=StudioOptionsStore(pool),
                teams=TeamsClient(visibility_channel, settings.grpc_timeout_s, user_tokens),
                custom_models=CustomModelsClient(channel, settings.grpc_timeout_s, user_tokens),
            )
    finally:
        await pool.close()
