"""Prometheus metrics of the gateway's HTTP requests, and the ASGI middleware that records them
(the count of accepted generations is kept where they are submitted: api/submission.py).

Requests are labelled by route template (`/api/v1/generations/{generation_id}`), never by raw
path, so that ids do not explode the number of series.
"""

import time

from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HTTP_REQUESTS = Counter(
    "atelier_http_requests_total", "HTTP requests answered by the gateway", ["route", "method", "status"]
)
HTTP_REQUEST_DURATION = Histogram(
    "atelier_http_request_duration_seconds",
    "Time to answer an HTTP request (whole stream for SSE)",
    ["route", "method"],
)

UNMATCHED_ROUTE = "unmatched"
_KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def _route_label(scope: Scope) -> str:
    route = scope.get("route")
    if route is not None and hasattr(route, "path"):
        return route.path
    # Mounted apps (static files) have no route object; label them by their mount point.
    root_path = scope.get("root_path") or scope.get("app_root_path")
    return root_path or UNMATCHED_ROUTE


class HttpMetricsMiddleware:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        started = time.perf_counter()

        async def send_and_note_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note_status)
        finally:
            method = scope["method"] if scope["method"] in _KNOWN_METHODS else "OTHER"
            route = _route_label(scope)
            HTTP_REQUESTS.labels(route, method, str(status)).inc()
            HTTP_REQUEST_DURATION.labels(route, method).observe(time.perf_counter() - started)
