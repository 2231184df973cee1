"""Token buckets in the gateway's Postgres schema, shared by every gateway replica.

Why Postgres and not NATS KV: the gateway already holds a Postgres pool, and one
`INSERT … ON CONFLICT DO UPDATE … RETURNING` refills, takes and answers atomically in a single
round trip (the row lock orders concurrent replicas). NATS KV would need read, compute and a
compare-and-set write, retried on conflict: two or more round trips per check under contention.
The `limits` library has no Postgres storage (Redis, Memcached, MongoDB, etcd), so this is the
small SQL itself.

Time is the database's (`clock_timestamp()`), so replicas with skewed clocks agree. A key denied
once is remembered in this process until a token is due (`_denied_until`): a client looping
against a limit then costs no database round trip at all. That is safe across replicas, because
tokens only come back with time and other replicas can only take more.
"""

import asyncio
import math
import time
from dataclasses import dataclass

from psycopg_pool import AsyncConnectionPool

from glue.db import one_row
from services.gateway.ratelimit.settings import Rate

_TAKE = """
INSERT INTO rate_buckets AS b (key, tokens, updated_at, last_allowed)
VALUES (%(key)s, %(capacity)s - 1, clock_timestamp(), true)
ON CONFLICT (key) DO UPDATE SET
    tokens = LEAST(%(capacity)s, b.tokens
                   + extract(epoch FROM clock_timestamp() - b.updated_at) * %(per_second)s)
             - CASE WHEN LEAST(%(capacity)s, b.tokens
                               + extract(epoch FROM clock_timestamp() - b.updated_at) * %(per_second)s) >= 1
                    THEN 1 ELSE 0 END,
    last_allowed = LEAST(%(capacity)s, b.tokens
                         + extract(epoch FROM clock_timestamp() - b.updated_at) * %(per_second)s) >= 1,
    updated_at = clock_timestamp()
RETURNING tokens, last_allowed
"""

# Every rate's period is at most a day, so a bucket idle for a day is full again: forgetting its row
# changes no answer. Done every SWEEP_EVERY checks of one process, in the background.
_FORGET_IDLE = "DELETE FROM rate_buckets WHERE updated_at < clock_timestamp() - interval '1 day'"
SWEEP_EVERY = 10_000

# The most denied keys remembered in one process (a flood of distinct addresses must not grow it
# without bound; beyond it, the oldest entries go and those keys ask the database again).
_DENIED_CACHE_SIZE = 100_000


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    # Seconds until the next request would be allowed (0 when allowed) and until the bucket is full.
    retry_after_s: float
    reset_s: float

    def headers(self) -> dict[str, str]:
        """`RateLimit-*` (IETF draft-ietf-httpapi-ratelimit-headers) and, when denied, `Retry-After`."""
        headers = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(math.ceil(self.reset_s)),
        }
        if not self.allowed:
            headers["Retry-After"] = str(max(1, math.ceil(self.retry_after_s)))
        return headers


def decide(rate: Rate, tokens_left: float, allowed: bool) -> Decision:
    """What one check answers, from the tokens left after it."""
    per_second = rate.per_second
    return Decision(
        allowed=allowed,
        limit=rate.capacity,
        remaining=max(0, math.floor(tokens_left)),
        retry_after_s=0.0 if allowed else max(0.0, 1 - tokens_left) / per_second,
        reset_s=max(0.0, rate.capacity - tokens_left) / per_second,
    )


class TokenBuckets:
    def __init__(self, pool: AsyncConnectionPool):
        self._pool = pool
        self._denied_until: dict[str, tuple[float, Decision]] = {}
        self._checks = 0
        self._sweeps: set[asyncio.Task[None]] = set()

    async def take(self, key: str, rate: Rate) -> Decision:
        """Takes one token from `key`'s bucket if one is there; one round trip."""
        remembered = self.remembered_denial(key)
        if remembered is not None:
            return remembered
        self._checks += 1
        if self._checks % SWEEP_EVERY == 0:
            sweep = asyncio.create_task(self.forget_idle())
            self._sweeps.add(sweep)
            sweep.add_done_callback(self._sweeps.discard)
        async with self._pool.connection() as conn:
            cursor = await conn.execute(
                _TAKE, {"key": key, "capacity": float(rate.capacity), "per_second": rate.per_second}
            )
            tokens_left, allowed = await one_row(cursor)
        decision = decide(rate, tokens_left, allowed)
        if not allowed:
            self._remember_denial(key, decision)
        return decision

    def remembered_denial(self, key: str) -> Decision | None:
        """The refusal `key` would get now, known without asking the database; None when a token
        may be due (or `key` was never refused here)."""
        remembered = self._denied_until.get(key)
        if remembered is None:
            return None
        until, decision = remembered
        now = time.monotonic()
        if now < until:
            return _later(decision, until - now)
        del self._denied_until[key]
        return None

    async def forget_idle(self) -> None:
        """Deletes the rows of buckets that are full again (keeps the table as small as the active keys)."""
        async with self._pool.connection() as conn:
            await conn.execute(_FORGET_IDLE)

    def _remember_denial(self, key: str, decision: Decision) -> None:
        if len(self._denied_until) >= _DENIED_CACHE_SIZE:
            self._denied_until.pop(next(iter(self._denied_until)))
        self._denied_until[key] = (time.monotonic() + decision.retry_after_s, decision)


def _later(decision: Decision, retry_after_s: float) -> Decision:
    elapsed = decision.retry_after_s - retry_after_s
    return Decision(False, decision.limit, 0, retry_after_s, max(0.0, decision.reset_s - elapsed))
