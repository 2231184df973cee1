"""Log-in lockout with exponential back-off, per username and per client address, shared by every
gateway replica (table `login_failures`).

After `threshold` consecutive failures for a key, each failure locks it for base·2^k seconds
(k = failures − threshold), capped. While a key is locked every attempt is refused before the
password is looked at, with the same answer for existing and unknown usernames. A success forgets
the username's failures, never the address's: one account of one's own must not reset the
counter of an address that is guessing others' passwords. Failures older than the window are
forgotten.
"""

from dataclasses import dataclass

from psycopg_pool import AsyncConnectionPool

_LOCKED_FOR = """
SELECT extract(epoch FROM max(locked_until) - clock_timestamp())
FROM login_failures WHERE key = ANY(%(keys)s) AND locked_until > clock_timestamp()
"""

_FAILED = """
INSERT INTO login_failures AS f (key, failures, locked_until, updated_at)
VALUES (%(key)s, 1,
        CASE WHEN %(threshold)s <= 1 THEN clock_timestamp() + make_interval(secs => %(base_s)s) END,
        clock_timestamp())
ON CONFLICT (key) DO UPDATE SET
    failures = CASE WHEN f.updated_at < clock_timestamp() - make_interval(secs => %(window_s)s)
                    THEN 1 ELSE f.failures + 1 END,
    locked_until = CASE
        WHEN f.updated_at < clock_timestamp() - make_interval(secs => %(window_s)s) THEN
            CASE WHEN %(threshold)s <= 1 THEN clock_timestamp() + make_interval(secs => %(base_s)s) END
        WHEN f.failures + 1 >= %(threshold)s THEN
            clock_timestamp() + make_interval(secs => LEAST(
                %(max_s)s, %(base_s)s * power(2, LEAST(f.failures + 1 - %(threshold)s, 40))))
        ELSE f.locked_until END,
    updated_at = clock_timestamp()
"""

_FORGET_OLD = """
DELETE FROM login_failures
WHERE updated_at < clock_timestamp() - make_interval(secs => %(window_s)s)
  AND (locked_until IS NULL OR locked_until < clock_timestamp())
"""
# Failures of one process between two sweeps of forgotten rows.
SWEEP_EVERY = 1_000

_SUCCEEDED = "DELETE FROM login_failures WHERE key = %(key)s"


@dataclass(frozen=True)
class LockoutPolicy:
    failures_per_username: int
    failures_per_address: int
    base_s: float
    max_s: float
    window_s: float


def username_key(username: str) -> str:
    return f"user:{username}"


def address_key(address: str) -> str:
    return f"addr:{address}"


class LoginLockout:
    def __init__(self, pool: AsyncConnectionPool, policy: LockoutPolicy):
        self._pool = pool
        self._policy = policy
        self._failures = 0

    async def locked_for_s(self, username: str, address: str) -> float:
        """Seconds until this username and this address may try again (0: they may now)."""
        async with self._pool.connection() as conn:
            cursor = await conn.execute(_LOCKED_FOR, {"keys": [username_key(username), address_key(address)]})
            row = await cursor.fetchone()
        return float(row[0]) if row and row[0] is not None else 0.0

    async def failed(self, username: str, address: str) -> None:
        policy = self._policy
        common = {"base_s": policy.base_s, "max_s": policy.max_s, "window_s": policy.window_s}
        async with self._pool.connection() as conn, conn.transaction():
            await conn.execute(
                _FAILED, {"key": username_key(username), "threshold": policy.failures_per_username, **common}
            )
            await conn.execute(
                _FAILED, {"key": address_key(address), "threshold": policy.failures_per_address, **common}
            )
        self._failures += 1
        if self._failures % SWEEP_EVERY == 0:
            await self.forget_old()

    async def forget_old(self) -> None:
        """Deletes the rows of keys whose failures are forgotten and that are not locked."""
        async with self._pool.connection() as conn:
            await conn.execute(_FORGET_OLD, {"window_s": self._policy.window_s})

    async def succeeded(self, username: str) -> None:
        async with self._pool.connection() as conn:
            await conn.execute(_SUCCEEDED, {"key": username_key(username)})
