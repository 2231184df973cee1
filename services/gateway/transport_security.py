"""Whether a request reached us over HTTPS, and what follows from it: `Secure` cookies and HSTS.

Cookies are `Secure` by default. The one exception is explicit: a plain-http request addressed to
a loopback host (127.0.0.1, localhost, ::1), i.e. the developer's own machine, where there is no
TLS and no one in between. `ATELIER_COOKIE_SECURE=false` drops `Secure` everywhere (a private
http-only network, knowingly).

Behind a TLS-terminating proxy the request arrives as http; its `X-Forwarded-Proto: https` is
believed only from the peers listed in `ATELIER_TRUSTED_PROXIES`, so a client cannot claim it.
"""

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import Scope

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


def parse_proxies(value: str) -> frozenset[str]:
    return frozenset(part.strip() for part in value.split(",") if part.strip())


def is_https(scope: Scope, trusted_proxies: frozenset[str]) -> bool:
    if scope.get("scheme") == "https":
        return True
    client = scope.get("client")
    if client is None or client[0] not in trusted_proxies:
        return False
    forwarded = Headers(scope=scope).get("x-forwarded-proto", "")
    return forwarded.split(",", 1)[0].strip().lower() == "https"


def _host(scope: Scope) -> str:
    host = Headers(scope=scope).get("host", "")
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def cookies_secure(scope: Scope, *, cookie_secure: bool, trusted_proxies: frozenset[str]) -> bool:
    if not cookie_secure:
        return False
    return is_https(scope, trusted_proxies) or _host(scope).lower() not in LOOPBACK_HOSTS


def secure_cookies_for(request: Request) -> bool:
    settings = request.app.state.settings
    return cookies_secure(
        request.scope, cookie_secure=settings.cookie_secure, trusted_proxies=parse_proxies(settings.trusted_proxies)
    )
