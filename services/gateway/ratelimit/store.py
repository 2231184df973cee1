"""The rate-limit state the gateway holds: token buckets and the login lockout (shared by
replicas), and this process's tarpit."""

from dataclasses import dataclass

from psycopg_pool import AsyncConnectionPool

from services.gateway.ratelimit.buckets import TokenBuckets
from services.gateway.ratelimit.lockout import LockoutPolicy, LoginLockout
from services.gateway.ratelimit.settings import RateLimitSettings
from services.gateway.ratelimit.tarpit import Tarpit


@dataclass(frozen=True)
class RateLimits:
    buckets: TokenBuckets
    lockout: LoginLockout
    tarpit: Tarpit

    @classmethod
    def on(cls, pool: AsyncConnectionPool, settings: RateLimitSettings) -> "RateLimits":
        """On the gateway schema's pool (tables of gateway migration 0005)."""
        policy = LockoutPolicy(
            failures_per_username=settings.rate_login_failures_per_username,
            failures_per_address=settings.rate_login_failures_per_address,
            base_s=settings.rate_login_lockout_base_s,
            max_s=settings.rate_login_lockout_max_s,
            window_s=settings.rate_login_failure_window_s,
        )
        tarpit = Tarpit(
            max_hold_s=settings.rate_tarpit_max_hold_s,
            max_held_per_address=settings.rate_tarpit_held_per_address,
            max_held=settings.rate_tarpit_held_total,
        )
        return cls(TokenBuckets(pool), LoginLockout(pool, policy), tarpit)
