"""A handled message's heartbeats stop when its handling ends, even when nats-py swallows the
cancellation of a beat in flight (Client._flush_pending): otherwise the message is never
acknowledged and its consumer stalls."""

import asyncio

from glue.consumer import _heartbeats


class NatsLikeMessage:
    subject = "generation.requested"

    def __init__(self) -> None:
        self.beats = 0
        self.swallowed = 0

    async def in_progress(self) -> None:
        self.beats += 1
        try:
            await asyncio.sleep(1.0)
        except asyncio.CancelledError:
            if self.swallowed:
                raise
            self.swallowed += 1  # the first cancel is lost, as in nats-py's publish


async def test_heartbeats_end_with_the_handling_even_if_a_beat_swallows_its_cancel():
    message = NatsLikeMessage()

    async def handle() -> None:
        async with _heartbeats(message, interval_s=0.001):  # type: ignore[arg-type]
            await asyncio.sleep(0.05)  # the handler's work, during a beat

    await asyncio.wait_for(handle(), timeout=3)
    assert message.beats >= 1 and message.swallowed == 1
