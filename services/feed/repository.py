"""SQL for the feed schema (psycopg 3). Connections come pinned to the schema (search_path).

Transactions that write social data touch likes/reports/moderation before images, the order the
rebuild's swap locks them in, so the two never deadlock.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import psycopg
from psycopg import sql
from psycopg.rows import class_row

from glue.db import one_row
from services.feed.projection import Event, ImageState, Visibility, fold
from services.feed.social import Decision

IMAGES = "images"
STATE_COLUMNS = ("owner_id", "prompt", "width", "height", "created_at", "visibility", "version", "deleted", "known")
_STATE_TYPES = ("text", "text", "int", "int", "timestamptz", "text", "bigint", "bool", "bool")


# ---------------------------------------------------------------- projection (event-derived state)


def _state_of(row: tuple) -> ImageState:
    owner_id, prompt, width, height, created_at, visibility, version, deleted, known = row
    return ImageState(
        owner_id=owner_id,
        prompt=prompt,
        width=width,
        height=height,
        created_at=created_at,
        visibility=Visibility(visibility),
        version=version,
        deleted=deleted,
        known=known,
    )


def _row_of(state: ImageState) -> tuple:
    return (
        state.owner_id,
        state.prompt,
        state.width,
        state.height,
        state.created_at,
        state.visibility.value,
        state.version,
        state.deleted,
        state.known,
    )


@functools.cache
def _apply_statements(table: str) -> tuple[sql.Composed, sql.Composed, sql.Composed]:
    target = sql.Identifier(table)
    columns = sql.SQL(", ").join(map(sql.Identifier, STATE_COLUMNS))
    insert = sql.SQL("INSERT INTO {} (image_id) SELECT unnest(%s::uuid[]) ON CONFLICT (image_id) DO NOTHING").format(
        target
    )
    select = sql.SQL("SELECT image_id, {} FROM {} WHERE image_id = ANY(%s) ORDER BY image_id FOR UPDATE").format(
        columns, target
    )
    arrays = sql.SQL(", ").join(sql.SQL("%s::{}[]").format(sql.SQL(kind)) for kind in ("uuid", *_STATE_TYPES))
    assignments = sql.SQL(", ").join(sql.SQL("{0} = u.{0}").format(sql.Identifier(c)) for c in STATE_COLUMNS)
    update = sql.SQL("UPDATE {} AS i SET {} FROM unnest({}) AS u(image_id, {}) WHERE i.image_id = u.image_id").format(
        target, assignments, arrays, columns
    )
    return insert, select, update


async def apply_changes(
    conn: psycopg.AsyncConnection, changes: Sequence[tuple[UUID, Event]], table: str = IMAGES
) -> int:
    """Folds events into the rows of their images, inside the caller's transaction; returns how
    many rows changed. Rows are locked in image-id order, so concurrent calls never deadlock."""
    if not changes:
        return 0
    insert, select, update = _apply_statements(table)
    ids = sorted({image_id for image_id, _ in changes})
    await conn.execute(insert, (ids,))
    cursor = await conn.execute(select, (ids,))
    before = {row[0]: _state_of(row[1:]) for row in await cursor.fetchall()}
    events_of: dict[UUID, list[Event]] = {}
    for image_id, event in changes:
        events_of.setdefault(image_id, []).append(event)
    after = {image_id: fold(events, before[image_id]) for image_id, events in events_of.items()}
    changed = [(image_id, state) for image_id, state in after.items() if state != before[image_id]]
    if changed:
        columns = [[image_id for image_id, _ in changed]]
        columns += [list(values) for values in zip(*(_row_of(state) for _, state in changed), strict=True)]
        await conn.execute(update, columns)
    return len(changed)


async def projection_rows(conn: psycopg.AsyncConnection, table: str = IMAGES) -> dict[UUID, tuple]:
    """Every row's event-derived state and moderation flag (for comparisons and tests)."""
    cursor = await conn.execute(
        sql.SQL("SELECT image_id, {}, hidden_by_reports, like_count FROM {}").format(
            sql.SQL(", ").join(map(sql.Identifier, STATE_COLUMNS)), sql.Identifier(table)
        )
    )
    return {row[0]: tuple(row[1:]) for row in await cursor.fetchall()}


# ---------------------------------------------------------------- reading the feed


@dataclass(frozen=True)
class FeedRow:
    image_id: UUID
    owner_id: str
    prompt: str
    width: int
    height: int
    created_at: datetime
    like_count: int
    window_likes: int = 0

    @property
    def newest_key(self) -> tuple[datetime, UUID]:
        return (self.created_at, self.image_id)

    @property
    def top_key(self) -> tuple[int, datetime, UUID]:
        return (self.window_likes, self.created_at, self.image_id)


_FEED_COLUMNS = "i.image_id, i.owner_id, i.prompt, i.width, i.height, i.created_at, i.like_count"
_MATCHES = " AND i.prompt_tsv @@ websearch_to_tsquery('english', %(query)s)"


async def _rows(conn: psycopg.AsyncConnection, query: str, params: dict) -> list[FeedRow]:
    cursor = conn.cursor(row_factory=class_row(FeedRow))
    # Never a prepared statement: its generic plan cannot see how selective a search term or a
    # cursor position is (a common term then scans the whole GIN index and sorts); planning each
    # page costs a fraction of a millisecond.
    await cursor.execute(query, params, prepare=False)
    return await cursor.fetchall()


async def fetch_newest(
    conn: psycopg.AsyncConnection, after: tuple[datetime, UUID] | None, limit: int, query: str = ""
) -> list[FeedRow]:
    """Listed images, newest first, optionally only those whose prompt matches `query`."""
    text = f"SELECT {_FEED_COLUMNS} FROM images i WHERE i.listed"
    params: dict = {"limit": limit, "query": query}
    if query:
        text += _MATCHES
    if after is not None:
        text += " AND (i.created_at, i.image_id) < (%(t)s, %(id)s)"
        params.update(t=after[0], id=after[1])
    text += " ORDER BY i.created_at DESC, i.image_id DESC LIMIT %(limit)s"
    return await _rows(conn, text, params)


@dataclass(frozen=True)
class TopWindow:
    """Where a top window's like counts come from. `scored`: the liked listed images with their
    count as window_likes ({search} marks where the search condition goes); `key`: its (count,
    created_at, image_id) columns, the page order; `liked`: a subquery naming image i if it has
    likes in the window."""

    scored: str
    key: tuple[str, str, str]
    liked: str
    params: dict


def live_window(since: datetime) -> TopWindow:
    """Counted from the likes at each read: any window. Counts sorted first, then one primary-key
    probe per counted image (OFFSET 0 keeps the planner from hash-joining every image): the sort
    by (n, created_at, id) stops after a page's worth of the highest counts. Still O(likes in
    the window) for the aggregate."""
    return TopWindow(
        scored=(
            "WITH w AS MATERIALIZED (SELECT image_id, count(*) AS n FROM likes WHERE created_at >= %(since)s"
            " GROUP BY image_id ORDER BY n DESC)"
            f" SELECT {', '.join(c.replace('i.', 'p.') for c in _FEED_COLUMNS.split(', '))}, w.n AS window_likes"
            f" FROM w CROSS JOIN LATERAL (SELECT {_FEED_COLUMNS} FROM images i"
            " WHERE i.image_id = w.image_id AND i.listed{search} OFFSET 0) p WHERE true"
        ),
        key=("w.n", "p.created_at", "p.image_id"),
        liked="SELECT 1 FROM likes l WHERE l.image_id = i.image_id AND l.created_at >= %(since)s",
        params={"since": since},
    )


def precomputed_window(window_hours: int) -> TopWindow:
    """A window kept in top_scores (refresh_top): both phases walk an index."""
    return TopWindow(
        scored=(
            f"SELECT {_FEED_COLUMNS}, t.likes AS window_likes"
            " FROM top_scores t JOIN images i ON i.image_id = t.image_id"
            " WHERE t.window_hours = %(window)s AND i.listed{search}"
        ),
        key=("t.likes", "t.created_at", "t.image_id"),
        liked="SELECT 1 FROM top_scores t WHERE t.window_hours = %(window)s AND t.image_id = i.image_id",
        params={"window": window_hours},
    )


def all_time_window() -> TopWindow:
    """Every like ever: the image's own like count, read from a partial index of liked listed images."""
    return TopWindow(
        scored=(
            f"SELECT {_FEED_COLUMNS}, i.like_count AS window_likes FROM images i"
            " WHERE i.listed AND i.like_count > 0{search}"
        ),
        key=("i.like_count", "i.created_at", "i.image_id"),
        liked="SELECT 1 WHERE i.like_count > 0",
        params={},
    )


async def fetch_top(
    conn: psycopg.AsyncConnection,
    window: TopWindow,
    after: tuple[int, datetime, UUID] | None,
    limit: int,
    query: str = "",
) -> list[FeedRow]:
    """Listed images by likes received in the window, then newest first; images without likes in
    the window follow the liked ones, newest first, so the listing covers the whole feed."""
    rows: list[FeedRow] = []
    params: dict = {**window.params, "query": query}
    search = _MATCHES if query else ""
    if after is None or after[0] > 0:
        text = window.scored.replace("{search}", search)
        if after is not None:
            text += f" AND ({', '.join(window.key)}) < (%(n)s, %(t)s, %(id)s)"
            params.update(n=after[0], t=after[1], id=after[2])
        text += f" ORDER BY {', '.join(f'{column} DESC' for column in window.key)} LIMIT %(limit)s"
        rows = await _rows(conn, text, {**params, "limit": limit})
        if len(rows) == limit:
            return rows
        after = None
    text = (
        f"SELECT {_FEED_COLUMNS}, 0 AS window_likes FROM images i WHERE i.listed{search}"
        f" AND NOT EXISTS ({window.liked})"
    )
    if after is not None:
        text += " AND (i.created_at, i.image_id) < (%(t)s, %(id)s)"
        params.update(t=after[1], id=after[2])
    text += " ORDER BY i.created_at DESC, i.image_id DESC LIMIT %(limit)s"
    return rows + await _rows(conn, text, {**params, "limit": limit - len(rows)})


async def refresh_top(conn: psycopg.AsyncConnection, window_hours: int) -> int:
    """Recounts one window from likes (likes age out of it; counts drift nowhere else). Inside the
    caller's transaction: readers see the old scores until it commits."""
    await conn.execute("DELETE FROM top_scores WHERE window_hours = %s", (window_hours,))
    cursor = await conn.execute(
        "INSERT INTO top_scores (window_hours, image_id, likes, created_at)"
        " SELECT %(w)s, l.image_id, count(*), i.created_at FROM likes l JOIN images i ON i.image_id = l.image_id"
        " WHERE l.created_at >= now() - make_interval(hours => %(w)s) AND i.created_at IS NOT NULL"
        " GROUP BY l.image_id, i.created_at",
        {"w": window_hours},
    )
    return cursor.rowcount


async def fetch_owner(
    conn: psycopg.AsyncConnection, owner_id: str, after: tuple[datetime, UUID] | None, limit: int
) -> list[FeedRow]:
    text = f"SELECT {_FEED_COLUMNS} FROM images i WHERE i.listed AND i.owner_id = %(owner)s"
    params: dict = {"owner": owner_id, "limit": limit}
    if after is not None:
        text += " AND (i.created_at, i.image_id) < (%(t)s, %(id)s)"
        params.update(t=after[0], id=after[1])
    text += " ORDER BY i.created_at DESC, i.image_id DESC LIMIT %(limit)s"
    return await _rows(conn, text, params)


async def pinned_of(
    conn: psycopg.AsyncConnection, owner_id: str, limit: int, *, listed_only: bool = True
) -> list[FeedRow]:
    """The owner's pinned images, most recently pinned first: listed ones for others; for the
    owner also their private ones (the authority still has the last word on both)."""
    shown = "i.listed" if listed_only else "i.known AND NOT i.deleted AND NOT i.hidden_by_reports"
    return await _rows(
        conn,
        f"SELECT {_FEED_COLUMNS} FROM pins p JOIN images i ON i.image_id = p.image_id"
        f" WHERE p.owner_id = %(owner)s AND i.owner_id = %(owner)s AND {shown}"
        " ORDER BY p.pinned_at DESC, p.image_id DESC LIMIT %(limit)s",
        {"owner": owner_id, "limit": limit},
    )


async def liked_by(conn: psycopg.AsyncConnection, user_id: str, image_ids: Sequence[UUID]) -> set[UUID]:
    if not user_id or not image_ids:
        return set()
    cursor = await conn.execute(
        "SELECT image_id FROM likes WHERE user_id = %s AND image_id = ANY(%s)", (user_id, list(image_ids))
    )
    return {row[0] for row in await cursor.fetchall()}


@dataclass(frozen=True)
class Social:
    like_count: int
    liked_by_viewer: bool
    pinned: bool


async def social_of(conn: psycopg.AsyncConnection, viewer_id: str, image_ids: Sequence[UUID]) -> dict[UUID, Social]:
    ids = list(image_ids)
    cursor = await conn.execute(
        "SELECT id,"
        " (SELECT count(*) FROM likes l WHERE l.image_id = id),"
        " EXISTS (SELECT 1 FROM likes l WHERE l.image_id = id AND l.user_id = %s),"
        " EXISTS (SELECT 1 FROM pins p WHERE p.image_id = id)"
        " FROM unnest(%s::uuid[]) AS id",
        (viewer_id, ids),
    )
    return {row[0]: Social(row[1], bool(viewer_id) and row[2], row[3]) for row in await cursor.fetchall()}


@dataclass(frozen=True)
class ImageRow:
    image_id: UUID
    owner_id: str
    known: bool
    deleted: bool


async def get_image(conn: psycopg.AsyncConnection, image_id: UUID) -> ImageRow | None:
    cursor = conn.cursor(row_factory=class_row(ImageRow))
    await cursor.execute("SELECT image_id, owner_id, known, deleted FROM images WHERE image_id = %s", (image_id,))
    return await cursor.fetchone()


# ---------------------------------------------------------------- likes


async def add_like(conn: psycopg.AsyncConnection, image_id: UUID, user_id: str, windows: Sequence[int] = ()) -> int:
    """Idempotent; returns the image's like count. Inside the caller's transaction."""
    cursor = await conn.execute(
        "INSERT INTO likes (image_id, user_id) VALUES (%s, %s) ON CONFLICT DO NOTHING", (image_id, user_id)
    )
    if cursor.rowcount != 1:
        return await _like_count(conn, image_id)
    cursor = await conn.execute(
        "INSERT INTO images (image_id, like_count) VALUES (%s, 1)"
        " ON CONFLICT (image_id) DO UPDATE SET like_count = images.like_count + 1 RETURNING like_count, created_at",
        (image_id,),
    )
    count, created_at = await one_row(cursor)
    if windows and created_at is not None:
        await conn.execute(
            "INSERT INTO top_scores (window_hours, image_id, likes, created_at)"
            " SELECT w, %s, 1, %s FROM unnest(%s::int[]) AS w"
            " ON CONFLICT (window_hours, image_id) DO UPDATE SET likes = top_scores.likes + 1",
            (image_id, created_at, list(windows)),
        )
    return count


async def remove_like(conn: psycopg.AsyncConnection, image_id: UUID, user_id: str, windows: Sequence[int] = ()) -> int:
    cursor = await conn.execute(
        "DELETE FROM likes WHERE image_id = %s AND user_id = %s RETURNING created_at", (image_id, user_id)
    )
    removed = await cursor.fetchone()
    if removed is not None:
        await conn.execute(
            "UPDATE images SET like_count = greatest(like_count - 1, 0) WHERE image_id = %s", (image_id,)
        )
        if windows:
            # Only the windows the removed like counted in.
            await conn.execute(
                "DELETE FROM top_scores WHERE image_id = %s AND window_hours = ANY(%s)"
                " AND %s >= now() - make_interval(hours => window_hours) AND likes <= 1",
                (image_id, list(windows), removed[0]),
            )
            await conn.execute(
                "UPDATE top_scores SET likes = likes - 1 WHERE image_id = %s AND window_hours = ANY(%s)"
                " AND %s >= now() - make_interval(hours => window_hours) AND likes > 1",
                (image_id, list(windows), removed[0]),
            )
    return await _like_count(conn, image_id)


async def _like_count(conn: psycopg.AsyncConnection, image_id: UUID) -> int:
    cursor = await conn.execute("SELECT like_count FROM images WHERE image_id = %s", (image_id,))
    row = await cursor.fetchone()
    return row[0] if row else 0


# ---------------------------------------------------------------- pins


async def count_pins(conn: psycopg.AsyncConnection, owner_id: str) -> int:
    cursor = await conn.execute("SELECT count(*) FROM pins WHERE owner_id = %s", (owner_id,))
    return (await one_row(cursor))[0]


async def add_pin(conn: psycopg.AsyncConnection, owner_id: str, image_id: UUID) -> None:
    await conn.execute(
        "INSERT INTO pins (owner_id, image_id) VALUES (%s, %s) ON CONFLICT DO NOTHING", (owner_id, image_id)
    )


async def remove_pin(conn: psycopg.AsyncConnection, owner_id: str, image_id: UUID) -> bool:
    cursor = await conn.execute("DELETE FROM pins WHERE owner_id = %s AND image_id = %s", (owner_id, image_id))
    return cursor.rowcount == 1


# ---------------------------------------------------------------- reports and moderation


@dataclass(frozen=True)
class ReporterStanding:
    """What a report's weight depends on: whose image it is, and since when the reporter makes images."""

    owner_id: str
    reporter_first_image_at: datetime | None


async def reporter_standing(conn: psycopg.AsyncConnection, image_id: UUID, reporter_id: str) -> ReporterStanding:
    cursor = await conn.execute(
        "SELECT (SELECT owner_id FROM images WHERE image_id = %s),"
        " (SELECT min(created_at) FROM images WHERE owner_id = %s AND known)",
        (image_id, reporter_id),
    )
    owner_id, first_image_at = await one_row(cursor)
    return ReporterStanding(owner_id or "", first_image_at)


async def add_report(
    conn: psycopg.AsyncConnection, image_id: UUID, reporter_id: str, reason: str, weight: float
) -> None:
    """One report per user per image: a second one is ignored (and keeps its first weight)."""
    await conn.execute(
        "INSERT INTO reports (image_id, reporter_id, reason, weight) VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
        (image_id, reporter_id, reason, weight),
    )


async def moderation_of(conn: psycopg.AsyncConnection, image_id: UUID) -> tuple[int, float, Decision | None]:
    """(all reports, the weight of the open reports, last decision) of an image."""
    cursor = await conn.execute(
        "SELECT count(*), coalesce(sum(weight) FILTER (WHERE resolved_at IS NULL), 0),"
        " (SELECT decision FROM moderation WHERE image_id = %s) FROM reports WHERE image_id = %s",
        (image_id, image_id),
    )
    total, open_weight, decision = await one_row(cursor)
    return total, float(open_weight), Decision(decision) if decision else None


async def resolve_reports(conn: psycopg.AsyncConnection, image_id: UUID, decision: Decision, actor: str) -> None:
    await conn.execute(
        "UPDATE reports SET resolved_at = now() WHERE image_id = %s AND resolved_at IS NULL", (image_id,)
    )
    await conn.execute(
        "INSERT INTO moderation (image_id, decision, actor) VALUES (%s, %s, %s) ON CONFLICT (image_id)"
        " DO UPDATE SET decision = excluded.decision, actor = excluded.actor, decided_at = now()",
        (image_id, decision.value, actor),
    )


async def set_hidden(conn: psycopg.AsyncConnection, image_id: UUID, hidden: bool) -> None:
    await conn.execute(
        "INSERT INTO images (image_id, hidden_by_reports) VALUES (%s, %s)"
        " ON CONFLICT (image_id) DO UPDATE SET hidden_by_reports = excluded.hidden_by_reports",
        (image_id, hidden),
    )


@dataclass(frozen=True)
class ReportRow:
    image_id: UUID
    first_reported_at: datetime
    report_count: int
    reasons: list[str]
    hidden: bool

    @property
    def key(self) -> tuple[datetime, UUID]:
        return (self.first_reported_at, self.image_id)


async def open_reports(
    conn: psycopg.AsyncConnection, after: tuple[datetime, UUID] | None, limit: int, max_reasons: int = 20
) -> list[ReportRow]:
    """The moderation queue: images with unresolved reports, oldest first report first."""
    text = (
        "SELECT r.image_id, min(r.created_at) AS first_reported_at, count(*) AS report_count,"
        " (array_agg(r.reason ORDER BY r.created_at DESC))[1:%(reasons)s] AS reasons,"
        " coalesce(bool_or(i.hidden_by_reports), false) AS hidden"
        " FROM reports r LEFT JOIN images i ON i.image_id = r.image_id"
        " WHERE r.resolved_at IS NULL GROUP BY r.image_id"
    )
    params: dict = {"reasons": max_reasons, "limit": limit}
    if after is not None:
        text += " HAVING (min(r.created_at), r.image_id) > (%(t)s, %(id)s)"
        params.update(t=after[0], id=after[1])
    text += " ORDER BY first_reported_at, r.image_id LIMIT %(limit)s"
    cursor = conn.cursor(row_factory=class_row(ReportRow))
    await cursor.execute(text, params)
    return await cursor.fetchall()
