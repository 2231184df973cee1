"""The feed's SQL on a real Postgres: concurrent writers of one image converge (row locks plus an
order-free merge rule), and the precomputed top windows count exactly the likes inside them."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from glue import db
from services.feed import repository
from services.feed.projection import Deleted, ImageReady, Visibility, VisibilitySet, fold
from services.feed.wiring import MIGRATIONS
from tests.support.services import fresh_database

pytestmark = pytest.mark.integration
T0 = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture
async def pool(postgres_url) -> AsyncIterator:
    url = fresh_database(postgres_url)
    await asyncio.to_thread(db.migrate, url, "feed", MIGRATIONS)
    pool = await db.open_pool(url, "feed", max_size=8)
    yield pool
    await pool.close()


def ready(visibility=Visibility.PUBLIC) -> ImageReady:
    return ImageReady("alice", "a red circle", 512, 512, T0, visibility)


async def test_concurrent_transactions_on_the_same_images_converge(pool):
    ids = sorted(uuid.uuid4() for _ in range(3))
    history = [
        ready(),
        VisibilitySet(Visibility.PRIVATE, 2),
        VisibilitySet(Visibility.PUBLIC, 3),
        VisibilitySet(Visibility.PRIVATE, 4),
    ]
    changes = [(i, e) for i in ids for e in history] + [(ids[0], Deleted())]
    rng = random.Random(3)
    delivered = changes * 3
    rng.shuffle(delivered)

    async def one(change):
        async with pool.connection() as conn, conn.transaction():
            await repository.apply_changes(conn, [change])

    await asyncio.gather(*(one(c) for c in delivered))
    async with pool.connection() as conn:
        rows = await repository.projection_rows(conn)
    for image_id in ids:
        expected = fold(e for i, e in changes if i == image_id)
        assert rows[image_id][:9] == repository._row_of(expected)
    assert rows[ids[0]][7] is True and rows[ids[0]][1] == ""  # deleted, prompt erased


async def test_top_windows_count_only_the_likes_inside_them(pool):
    image_id = uuid.uuid4()
    now = datetime.now(UTC)
    async with pool.connection() as conn, conn.transaction():
        await repository.apply_changes(conn, [(image_id, ready())])
        await conn.execute(
            "INSERT INTO likes (image_id, user_id, created_at) VALUES (%s, 'old', %s), (%s, 'new', %s)",
            (image_id, now - timedelta(days=10), image_id, now),
        )
        for window in (24, 168, 720):
            await repository.refresh_top(conn, window)
        scores = dict(
            await (
                await conn.execute("SELECT window_hours, likes FROM top_scores WHERE image_id = %s", (image_id,))
            ).fetchall()
        )
        assert scores == {24: 1, 168: 1, 720: 2}

        # Unliking the 10-day-old like leaves the 7-day window alone; the new one empties it.
        await repository.remove_like(conn, image_id, "old", [24, 168, 720])
        await repository.remove_like(conn, image_id, "new", [24, 168, 720])
        left = await (await conn.execute("SELECT count(*) FROM top_scores WHERE image_id = %s", (image_id,))).fetchone()
        assert left[0] == 0
        assert await repository.add_like(conn, image_id, "again", [24, 168, 720]) == 1
        rows = await repository.fetch_top(conn, repository.precomputed_window(168), None, 10)
        assert [(r.image_id, r.window_likes) for r in rows] == [(image_id, 1)]


async def walk_top(conn, window: repository.TopWindow, query: str = "", page: int = 3) -> list[tuple[uuid.UUID, int]]:
    seen, after = [], None
    while True:
        rows = await repository.fetch_top(conn, window, after, page, query)
        seen += [(r.image_id, r.window_likes) for r in rows]
        if len(rows) < page:
            return seen
        after = rows[-1].top_key


async def test_live_and_precomputed_top_windows_list_the_same_feed_page_after_page(pool):
    """Most liked first, then the unliked newest first, every listed image once, whichever way
    the window's counts are kept; with a search, only the matching ones."""
    images = [(uuid.uuid4(), f"a {'red' if n % 2 else 'blue'} circle", T0 + timedelta(minutes=n)) for n in range(11)]
    likes = {images[3][0]: 3, images[7][0]: 3, images[1][0]: 1, images[8][0]: 2}
    async with pool.connection() as conn, conn.transaction():
        await repository.apply_changes(
            conn,
            [(i, ImageReady("alice", prompt, 512, 512, at, Visibility.PUBLIC)) for i, prompt, at in images]
            + [(uuid.uuid4(), ImageReady("alice", "a red circle", 512, 512, T0, Visibility.PRIVATE))],
        )
        for image_id, count in likes.items():
            for n in range(count):
                await repository.add_like(conn, image_id, f"fan-{n}", [168])
        await repository.refresh_top(conn, 168)

    newest_first = sorted(images, key=lambda i: (i[2], i[0]), reverse=True)
    expected = sorted(
        ((i, likes[i]) for i, _, _ in newest_first if i in likes),
        key=lambda item: (item[1], next(at for i, _, at in images if i == item[0]), item[0]),
        reverse=True,
    ) + [(i, 0) for i, _, _ in newest_first if i not in likes]
    red = {i for i, prompt, _ in images if "red" in prompt}
    async with pool.connection() as conn:
        live = repository.live_window(datetime.now(UTC) - timedelta(hours=168))
        precomputed = repository.precomputed_window(168)
        assert await walk_top(conn, live) == await walk_top(conn, precomputed) == expected
        assert await walk_top(conn, live, "red") == await walk_top(conn, precomputed, "red")
        assert await walk_top(conn, live, "red") == [item for item in expected if item[0] in red]
