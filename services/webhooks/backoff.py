"""When a failed delivery is tried again. The schedule is kept in Postgres (`next_attempt_at`),
not in a sleeping coroutine: retries span minutes to an hour, must survive a restart and may be
taken by any replica, which an in-process retry library (tenacity, used for Triton calls) does
not give."""

from __future__ import annotations

import random


def retry_delay_s(attempts_made: int, base_s: float, max_s: float, jitter: float | None = None) -> float:
    """Seconds to wait after `attempts_made` (>= 1) failed attempts: base * 2**(n-1), capped at
    max_s, then up to 25 % more (`jitter` in [0, 1), random unless given)."""
    if attempts_made < 1:
        raise ValueError("attempts_made starts at 1")
    delay = min(base_s * 2 ** min(attempts_made - 1, 62), max_s)
    spread = random.random() if jitter is None else jitter
    return delay * (1 + 0.25 * spread)
