"""Rules of likes, pins and reports that need no database."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
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


_LEADING_DASHES = re.compile(r"-*")
_DASHES_NOT_IN_A_WORD = re.compile(r"(?<!\w)-+|-+(?!\w)")
_STARTS_A_TERM = re.compile(r'[\w"]')


def _without_stray_dashes(token: str) -> str:
    """A dash negates a word or phrase only at its start (`-dog`, `-"big dog"`) and joins words
    inside one (`sci-fi`); every other dash goes. Postgres' websearch_to_tsquery turns each stray
    dash into a negation of nothing and fails ("tsquery stack too small") past about 32 of them."""
    negated = _LEADING_DASHES.match(token).end() > 0  # type: ignore[union-attr]
    rest = _DASHES_NOT_IN_A_WORD.sub(" ", token.lstrip("-"))
    return ("-" if negated and _STARTS_A_TERM.match(rest) else "") + rest


def clean_query(query: str) -> str:
    text = " ".join(query.split())
    if len(text) > MAX_QUERY:
        raise InvalidInput(f"query: at most {MAX_QUERY} characters")
    return " ".join(" ".join(_without_stray_dashes(token) for token in text.split()).split())


@dataclass(frozen=True)
class ReportPolicy:
    # Open reports weighing this much hide an image pending review.
    threshold: int
    # An account counts fully once its first image is this old; until then new_reporter_weight.
    established_after: timedelta
    new_reporter_weight: float


def report_weight(
    reporter_id: str,
    owner_id: str,
    reporter_first_image_at: datetime | None,
    now: datetime,
    *,
    established_after: timedelta,
    new_reporter_weight: float,
) -> float:
    """How much one report counts towards hiding an image. Accounts cost nothing to make, so an
    account counts fully only once it has made images for `established_after` (the generation
    service dates them; a farm of fresh accounts would have to wait and pay for generations);
    until then `new_reporter_weight` (default 0). The owner's own report counts nothing."""
    if reporter_id == owner_id:
        return 0.0
    if reporter_first_image_at is not None and now - reporter_first_image_at >= established_after:
        return 1.0
    return new_reporter_weight


def hidden_by_reports(open_weight: float, threshold: int, decision: Decision | None) -> bool:
    """Hidden pending review once the open reports since the last review weigh `threshold` (each
    user reports an image once; an established account weighs 1); an operator who reviewed it and
    kept it hidden keeps it hidden."""
    return decision is Decision.KEPT_HIDDEN or open_weight >= threshold
