"""Reading what actually went through JetStream, for assertions."""

from __future__ import annotations

import nats
import nats.errors
from google.protobuf.message import Message
from nats.js.api import ConsumerConfig, DeliverPolicy

from glue.events import open_envelope


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
