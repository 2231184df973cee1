"""NATS admits no anonymous client, and each service's user may use only its own subjects (issue 10)."""

import asyncio

import nats
import nats.errors
import pytest
from nats.aio.client import Client

from glue.nats_connect import connect
from tools.devstack import NatsServer

PROGRESS = "atelier.progress.0b8f6a1e-9d6c-4a55-9f0b-5b5f0d6a7c11"
IMAGES_READY = "atelier.generation.images_ready"


async def _as(server: NatsServer, user: str, errors: list[str] | None = None) -> Client:
    async def on_error(error: Exception) -> None:
        if errors is not None:
            errors.append(str(error))

    return await nats.connect(
        server.user_url(user),
        inbox_prefix=f"_INBOX_{user.replace('-', '_')}",
        error_cb=on_error,
        allow_reconnect=False,
    )


async def _receives(listener: Client, subject: str, send, within_s: float = 1.0) -> bool:
    """Whether a message `send()` puts on `subject` reaches `listener` (the admin: it hears everything)."""
    received = asyncio.Event()

    async def on_message(_msg) -> None:
        received.set()

    subscription = await listener.subscribe(subject, cb=on_message)
    await listener.flush()
    deadline = asyncio.get_running_loop().time() + within_s
    try:
        # Sent again each second: an allowed delivery must show up within `within_s` however
        # loaded the machine (a single message was missed a few times under load), while a refused
        # one never arrives however often it is sent.
        while (left := deadline - asyncio.get_running_loop().time()) > 0:
            await send()
            try:
                await asyncio.wait_for(received.wait(), min(left, 1.0))
                return True
            except TimeoutError:
                continue
        return False
    finally:
        await subscription.unsubscribe()


async def test_a_client_without_credentials_is_refused(own_nats: NatsServer) -> None:
    with pytest.raises(Exception, match="(?i)authorization"):
        await nats.connect(own_nats.anonymous_url, allow_reconnect=False, max_reconnect_attempts=0)


async def test_a_wrong_password_is_refused(own_nats: NatsServer) -> None:
    url = own_nats.user_url("feed").replace("feed:", "feed:x", 1)
    with pytest.raises(Exception, match="(?i)authorization"):
        await nats.connect(url, allow_reconnect=False, max_reconnect_attempts=0)


@pytest.mark.parametrize("user", ["generation-worker", "feed", "visibility", "billing"])
async def test_only_the_generation_api_publishes_generation_events(own_nats: NatsServer, user: str) -> None:
    admin = await nats.connect(own_nats.url)
    errors: list[str] = []
    client = await _as(own_nats, user, errors)
    try:

        async def publish() -> None:
            await client.publish(IMAGES_READY, b"forged")
            await client.flush()

        assert not await _receives(admin, IMAGES_READY, publish)
        assert any("permissions violation for publish" in error.lower() for error in errors), errors
        api = await _as(own_nats, "generation-api")
        try:

            async def publish_as_api() -> None:
                await api.publish(IMAGES_READY, b"real")
                await api.flush()

            assert await _receives(admin, IMAGES_READY, publish_as_api, within_s=10)
        finally:
            await api.close()
    finally:
        await client.close()
        await admin.close()


@pytest.mark.parametrize("user", ["feed", "visibility", "billing", "generation-worker"])
async def test_only_the_generation_api_hears_progress(own_nats: NatsServer, user: str) -> None:
    errors: list[str] = []
    eavesdropper = await _as(own_nats, user, errors)
    relay = await _as(own_nats, "generation-api")
    worker = await _as(own_nats, "generation-worker")
    try:

        async def preview() -> None:
            await worker.publish(PROGRESS, b"preview")
            await worker.flush()

        assert not await _receives(eavesdropper, "atelier.progress.>", preview)
        assert any("permissions violation for subscription" in error.lower() for error in errors), errors
        assert await _receives(relay, "atelier.progress.*", preview, within_s=10)
    finally:
        for client in (eavesdropper, relay, worker):
            await client.close()


async def test_the_gateways_credentials_open_no_nats_connection(own_nats: NatsServer) -> None:
    """Previews reach the gateway only through WatchProgress, which checks the owner: the gateway
    has no NATS user, so no password it could hold (derived like the others') is accepted."""
    with pytest.raises(Exception, match="(?i)authorization"):
        await nats.connect(own_nats.user_url("gateway"), allow_reconnect=False, max_reconnect_attempts=0)


@pytest.mark.parametrize("user", ["feed", "generation-api"])
async def test_nobody_but_the_worker_injects_a_preview(own_nats: NatsServer, user: str) -> None:
    errors: list[str] = []
    forger = await _as(own_nats, user, errors)
    relay = await _as(own_nats, "generation-api")
    try:

        async def inject() -> None:
            await forger.publish(PROGRESS, b"fake preview")
            await forger.flush()

        assert not await _receives(relay, "atelier.progress.*", inject)
        assert any("permissions violation for publish" in error.lower() for error in errors), errors
    finally:
        await forger.close()
        await relay.close()


async def test_a_service_cannot_read_another_services_inbox(own_nats: NatsServer) -> None:
    errors: list[str] = []
    feed = await _as(own_nats, "feed", errors)
    worker = await connect(own_nats.user_url("generation-worker"), "worker")
    try:

        async def worker_request() -> None:
            # A JetStream request as the worker makes them; its reply would come to the worker's inbox.
            try:
                await worker.request("$JS.API.INFO", b"", timeout=1)
            except nats.errors.TimeoutError:
                pass

        assert not await _receives(feed, "_INBOX_generation_worker.>", worker_request)
        assert any("permissions violation for subscription" in error.lower() for error in errors), errors
    finally:
        await feed.close()
        await worker.close()


async def test_the_feed_cannot_open_a_consumer_on_generation_requests(own_nats: NatsServer) -> None:
    admin = await nats.connect(own_nats.url)
    feed = await connect(own_nats.user_url("feed"), "feed")
    try:
        await admin.jetstream().add_stream(name="GENERATION", subjects=["atelier.generation.>"])
        # Its own durable, on the subject it handles: allowed.
        await feed.jetstream().pull_subscribe(IMAGES_READY, durable="feed-images-ready", stream="GENERATION")
        # Its durable's name on GenerationRequested (prompts inside): refused, so the request times out.
        with pytest.raises(nats.errors.TimeoutError):
            await feed.jetstream(timeout=1).pull_subscribe(
                "atelier.generation.requested", durable="feed-image-deleted", stream="GENERATION"
            )
    finally:
        await feed.close()
        await admin.close()
