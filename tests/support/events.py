"""Reading what actually went through JetStream, for assertions."""

from __future__ import annotations

import nats
import nats.errors
from google.protobuf.message import Message
from nats.js.api import ConsumerConfig, DeliverPolicy

from contracts.streams import StreamSpec
from glue.events import ensure_streams, open_envelope


async def stream_messages(nats_url: str, stream: str, subject: str) -> list:
    """Every message stored on `subject`, oldest first, read by a throwaway consumer."""
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        subscription = await js.pull_subscribe(
            subject, stream=stream, config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL, inactive_threshold=30)
        )
        found = []
        while True:
            try:
                batch = await subscription.fetch(100, timeout=1)
            except nats.errors.TimeoutError:
                return found
            for msg in batch:
                await msg.ack()
            found.extend(batch)
    finally:
        await nc.close()


async def stream_events(nats_url: str, stream: str, subject: str, event_type: type[Message]) -> list[Message]:
    return [open_envelope(m.data, event_type)[1] for m in await stream_messages(nats_url, stream, subject)]


async def provision_streams(nats_url: str, *specs: StreamSpec) -> None:
    """The streams a test publishes to, created as their owning services would create them: a
    service under test alone never creates another domain's stream."""
    nc = await nats.connect(nats_url)
    try:
        await ensure_streams(nc.jetstream(), list(specs))
    finally:
        await nc.close()
