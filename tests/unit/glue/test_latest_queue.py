"""A slow reader of live previews gets the newest ones, never a blocked writer."""

import asyncio

from glue.latest_queue import offer_latest


def test_a_full_queue_drops_its_oldest_item() -> None:
    queue: asyncio.Queue[int] = asyncio.Queue(3)
    for step in range(1, 6):
        offer_latest(queue, step)
    assert [queue.get_nowait() for _ in range(queue.qsize())] == [3, 4, 5]
