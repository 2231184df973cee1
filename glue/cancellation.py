"""Stopping tasks that may swallow a cancellation. nats-py does (Client._flush_pending catches
CancelledError: a loop cancelled while it publishes or requests carries on), so one cancel is not
enough to stop a loop that talks to NATS; asking again, a moment later, lands elsewhere."""

import asyncio
from collections.abc import Collection


async def cancel_until_done(
    tasks: Collection[asyncio.Task[object]], timeout_s: float, every_s: float = 0.1
) -> set[asyncio.Task[object]]:
    """Cancels the tasks, again every `every_s` while some run on, for up to timeout_s; returns
    those still running then."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    running = {task for task in tasks if not task.done()}
    while running:
        for task in running:
            task.cancel()
        remaining = deadline - loop.time()
        if remaining <= 0:
            break
        _, running = await asyncio.wait(running, timeout=min(every_s, remaining))
    return running
