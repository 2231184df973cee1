"""Opaque keyset cursors: they round-trip, and a cursor of another listing, garbage, a forged or an
altered one is refused."""

import base64
import json
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from services.feed import cursors
from services.feed.cursors import Cursor, InvalidCursor

T = datetime(2026, 11, 23, 12, 30, 15, 123456, tzinfo=UTC)
SIGNER = cursors.signer("the feed's cursor secret")


@pytest.mark.parametrize("kind", [cursors.NEW, cursors.PROFILE, cursors.REPORTS])
def test_a_newest_cursor_round_trips(kind):
    cursor = Cursor(kind, T, uuid4())
    token = cursor.encode(SIGNER)
    assert cursors.decode(token, kind, SIGNER) == cursor
    assert str(cursor.image_id) not in token  # opaque: not a readable key


def test_a_top_cursor_keeps_its_like_count_and_window():
    cursor = Cursor(cursors.TOP, T, uuid4(), likes=42, since=T - timedelta(days=7))
    assert cursors.decode(cursor.encode(SIGNER), cursors.TOP, SIGNER) == cursor


def test_a_cursor_of_another_listing_is_refused():
    token = Cursor(cursors.TOP, T, uuid4(), likes=1, since=T).encode(SIGNER)
    with pytest.raises(InvalidCursor, match="not a cursor of this listing"):
        cursors.decode(token, cursors.NEW, SIGNER)


@pytest.mark.parametrize("token", ["", "not-base64!", "eyJrIjoibmV3In0", "bnVsbA", "W10"])
def test_garbage_is_refused_with_a_message(token):
    with pytest.raises(InvalidCursor, match="cursor"):
        cursors.decode(token, cursors.NEW, SIGNER)


def test_a_negative_like_count_is_refused():
    token = Cursor(cursors.TOP, T, uuid4(), likes=-1, since=T).encode(SIGNER)
    with pytest.raises(InvalidCursor):
        cursors.decode(token, cursors.TOP, SIGNER)


def test_a_cursor_with_fields_of_the_wrong_type_is_invalid():
    for body in ({"k": "new", "t": 5, "i": "x"}, {"k": "new", "t": "2026-01-01T00:00:00+00:00", "i": 5}):
        token = SIGNER.sign(json.dumps(body).encode())
        with pytest.raises(cursors.InvalidCursor):
            cursors.decode(token, "new", SIGNER)


def _unsigned(body: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(body).encode()).decode().rstrip("=")


def test_a_forged_or_altered_cursor_is_refused_as_such():
    cursor = Cursor(cursors.NEW, T, uuid4())
    token = cursor.encode(SIGNER)
    payload, signature = token.split(".")
    body = {"k": "new", "t": (T - timedelta(days=365)).isoformat(), "i": str(uuid4())}
    forged = [
        _unsigned(body),  # the old, unsigned form
        f"{_unsigned(body)}.{signature}",  # another body under a real signature
        f"{payload}.{signature[:-2]}AA",  # the signature altered
        cursor.encode(cursors.signer("another deployment's secret")),
    ]
    for token in forged:
        with pytest.raises(InvalidCursor, match="forged or altered"):
            cursors.decode(token, cursors.NEW, SIGNER)
