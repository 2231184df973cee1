"""Opaque keyset cursors: where the next page starts, signed with the service's secret
(ATELIER_CURSOR_SECRET, glue.signed_tokens) so that clients can only follow the pages they were
given. Every item that leaves the service is authorised anyway; the signature keeps clients from
walking the keyset at will (probing timestamps and ids). A forged or altered cursor is refused,
and so is a cursor from one listing used with another (a `top` cursor on `new`, a profile cursor
on the feed).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from glue.signed_tokens import TamperedToken, TokenSigner

NEW = "new"
TOP = "top"
PROFILE = "profile"
REPORTS = "reports"
KINDS = (NEW, TOP, PROFILE, REPORTS)


FORGED = "cursor: forged or altered (its signature does not match); start again from the first page"


class InvalidCursor(ValueError):
    pass


def signer(secret: str) -> TokenSigner:
    return TokenSigner(secret, "feed cursor")


@dataclass(frozen=True)
class Cursor:
    """The key of the last item a page examined.

    new/profile/reports: (created_at, image_id), ordered descending (reports: ascending).
    top: (likes, created_at, image_id) descending, plus `since`, the start of the like window the
    first page used, so that later pages count likes over the same window.
    """

    kind: str
    created_at: datetime
    image_id: UUID
    likes: int = 0
    since: datetime | None = None

    def encode(self, signer: TokenSigner) -> str:
        body: dict[str, str | int | None] = {"k": self.kind, "t": self.created_at.isoformat(), "i": str(self.image_id)}
        if self.kind == TOP:
            body["n"] = self.likes
            body["s"] = self.since.isoformat() if self.since else None
        return signer.sign(json.dumps(body, separators=(",", ":")).encode())


def decode(token: str, kind: str, signer: TokenSigner) -> Cursor:
    """The cursor in `token`, which must have been issued (signed) for a listing of `kind`."""
    try:
        payload = signer.verify(token)
    except TamperedToken as error:
        raise InvalidCursor(FORGED) from error
    try:
        body = json.loads(payload.decode())
        if not isinstance(body, dict) or body.get("k") != kind:
            raise InvalidCursor(f"cursor: not a cursor of this listing ({kind})")
        if not isinstance(body.get("t"), str) or not isinstance(body.get("i"), str):
            raise InvalidCursor("cursor: not a cursor this service issued")
        created_at = datetime.fromisoformat(body["t"])
        if created_at.tzinfo is None:
            raise InvalidCursor("cursor: not a cursor this service issued")
        cursor = Cursor(kind=kind, created_at=created_at, image_id=UUID(body["i"]))
        if kind == TOP:
            likes = body["n"]
            if not isinstance(likes, int) or isinstance(likes, bool) or likes < 0:
                raise InvalidCursor("cursor: not a cursor this service issued")
            since = datetime.fromisoformat(body["s"]) if body.get("s") is not None else None
            if since is not None and since.tzinfo is None:
                raise InvalidCursor("cursor: not a cursor this service issued")
            cursor = Cursor(kind=kind, created_at=created_at, image_id=cursor.image_id, likes=likes, since=since)
        return cursor
    except InvalidCursor:
        raise
    except (ValueError, KeyError, TypeError, AttributeError, OverflowError) as error:
        raise InvalidCursor("cursor: not a cursor this service issued") from error
