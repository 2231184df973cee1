"""Which limit a request counts against, and whose bucket: pure functions of the request's route,
method, caller and client address."""

from dataclasses import dataclass
from enum import StrEnum

from services.gateway.ratelimit.settings import Rate, RateLimitSettings

API_PREFIX = "/api/v1"
LOGIN_ROUTE = f"{API_PREFIX}/auth/login"
# A password change checks a password as a log-in does: the same bucket, per client address.
PASSWORD_ROUTE = f"{API_PREFIX}/me/password"
SIGNUP_ROUTE = f"{API_PREFIX}/auth/signup"
SUBMIT_ROUTES = frozenset(
    {
        f"{API_PREFIX}/generations",
        f"{API_PREFIX}/images/{{image_id}}/remix",
        f"{API_PREFIX}/images/{{image_id}}/upscale",
        f"{API_PREFIX}/images/{{image_id}}/remove-background",
        f"{API_PREFIX}/images/{{image_id}}/replace-background",
        f"{API_PREFIX}/images/{{image_id}}/fill",
        f"{API_PREFIX}/images/{{image_id}}/extend",
        f"{API_PREFIX}/images/{{image_id}}/edit",
        f"{API_PREFIX}/generations/{{generation_id}}/retry",
    }
)
ANONYMOUS_FEED_ROUTES = frozenset({f"{API_PREFIX}/feed", f"{API_PREFIX}/feed/sets", f"{API_PREFIX}/users/{{username}}"})
# Signed and sent by Stripe, whose retries must not be refused.
UNLIMITED_ROUTES = frozenset({f"{API_PREFIX}/billing/webhooks/stripe"})
READ_METHODS = frozenset({"GET", "HEAD"})


class RouteClass(StrEnum):
    LOGIN = "login"
    SIGNUP = "signup"
    SUBMIT = "submit"
    ANONYMOUS_FEED = "anonymous_feed"
    ANONYMOUS_READ = "anonymous_read"
    READ = "read"
    WRITE = "write"


@dataclass(frozen=True)
class Limit:
    route_class: RouteClass
    bucket_key: str
    rate: Rate


def route_class(route: str, method: str, *, signed_in: bool) -> RouteClass | None:
    """None for what is not limited: pages, static files, health, metrics and Stripe's webhook."""
    if not route.startswith(f"{API_PREFIX}/") or route in UNLIMITED_ROUTES:
        return None
    if method == "POST" and route in (LOGIN_ROUTE, PASSWORD_ROUTE):
        return RouteClass.LOGIN
    if method == "POST" and route == SIGNUP_ROUTE:
        return RouteClass.SIGNUP
    if not signed_in:
        return RouteClass.ANONYMOUS_FEED if route in ANONYMOUS_FEED_ROUTES else RouteClass.ANONYMOUS_READ
    if method == "POST" and route in SUBMIT_ROUTES:
        return RouteClass.SUBMIT
    return RouteClass.READ if method in READ_METHODS else RouteClass.WRITE


def keyed_by_account(route: str, method: str) -> bool:
    """Whether the request's bucket depends on who is calling (worth finding out first)."""
    if route_class(route, method, signed_in=True) is None:
        return False
    return route_class(route, method, signed_in=False) not in (RouteClass.LOGIN, RouteClass.SIGNUP)


def limit_for(
    settings: RateLimitSettings, route: str, method: str, *, account_id: str | None, address: str
) -> Limit | None:
    """The bucket a request takes a token from: per account when signed in (but log-in and sign-up,
    which have no account yet), per client address otherwise; None when not limited."""
    if not settings.rate_limits_enabled:
        return None
    found = route_class(route, method, signed_in=account_id is not None)
    if found is None:
        return None
    rate: Rate = getattr(settings, f"rate_{found.value}")
    if not rate.enabled:
        return None
    per_account = account_id is not None and found not in (RouteClass.LOGIN, RouteClass.SIGNUP)
    owner = f"account:{account_id}" if per_account else f"address:{address}"
    return Limit(found, f"{found.value}:{owner}", rate)


def client_address(peer: str | None, forwarded_for: str | None, trusted_proxy_hops: int) -> str:
    """The socket peer; behind `trusted_proxy_hops` proxies that each append to X-Forwarded-For, the
    address the outermost trusted proxy saw (what a client writes further left is not trusted)."""
    if trusted_proxy_hops == 0 or not forwarded_for:
        return peer or "unknown"
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    if not hops:
        return peer or "unknown"
    return hops[-trusted_proxy_hops] if len(hops) >= trusted_proxy_hops else hops[0]
