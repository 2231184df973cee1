"""Rate-limit settings (`ATELIER_RATE_*`), mixed into GatewaySettings.

Each limit reads `N/second|minute|hour|day`: a bucket of N tokens refilled at N per period, so a
client may burst N requests and then keeps the average rate. `0` turns that limit off.
"""

import re
from dataclasses import dataclass
from typing import Annotated

from pydantic import BeforeValidator, Field
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

_PERIODS_S = {"second": 1.0, "minute": 60.0, "hour": 3600.0, "day": 86400.0}
_RATE = re.compile(r"\s*(\d+)\s*/\s*(second|minute|hour|day)\s*")


@dataclass(frozen=True)
class Rate:
    """`capacity` requests at once, refilled at `capacity` per `period_s`; capacity 0: no limit."""

    capacity: int
    period_s: float

    @property
    def enabled(self) -> bool:
        return self.capacity > 0

    @property
    def per_second(self) -> float:
        return self.capacity / self.period_s

    def __str__(self) -> str:
        if not self.enabled:
            return "0"
        period = next(name for name, seconds in _PERIODS_S.items() if seconds == self.period_s)
        return f"{self.capacity}/{period}"


def parse_rate(value: object) -> Rate:
    if isinstance(value, Rate):
        return value
    text = str(value)
    if text.strip() == "0":
        return Rate(0, 1.0)
    match = _RATE.fullmatch(text)
    if match is None:
        raise ValueError("must be N/second, N/minute, N/hour or N/day (e.g. 60/minute), or 0 for no limit")
    return Rate(int(match[1]), _PERIODS_S[match[2]])


# NoDecode: the environment's text goes to parse_rate as it is, not through JSON.
RateSetting = Annotated[Rate, NoDecode, BeforeValidator(parse_rate)]


class RateLimitSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ATELIER_", extra="ignore")

    # Off: no limit and no lockout at all (tests of other things; a gateway behind its own limiter).
    rate_limits_enabled: bool = True
    # Per client address: log-in attempts, and sign-ups.
    rate_login: RateSetting = parse_rate("30/minute")
    rate_signup: RateSetting = parse_rate("10/hour")
    # Per account: generation submits (new, remix, retry), on top of the plan's concurrency cap.
    rate_submit: RateSetting = parse_rate("30/minute")
    # Per client address, callers without an account: feed, search and profile pages (each asks
    # the feed service and the visibility authority), and every other read (image metadata, bytes).
    rate_anonymous_feed: RateSetting = parse_rate("60/minute")
    rate_anonymous_read: RateSetting = parse_rate("600/minute")
    # Per account: reads and writes (everything else under /api/v1).
    rate_read: RateSetting = parse_rate("1200/minute")
    rate_write: RateSetting = parse_rate("120/minute")
    # Login lockout: after this many consecutive failures for one username (or, counted apart, from
    # one client address), each further failure locks it for base·2^k seconds, capped.
    rate_login_failures_per_username: int = Field(default=5, ge=1)
    rate_login_failures_per_address: int = Field(default=20, ge=1)
    rate_login_lockout_base_s: float = Field(default=1.0, gt=0)
    rate_login_lockout_max_s: float = Field(default=300.0, gt=0)
    # Failures older than this are forgotten (a counter starts again).
    rate_login_failure_window_s: float = Field(default=900.0, gt=0)
    # Client address: the socket peer, unless this many trusted proxies (a load balancer, an ingress)
    # append to X-Forwarded-For: then the hop just before them. 0: X-Forwarded-For is ignored.
    rate_trusted_proxy_hops: int = Field(default=0, ge=0)
    # Tarpit: a refused request is held until the client's next token is due, at most this long,
    # before its 429 (0: answered at once); at most this many held per client address and in all
    # (beyond them, answered at once).
    rate_tarpit_max_hold_s: float = Field(default=2.0, ge=0)
    rate_tarpit_held_per_address: int = Field(default=4, ge=0)
    rate_tarpit_held_total: int = Field(default=1000, ge=0)
