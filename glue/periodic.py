"""A chore a service repeats for its whole life (a sweep, a refresh, a metric sample)."""

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


async def run_periodically(
    what: str, step: Callable[[], Awaitable[object]], interval_s: float, failure_level: int = logging.WARNING
) -> None:
    """Runs `step` now and then every interval_s after it ends, until cancelled. A step that fails
    is logged and tried again next round: a chore never ends the process (and so never stops it
    through Runtime.run_in_background)."""
    while True:
        try:
            await step()
        except asyncio.CancelledError:
            raise
        except Exception as error:
            log.log(failure_level, f"{what} failed; trying again next round", extra={"error": str(error)})
        await asyncio.sleep(interval_s)
