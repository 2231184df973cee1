"""Connecting to NATS with reconnects that never give up, for long-lived service processes."""

import logging

import nats
from nats.aio.client import Client

log = logging.getLogger(__name__)


async def connect(url: str, name: str) -> Client:
    async def on_disconnect() -> None:
        log.warning("nats disconnected", extra={"url": url})

    async def on_reconnect() -> None:
        log.info("nats reconnected", extra={"url": url})

    async def on_error(error: Exception) -> None:
        log.warning("nats error", extra={"error": str(error)})

    return await nats.connect(
        url,
        name=name,
        max_reconnect_attempts=-1,
        reconnect_time_wait=0.5,
        disconnected_cb=on_disconnect,
        reconnected_cb=on_reconnect,
        error_cb=on_error,
    )
