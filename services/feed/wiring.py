"""Process wiring: the feed server (gRPC + the projection's three durable consumers) and the
operator's rebuild command."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

from atelier.feed.v1 import feed_pb2, feed_pb2_grpc
from contracts import identities
from glue.consumer import run_consumer
from glue.on_behalf import NO_USER, UserPolicy, acts_for
from glue.periodic import run_periodically
from glue.runtime import Runtime, open_runtime
from glue.service_identity import CallerPolicy, IdentityFiles, secure_channel
from services.feed import repository
from services.feed.consumers import CONSUMERS, ProjectionWriter
from services.feed.handlers import ERRORS, FeedServicer
from services.feed.prompts import PublicPrompts
from services.feed.rebuild import IncompleteHistory, rebuild
from services.feed.settings import SCHEMA, FeedSettings
from services.feed.social import ReportPolicy
from services.feed.visibility_client import VisibilityClient

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE = feed_pb2.DESCRIPTOR.services_by_name["FeedService"]
SERVICE_NAME = SERVICE.full_name
_PEOPLE = {identities.GATEWAY}  # what users do through the API
# Moderation is an operator's.
CALLERS = CallerPolicy.for_service(
    identities.ALL,
    SERVICE,
    {
        "ListFeed": _PEOPLE,
        "BatchGetSocial": _PEOPLE,
        "Like": _PEOPLE,
        "Unlike": _PEOPLE,
        "Pin": _PEOPLE,
        "Unpin": _PEOPLE,
        "Report": _PEOPLE,
        "GetProfile": _PEOPLE,
        "ListReports": {identities.OPERATOR},
        "ResolveReport": {identities.OPERATOR},
    },
)
# Pages for the signed-in viewer or an anonymous one (public only); social actions for their user.
_VIEWER = acts_for("viewer_id", anonymous=True)
USERS = UserPolicy.for_service(
    SERVICE,
    {
        "ListFeed": _VIEWER,
        "BatchGetSocial": _VIEWER,
        "Like": acts_for("user_id"),
        "Unlike": acts_for("user_id"),
        "Pin": acts_for("user_id"),
        "Unpin": acts_for("user_id"),
        "Report": acts_for("user_id"),
        "GetProfile": _VIEWER,
        "ListReports": NO_USER,
        "ResolveReport": NO_USER,
    },
)


async def refresh_top_scores(pool, windows: list[int]) -> None:
    """Recounts the precomputed top windows; one replica at a time (advisory lock), others skip."""
    async with pool.connection() as conn, conn.transaction():
        locked = await (await conn.execute("SELECT pg_try_advisory_xact_lock(hashtext('feed.top_scores'))")).fetchone()
        if not locked[0]:
            return
        for window in windows:
            await repository.refresh_top(conn, window)
        # Fresh statistics: the planner walks the rank index only if it knows the table's size.
        await conn.execute("ANALYZE top_scores")


async def _open(settings: FeedSettings, client_name: str, pool_size: int) -> Runtime:
    return await open_runtime(
        database_url=settings.database_url,
        schema=SCHEMA,
        migrations=MIGRATIONS,
        nats_url=settings.nats_url,
        client_name=client_name,
        owned_streams=[],  # the feed reads the generation and visibility streams; their owners create them
        stream_replicas=settings.stream_replicas,
        pool_size=pool_size,
    )


async def run(settings: FeedSettings) -> None:
    runtime = await _open(settings, "feed", settings.db_pool_size)
    channel = secure_channel(settings.visibility_addr, identities.VISIBILITY, IdentityFiles.from_settings(settings))
    runtime.on_close(lambda: channel.close(None))
    authority = VisibilityClient(channel, settings.authorize_timeout_s)
    writer = ProjectionWriter(runtime.pool, _public_prompts(runtime, settings))
    for spec in CONSUMERS:
        runtime.run_in_background(
            run_consumer(runtime.js, spec, writer.handler_for(spec.subject), settings.consumer_concurrency),
            spec.durable,
        )
    # Stale scores only reorder top: a failed refresh is retried next round.
    runtime.run_in_background(
        run_periodically(
            "top scores refresh",
            lambda: refresh_top_scores(runtime.pool, settings.top_windows_hours),
            settings.top_refresh_s,
        ),
        "top-scores",
    )
    servicer = FeedServicer(
        runtime.pool,
        authority,
        reports=ReportPolicy(
            threshold=settings.feed_report_threshold,
            established_after=timedelta(days=settings.feed_reporter_established_days),
            new_reporter_weight=settings.feed_new_reporter_weight,
        ),
        top_window_hours=settings.top_window_hours,
        cursor_secret=settings.cursor_secret,
        top_windows_hours=settings.top_windows_hours,
    )
    await runtime.serve(
        settings,
        settings.grpc_listen,
        lambda server: feed_pb2_grpc.add_FeedServiceServicer_to_server(servicer, server),
        [SERVICE_NAME],
        CALLERS,
        USERS,
        errors=ERRORS,
    )


def _public_prompts(runtime: Runtime, settings: FeedSettings) -> PublicPrompts:
    channel = secure_channel(settings.generation_addr, identities.GENERATION_API, IdentityFiles.from_settings(settings))
    runtime.on_close(lambda: channel.close(None))
    return PublicPrompts(channel, settings.prompt_lookup_timeout_s)


async def run_rebuild(settings: FeedSettings, *, force: bool = False) -> None:
    runtime = await _open(settings, "feed-rebuild", 2)
    try:
        await rebuild(runtime.pool, runtime.js, _public_prompts(runtime, settings), force=force)
    except IncompleteHistory as error:
        raise SystemExit(str(error)) from None
    finally:
        await runtime.close()
