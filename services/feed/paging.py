"""Assembling a page that only holds what the viewer may see (P1).

The read model proposes candidates in keyset order; the visibility authority decides. We fetch a
little more than a page, keep what the authority allows, and fetch again until the page is full or
the read model is exhausted. A stale projection therefore omits items, never leaks them. An item
the authority denies is simply skipped; the authority's failure propagates (fail closed).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar


class Candidate(Protocol):
    @property
    def image_id(self): ...


RowT = TypeVar("RowT", bound=Candidate)
KeyT = TypeVar("KeyT")

Fetch = Callable[[KeyT | None, int], Awaitable[Sequence[RowT]]]
Authorize = Callable[[list[str]], Awaitable[set[str]]]


@dataclass(frozen=True)
class Page(Generic[RowT, KeyT]):
    items: list[RowT]
    # Where the next page starts; None when the read model is exhausted.
    next_key: KeyT | None


def batch_size_for(page_size: int, limit: int = 500) -> int:
    """A page plus a quarter and one (to learn whether more follow), within one Authorize call."""
    return min(limit, page_size + page_size // 4 + 2)


async def authorized_page(
    fetch: Fetch[KeyT, RowT],
    key_of: Callable[[RowT], KeyT],
    authorize: Authorize,
    after: KeyT | None,
    page_size: int,
    *,
    max_rounds: int = 8,
) -> Page[RowT, KeyT]:
    """Up to `page_size` rows after `after` that `authorize` allows, in the read model's order.

    `next_key` is the key of the last returned row when at least one more allowed row exists; the
    key of the last examined row when `max_rounds` fetches did not fill the page (a projection
    full of denied items costs bounded work per call; the client resumes from there); None when
    the read model has no more rows.
    """
    batch = batch_size_for(page_size)
    kept: list[RowT] = []
    position = after
    for _ in range(max_rounds):
        rows = await fetch(position, batch)
        if not rows:
            return Page(kept, None)
        allowed = await authorize([str(row.image_id) for row in rows])
        for row in rows:
            if str(row.image_id) in allowed:
                kept.append(row)
                if len(kept) > page_size:
                    return Page(kept[:page_size], key_of(kept[page_size - 1]))
        position = key_of(rows[-1])
        if len(rows) < batch:
            return Page(kept, None)
    return Page(kept, position)
