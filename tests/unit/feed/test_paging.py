"""Pages are assembled from what the authority allows: a stale read model omits, never leaks."""

from dataclasses import dataclass

import pytest

from services.feed.paging import authorized_page, batch_size_for
from services.feed.visibility_client import AuthorityUnavailable


@dataclass(frozen=True)
class Row:
    image_id: str
    key: int


ROWS = [Row(f"img-{n:03d}", n) for n in range(100, 0, -1)]  # newest (highest key) first


class ReadModel:
    def __init__(self, rows):
        self.rows = rows
        self.fetches = 0

    async def fetch(self, after, limit):
        self.fetches += 1
        return [r for r in self.rows if after is None or r.key < after][:limit]


def authority(denied=(), calls=None):
    async def allowed(ids):
        if calls is not None:
            calls.append(list(ids))
        return {i for i in ids if i not in denied}

    return allowed


async def collect_all(model, allowed, page_size):
    seen, after, pages = [], None, 0
    while True:
        page = await authorized_page(model.fetch, lambda r: r.key, allowed, after, page_size)
        seen += page.items
        pages += 1
        if page.next_key is None:
            return seen, pages
        after = page.next_key


async def test_pages_walk_the_whole_feed_once_in_order():
    seen, pages = await collect_all(ReadModel(ROWS), authority(), 20)
    assert seen == ROWS and pages == 5


async def test_denied_items_never_appear_and_pages_are_still_full():
    denied = {r.image_id for r in ROWS if r.key % 3 == 0}
    model = ReadModel(ROWS)
    page = await authorized_page(model.fetch, lambda r: r.key, authority(denied), None, 20)
    assert len(page.items) == 20 and not denied & {r.image_id for r in page.items}
    assert model.fetches == 2  # over-fetched, then fetched again to fill the page
    seen, _ = await collect_all(ReadModel(ROWS), authority(denied), 20)
    assert [r.image_id for r in seen] == [r.image_id for r in ROWS if r.image_id not in denied]


async def test_every_id_asked_about_is_at_most_one_batch_and_at_most_500():
    calls = []
    await authorized_page(ReadModel(ROWS).fetch, lambda r: r.key, authority(calls=calls), None, 100)
    assert all(len(c) <= batch_size_for(100) <= 500 for c in calls)


async def test_an_exhausted_read_model_ends_the_listing():
    page = await authorized_page(ReadModel(ROWS[:5]).fetch, lambda r: r.key, authority(), None, 20)
    assert len(page.items) == 5 and page.next_key is None
    page = await authorized_page(ReadModel(ROWS[:20]).fetch, lambda r: r.key, authority(), None, 20)
    assert len(page.items) == 20 and page.next_key is None  # no empty last page


async def test_a_read_model_full_of_denied_items_costs_bounded_work_and_resumes_where_it_stopped():
    model = ReadModel(ROWS)
    everything = {r.image_id for r in ROWS}
    page = await authorized_page(model.fetch, lambda r: r.key, authority(everything), None, 2, max_rounds=3)
    assert page.items == [] and model.fetches == 3
    assert page.next_key == ROWS[3 * batch_size_for(2) - 1].key


async def test_an_unavailable_authority_fails_the_page():
    async def down(ids):
        raise AuthorityUnavailable("down")

    with pytest.raises(AuthorityUnavailable):
        await authorized_page(ReadModel(ROWS).fetch, lambda r: r.key, down, None, 20)
