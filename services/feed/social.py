"""Rules of likes, pins and reports that need no database."""

from __future__ import annotations

from enum import Enum

MAX_REASON = 500
MAX_PINS = 50
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_BATCH = 500
MAX_QUERY = 200
MAX_WINDOW_HOURS = 24 * 366


class InvalidInput(ValueError):
    """Bad input from a caller; the message names the field."""


class Decision(str, Enum):
    RESTORED = "restored"
    KEPT_HIDDEN = "kept_hidden"


def clean_reason(reason: str) -> str:
    text = reason.strip()
    if not 1 <= len(text) <= MAX_REASON:
        raise InvalidInput(f"reason: must be 1 to {MAX_REASON} characters")
    return text


def page_size(requested: int) -> int:
    if requested == 0:
        return DEFAULT_PAGE_SIZE
    if not 1 <= requested <= MAX_PAGE_SIZE:
        raise InvalidInput(f"page_size: must be between 1 and {MAX_PAGE_SIZE}")
    return requested


def window_hours(requested: int, default: int) -> int:
    if requested == 0:
        return default
    if not 1 <= requested <= MAX_WINDOW_HOURS:
        raise InvalidInput(f"window_hours: must be between 1 and {MAX_WINDOW_HOURS}")
    return requested


def clean_query(query: str) -> str:
    text = " ".join(query.split())
    if len(text) > MAX_QUERY:
        raise InvalidInput(f"query: at most {MAX_QUERY} characters")
    return text


def hidden_by_reports(open_reports: int, threshold: int, decision: Decision | None) -> bool:
    """Hidden pending review once `threshold` distinct users reported it since the last review;
    an operator who reviewed it and kept it hidden keeps it hidden."""
    return decision is Decision.KEPT_HIDDEN or open_reports >= threshold
