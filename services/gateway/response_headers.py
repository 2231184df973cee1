"""Security headers on every response (pages add their Content-Security-Policy themselves), and
`Cache-Control: private, no-store` on every API response that does not choose its own caching:
owner views, private images, errors (a 404 for a private image and for a missing one carry the
same headers) — only public image bytes opt in to a short shared max-age. Responses served over
HTTPS (see transport_security) also carry Strict-Transport-Security."""

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.gateway.transport_security import is_https

BASELINE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
API_PREFIX = "/api/"
API_DEFAULT_CACHE_CONTROL = "private, no-store"


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, trusted_proxies: frozenset[str] = frozenset(), hsts_max_age_s: int = 0):
        self.app = app
        self.trusted_proxies = trusted_proxies
        self.hsts = f"max-age={hsts_max_age_s}; includeSubDomains" if hsts_max_age_s else ""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        is_api = scope["path"].startswith(API_PREFIX)
        hsts = self.hsts if self.hsts and is_https(scope, self.trusted_proxies) else ""

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in BASELINE_HEADERS.items():
                    headers.setdefault(name, value)
                if is_api:
                    headers.setdefault("Cache-Control", API_DEFAULT_CACHE_CONTROL)
                if hsts:
                    headers.setdefault("Strict-Transport-Security", hsts)
            await send(message)

        await self.app(scope, receive, send_with_headers)
