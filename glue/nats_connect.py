"""Connecting to NATS with reconnects that never give up, for long-lived service processes.

Credentials travel in the URL (nats://user:password@host:port; glue.settings.NatsSettings puts
ATELIER_NATS_USER and ATELIER_NATS_PASSWORD there). A user's request replies come back on an inbox
prefix of its own, `_INBOX_<user>`, the only inbox NATS lets that user subscribe to, so no
service can read another's replies (JetStream fetches among them)."""

import logging
from urllib.parse import urlsplit

import nats
from nats.aio.client import Client

log = logging.getLogger(__name__)


def inbox_prefix(url: str) -> str:
    user = urlsplit(url).username
    return f"_INBOX_{user.replace('-', '_')}" if user else "_INBOX"


async def connect(url: str, name: str) -> Client:
    parts = urlsplit(url)
    # Logged without the password.
    address = f"{parts.scheme}://{parts.hostname}:{parts.port}"

    async def on_disconnect() -> None:
        log.warning("nats disconnected", extra={"url": address})

    async def on_reconnect() -> None:
        log.info("nats reconnected", extra={"url": address})

    async def on_error(error: Exception) -> None:
        log.warning("nats error", extra={"error": str(error)})

    return await nats.connect(
        url,
        name=name,
        inbox_prefix=inbox_prefix(url),
        max_reconnect_attempts=-1,
        reconnect_time_wait=0.5,
        disconnected_cb=on_disconnect,
        reconnected_cb=on_reconnect,
        error_cb=on_error,
    )
