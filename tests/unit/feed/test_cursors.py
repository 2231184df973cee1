"""Opaque keyset cursors: they round-trip, and a cursor of another listing or garbage is refused."""

import base64
import json
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from services.feed import cursors
from services.feed.cursors import Cursor, InvalidCursor

T = datetime(2026, 11, 23, 12, 30, 15, 123456, tzinfo=UTC)


@pytest.mark.parametrize("kind", [cursors.NEW, cursors.PROFILE, cursors.REPORTS])
def test_a_newest_cursor_round_trips(kind):
    cursor = Cursor(kind, T, uuid4())
    token = cursor.encode()
    assert cursors.decode(token, kind) == cursor
    assert str(cursor.image_id) not in token  # opaque: not a readable key


def test_a_top_cursor_keeps_its_like_count_and_window():
    cursor = Cursor(cursors.TOP, T, uuid4(), likes=42, since=T - timedelta(days=7))
    assert cursors.decode(cursor.encode(), cursors.TOP) == cursor


def test_a_cursor_of_another_listing_is_refused():
    token = Cursor(cursors.TOP, T, uuid4(), likes=1, since=T).encode()
    with pytest.raises(InvalidCursor, match="not a cursor of this listing"):
        cursors.decode(token, cursors.NEW)


@pytest.mark.parametrize("token", ["", "not-base64!", "eyJrIjoibmV3In0", "bnVsbA", "W10"])
def test_garbage_is_refused_with_a_message(token):
    with pytest.raises(InvalidCursor, match="cursor"):
        cursors.decode(token, cursors.NEW)


def test_a_negative_like_count_is_refused():
    token = Cursor(cursors.TOP, T, uuid4(), likes=-1, since=T).encode()
    with pytest.raises(InvalidCursor):
        cursors.decode(token, cursors.TOP)


def test_a_cursor_with_fields_of_the_wrong_type_is_invalid():
    for body in ({"k": "new", "t": 5, "i": "x"}, {"k": "new", "t": "2026-01-01T00:00:00+00:00", "i": 5}):
        token = base64.urlsafe_b64encode(json.dumps(body).encode()).decode()
        with pytest.raises(cursors.InvalidCursor):
            cursors.decode(token, "new")
