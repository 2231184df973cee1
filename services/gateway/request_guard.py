"""The gateway's first look at every request, before routing: what no route can use is refused here
once, so that it never reaches Postgres or protobuf (which fail on it with a 5xx).

- A NUL byte or a lone surrogate (U+D800–U+DFFF) in the path, the query or anywhere in a JSON body
  (keys included) → 422. Postgres text cannot hold NUL and protobuf strings must be valid UTF-8.
- A body over `max_body_bytes` → 413, decided from Content-Length before reading, and counted while
  reading a chunked body, so an oversized body is never held in memory or parsed.
- A JSON body nested too deeply to parse → 422 (the parser would otherwise hit the recursion limit).

Paths under `exempt_prefixes` (the payment provider's webhook) pass untouched: they read their raw
body themselves, with their own size limit, and verify its signature byte for byte.
"""

import json
import re
from urllib.parse import unquote_to_bytes

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.gateway.problems import is_json_content_type, problem_response

UNUSABLE_CHARACTERS = re.compile("[\x00\ud800-\udfff]")
BODYLESS_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
NOT_TEXT = "must not contain NUL bytes or unpaired UTF-16 surrogates"


class BodyTooLarge(Exception):
    pass


def _has_unusable_text(value: object) -> bool:
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if UNUSABLE_CHARACTERS.search(item):
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


class RequestGuardMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        exempt_prefixes: tuple[str, ...] = (),
        larger_bodies: tuple[tuple[str, int], ...] = (),
    ):
        """larger_bodies: (path prefix, limit) of routes that take uploads larger than the rest."""
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.exempt_prefixes = exempt_prefixes
        self.larger_bodies = larger_bodies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.exempt_prefixes):
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        query = unquote_to_bytes(scope.get("query_string", b"").replace(b"+", b" "))
        if UNUSABLE_CHARACTERS.search(path) or b"\x00" in query:
            await self._refuse(
                scope, receive, send, 422, f"The address {NOT_TEXT}.", "path" if b"\x00" not in query else "query"
            )
            return
        headers = Headers(scope=scope)
        has_body = "content-length" in headers or "transfer-encoding" in headers
        if scope["method"] in BODYLESS_METHODS and not has_body:
            await self.app(scope, receive, send)
            return
        limit = next((size for prefix, size in self.larger_bodies if path.startswith(prefix)), self.max_body_bytes)
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await self._too_large(scope, receive, send, limit)
            return
        try:
            body = await self._read_body(receive, limit)
        except BodyTooLarge:
            await self._too_large(scope, receive, send, limit)
            return
        if body and is_json_content_type(headers.get("content-type", "")):
            try:
                unusable = _has_unusable_text(json.loads(body))
            except RecursionError:
                await self._refuse(scope, receive, send, 422, "The JSON body is nested too deeply.", "body")
                return
            except ValueError:
                unusable = False  # not JSON: the route answers 400 with the parser's reason
            if unusable:
                await self._refuse(scope, receive, send, 422, f"Text in the request body {NOT_TEXT}.", "body")
                return
        await self.app(scope, _replaying(body, receive), send)

    async def _read_body(self, receive: Receive, limit: int) -> bytes:
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return bytes(body)  # the client went away; the route sees an empty body
            body.extend(message.get("body", b""))
            if len(body) > limit:
                raise BodyTooLarge
            if not message.get("more_body", False):
                return bytes(body)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        detail = f"The request body is larger than {limit} bytes."
        response = problem_response(413, detail, instance=scope["path"], headers={"Connection": "close"})
        await response(scope, receive, send)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, status: int, detail: str, field: str) -> None:
        errors = [{"field": field, "message": detail}]
        await problem_response(status, detail, instance=_printable(scope["path"]), errors=errors)(scope, receive, send)


def _printable(path: str) -> str:
    return UNUSABLE_CHARACTERS.sub("\ufffd", path)


def _replaying(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
