"""The rate limits in HTTP: a dependency every route runs (one bucket per request, chosen by
policy.limit_for), the tarpit middleware that refuses a remembered anonymous refusal before the
app runs, the middleware that puts `RateLimit-*` headers on every answer of a limited route, and
the login throttle the log-in route asks before and after checking a password."""

import math
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.gateway.auth.security import SESSION_COOKIE, optional_caller
from services.gateway.dependencies import deps_of
from services.gateway.problems import Problem, problem_response
from services.gateway.ratelimit.buckets import Decision
from services.gateway.ratelimit.lockout import LoginLockout
from services.gateway.ratelimit.policy import client_address, keyed_by_account, limit_for
from services.gateway.ratelimit.settings import RateLimitSettings
from services.gateway.ratelimit.tarpit import Refused

_DECISION_STATE = "rate_limit_decision"


def _settings(request: Request) -> RateLimitSettings:
    return request.app.state.settings


def request_address(request: Request) -> str:
    peer = request.client.host if request.client else None
    hops = _settings(request).rate_trusted_proxy_hops
    return client_address(peer, request.headers.get("x-forwarded-for"), hops)


async def enforce_rate_limit(request: Request) -> None:
    """App-wide dependency: takes a token from the request's bucket, or answers 429."""
    limits = deps_of(request).rate_limits
    settings = _settings(request)
    if limits is None or not settings.rate_limits_enabled:
        return
    route = getattr(request.scope.get("route"), "path", "")
    account_id = await _account_id(request) if keyed_by_account(route, request.method) else None
    limit = limit_for(settings, route, request.method, account_id=account_id, address=request_address(request))
    if limit is None:
        return
    decision = await limits.buckets.take(limit.bucket_key, limit.rate)
    setattr(request.state, _DECISION_STATE, decision)
    if not decision.allowed:
        address = request_address(request)
        refused = Refused(limit.bucket_key, f"{limit.route_class.value.replace('_', ' ')}: {limit.rate}")
        if account_id is None:
            # Keyed by address alone: the same request from there is refused before the app next time.
            limits.tarpit.remember(address, request.method, request.scope["path"], refused)
        held_s = await limits.tarpit.hold(address, decision.retry_after_s)
        decision = limits.buckets.remembered_denial(limit.bucket_key) or _after_hold(decision, held_s)
        setattr(request.state, _DECISION_STATE, decision)
        raise Problem(429, refusal_detail(refused, decision), headers=decision.headers())


def refusal_detail(refused: Refused, decision: Decision) -> str:
    return f"Too many requests ({refused.limit_words}); try again in {decision.headers()['Retry-After']} s."


def _after_hold(decision: Decision, held_s: float) -> Decision:
    return Decision(
        False, decision.limit, 0, max(0.0, decision.retry_after_s - held_s), max(0.0, decision.reset_s - held_s)
    )


async def _account_id(request: Request) -> str | None:
    """The caller's account, asked here rather than through Depends(optional_caller): a route that
    does not ask who is calling (log-in, the plans) must not start answering 401 or 403 for it.
    A bad key or a missing CSRF token counts as anonymous here; the route answers for it."""
    try:
        caller = await optional_caller(request)
    except Problem:
        return None
    return caller.user_id if caller is not None else None


def _has_credentials(scope: Scope) -> bool:
    """An API key or a session cookie: the request may be keyed by account, not by address."""
    for name, value in scope["headers"]:
        if name == b"authorization" or (name == b"cookie" and SESSION_COOKIE.encode() in value):
            return True
    return False


class TarpitMiddleware:
    """Refuses, after the tarpit's hold, an anonymous request the same address made moments ago
    and was refused for, while its bucket is still known to be empty: 429 problem+json with the
    same words and headers as the dependency's, without routing or running the app."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _has_credentials(scope):
            await self.app(scope, receive, send)
            return
        limits = scope["app"].state.deps.rate_limits
        settings: RateLimitSettings = scope["app"].state.settings
        if limits is None or not settings.rate_limits_enabled:
            await self.app(scope, receive, send)
            return
        peer = scope["client"][0] if scope.get("client") else None
        forwarded_for = Headers(scope=scope).get("x-forwarded-for")
        address = client_address(peer, forwarded_for, settings.rate_trusted_proxy_hops)
        method, path = scope["method"], scope["path"]
        refused = limits.tarpit.refused(address, method, path)
        decision = limits.buckets.remembered_denial(refused.bucket_key) if refused is not None else None
        if refused is None or decision is None:
            if refused is not None:
                limits.tarpit.forget(address, method, path)
            await self.app(scope, receive, send)
            return
        held_s = await limits.tarpit.hold(address, decision.retry_after_s)
        decision = limits.buckets.remembered_denial(refused.bucket_key) or _after_hold(decision, held_s)
        response = problem_response(429, refusal_detail(refused, decision), headers=decision.headers())
        await response(scope, receive, send)


class RateLimitHeadersMiddleware:
    """`RateLimit-Limit`, `-Remaining` and `-Reset` on the answers of limited routes, successes too."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                decision: Decision | None = scope.get("state", {}).get(_DECISION_STATE)
                if decision is not None:
                    headers = MutableHeaders(scope=message)
                    for name, value in decision.headers().items():
                        if name not in headers:
                            headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


@dataclass(frozen=True)
class LoginThrottle:
    """The lockout as one log-in request sees it; does nothing when rate limits are off."""

    lockout: LoginLockout | None
    address: str

    async def refuse_if_locked(self, username: str) -> None:
        if self.lockout is None:
            return
        locked_for_s = await self.lockout.locked_for_s(username, self.address)
        if locked_for_s > 0:
            wait_s = max(1, math.ceil(locked_for_s))
            # The same words for existing and unknown usernames: the answer reveals nothing.
            raise Problem(
                429,
                f"Too many failed log-ins for this username or from this address; try again in {wait_s} s.",
                headers={"Retry-After": str(wait_s)},
            )

    async def failed(self, username: str) -> None:
        if self.lockout is not None:
            await self.lockout.failed(username, self.address)

    async def succeeded(self, username: str) -> None:
        if self.lockout is not None:
            await self.lockout.succeeded(username)


def login_throttle(request: Request) -> LoginThrottle:
    limits = deps_of(request).rate_limits
    enabled = limits is not None and _settings(request).rate_limits_enabled
    return LoginThrottle(limits.lockout if enabled and limits is not None else None, request_address(request))


CurrentLoginThrottle = Annotated[LoginThrottle, Depends(login_throttle)]
