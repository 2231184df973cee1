"""A bounded queue for live updates where only the newest matter (progress previews)."""

import asyncio
from typing import TypeVar

Item = TypeVar("Item")


def offer_latest(queue: "asyncio.Queue[Item]", item: Item) -> None:
    """Adds an item, dropping the oldest when a slow reader has let the queue fill up."""
    if queue.full():
        queue.get_nowait()
    queue.put_nowait(item)
