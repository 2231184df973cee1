"""FeedService gRPC handlers: protobuf ↔ domain, domain errors → gRPC status.

Every image that leaves through any RPC was allowed by the visibility authority for that request's
viewer (P1); when the authority cannot answer, the RPC fails with UNAVAILABLE (P3). Images the
viewer may not see are NOT_FOUND, indistinguishable from images that do not exist.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import grpc
from google.protobuf import timestamp_pb2
from psycopg_pool import AsyncConnectionPool

from atelier.feed.v1 import feed_pb2 as pb
from atelier.feed.v1 import feed_pb2_grpc
from glue.grpc_errors import ErrorMapping
from glue.ids import parse_uuid
from services.feed import cursors, repository, social
from services.feed.cursors import Cursor, InvalidCursor
from services.feed.metrics import CANDIDATES_DENIED, LIST_SECONDS
from services.feed.paging import Page, RowT, authorized_page
from services.feed.repository import FeedRow
from services.feed.social import Decision, InvalidInput
from services.feed.visibility_client import AuthorityUnavailable, VisibilityClient

log = logging.getLogger(__name__)

NOT_FOUND_MESSAGE = "image not found"


class NotFound(Exception):
    pass


class Conflict(Exception):
    pass


ERRORS = ErrorMapping(
    {
        InvalidInput: grpc.StatusCode.INVALID_ARGUMENT,
        InvalidCursor: grpc.StatusCode.INVALID_ARGUMENT,
        NotFound: grpc.StatusCode.NOT_FOUND,
        Conflict: grpc.StatusCode.FAILED_PRECONDITION,
        AuthorityUnavailable: (
            grpc.StatusCode.UNAVAILABLE,
            "the visibility authority is unavailable; nothing can be shown, try again",
        ),
    },
    unavailable_message="the feed's database is unavailable; try again",
)


def _image_id(value: str) -> UUID:
    """A malformed id is an image that does not exist."""
    image_id = parse_uuid(value)
    if image_id is None:
        raise NotFound(NOT_FOUND_MESSAGE)
    return image_id


def _required(value: str, field: str) -> str:
    if not value:
        raise InvalidInput(f"{field}: is required")
    return value


def _timestamp(value: datetime) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(value)
    return stamp


def _item(row: FeedRow, liked: set[UUID]) -> pb.FeedItem:
    return pb.FeedItem(
        image_id=str(row.image_id),
        owner_id=row.owner_id,
        prompt=row.prompt,
        like_count=row.like_count,
        created_at=_timestamp(row.created_at),
        liked_by_viewer=row.image_id in liked,
        width=row.width,
        height=row.height,
    )


class FeedServicer(feed_pb2_grpc.FeedServiceServicer):
    def __init__(
        self,
        pool: AsyncConnectionPool,
        authority: VisibilityClient,
        *,
        reports: social.ReportPolicy,
        top_window_hours: int,
        cursor_secret: str,
        top_windows_hours: list[int] | None = None,
    ):
        self._pool = pool
        self._cursors = cursors.signer(cursor_secret)
        self._authority = authority
        self._reports = reports
        self._top_window_hours = top_window_hours
        self._precomputed = sorted(set(top_windows_hours or []))

    # ------------------------------------------------------------ helpers

    async def _may_see(self, viewer_id: str, image_id: UUID) -> None:
        if str(image_id) not in await self._authority.allowed(viewer_id, [str(image_id)]):
            raise NotFound(NOT_FOUND_MESSAGE)

    async def _liked(self, viewer_id: str, rows: list[FeedRow]) -> set[UUID]:
        if not viewer_id or not rows:
            return set()
        async with self._pool.connection() as conn:
            return await repository.liked_by(conn, viewer_id, [r.image_id for r in rows])

    def _reader(
        self, function: Callable[..., Awaitable[Sequence[RowT]]], *args: object
    ) -> Callable[[Any, int], Awaitable[Sequence[RowT]]]:
        """A fetch for authorized_page that holds a connection only while it reads."""

        async def fetch(after: Any, limit: int) -> Sequence[RowT]:
            async with self._pool.connection() as conn:
                return await function(conn, *args, after, limit)

        return fetch

    def _authorizer(self, viewer_id: str, listing: str):
        async def allowed(image_ids: list[str]) -> set[str]:
            granted = await self._authority.allowed(viewer_id, image_ids)
            if len(granted) < len(image_ids):
                CANDIDATES_DENIED.labels(listing).inc(len(image_ids) - len(granted))
            return granted

        return allowed

    # ------------------------------------------------------------ feed

    async def ListFeed(self, request: pb.ListFeedRequest, context) -> pb.ListFeedResponse:
        started = time.perf_counter()
        size = social.page_size(request.page_size)
        query = social.clean_query(request.query)
        viewer = request.viewer_id
        listing = ("top" if request.sort == pb.FEED_SORT_TOP else "new") + ("+search" if query else "")
        page: Page[FeedRow, tuple[Any, ...]]  # keyed by (created_at, id) when new, (likes, created_at, id) when top
        if request.sort in (pb.FEED_SORT_UNSPECIFIED, pb.FEED_SORT_NEW):
            after = None
            if request.cursor:
                cursor = cursors.decode(request.cursor, cursors.NEW, self._cursors)
                after = (cursor.created_at, cursor.image_id)
            page = await authorized_page(
                self._reader(lambda conn, a, n: repository.fetch_newest(conn, a, n, query)),
                lambda row: row.newest_key,
                self._authorizer(viewer, listing),
                after,
                size,
            )
            next_cursor = Cursor(cursors.NEW, *page.next_key).encode(self._cursors) if page.next_key else ""
        elif request.sort == pb.FEED_SORT_TOP:
            hours = social.window_hours(request.window_hours, self._top_window_hours)
            after_top: tuple[int, datetime, UUID] | None = None
            since = datetime.now(UTC) - timedelta(hours=hours)
            if request.cursor:
                cursor = cursors.decode(request.cursor, cursors.TOP, self._cursors)
                after_top = (cursor.likes, cursor.created_at, cursor.image_id)
                since = cursor.since or since
            if request.all_time:
                window = repository.all_time_window()
            elif hours in self._precomputed:
                window = repository.precomputed_window(hours)
            else:
                window = repository.live_window(since)

            def fetch(conn, a, n):
                return repository.fetch_top(conn, window, a, n, query)

            page = await authorized_page(
                self._reader(fetch), lambda row: row.top_key, self._authorizer(viewer, listing), after_top, size
            )
            next_cursor = ""
            if page.next_key:
                likes, created_at, image_id = page.next_key
                next_cursor = Cursor(cursors.TOP, created_at, image_id, likes=likes, since=since).encode(self._cursors)
        else:
            raise InvalidInput("sort: unknown sort order")
        liked = await self._liked(viewer, page.items)
        LIST_SECONDS.labels(listing).observe(time.perf_counter() - started)
        return pb.ListFeedResponse(items=[_item(row, liked) for row in page.items], next_cursor=next_cursor)

    async def GetProfile(self, request: pb.GetProfileRequest, context) -> pb.GetProfileResponse:
        owner = _required(request.owner_id, "owner_id")
        size = social.page_size(request.page_size)
        viewer = request.viewer_id
        pinned: list[FeedRow] = []
        after = None
        if request.cursor:
            cursor = cursors.decode(request.cursor, cursors.PROFILE, self._cursors)
            after = (cursor.created_at, cursor.image_id)
        else:
            async with self._pool.connection() as conn:
                candidates = await repository.pinned_of(conn, owner, social.MAX_PINS, listed_only=viewer != owner)
            if candidates:
                allowed = await self._authority.allowed(viewer, [str(r.image_id) for r in candidates])
                pinned = [r for r in candidates if str(r.image_id) in allowed]
        page = await authorized_page(
            self._reader(repository.fetch_owner, owner),
            lambda row: row.newest_key,
            self._authorizer(viewer, "profile"),
            after,
            size,
        )
        liked = await self._liked(viewer, pinned + page.items)
        return pb.GetProfileResponse(
            pinned=[_item(r, liked) for r in pinned],
            images=[_item(r, liked) for r in page.items],
            next_cursor=Cursor(cursors.PROFILE, *page.next_key).encode(self._cursors) if page.next_key else "",
        )

    async def BatchGetSocial(self, request: pb.BatchGetSocialRequest, context) -> pb.BatchGetSocialResponse:
        if len(request.image_ids) > social.MAX_BATCH:
            raise InvalidInput(f"image_ids: at most {social.MAX_BATCH} per call")
        wanted: dict[str, UUID] = {}
        for value in request.image_ids:
            image_id = parse_uuid(value)
            if image_id is not None:  # an id that cannot exist is simply not found
                wanted.setdefault(str(image_id), image_id)
        allowed = await self._authority.allowed(request.viewer_id, list(wanted)) if wanted else set()
        ids = [image_id for key, image_id in wanted.items() if key in allowed]
        if not ids:
            return pb.BatchGetSocialResponse()
        async with self._pool.connection() as conn:
            found = await repository.social_of(conn, request.viewer_id, ids)
        return pb.BatchGetSocialResponse(
            images=[
                pb.ImageSocial(
                    image_id=str(i),
                    like_count=found[i].like_count,
                    liked_by_viewer=found[i].liked_by_viewer,
                    pinned=found[i].pinned,
                )
                for i in ids
            ]
        )

    # ------------------------------------------------------------ likes

    async def Like(self, request: pb.LikeRequest, context) -> pb.LikeResponse:
        user = _required(request.user_id, "user_id")
        image_id = _image_id(request.image_id)
        await self._may_see(user, image_id)
        async with self._pool.connection() as conn, conn.transaction():
            count = await repository.add_like(conn, image_id, user, self._precomputed)
        return pb.LikeResponse(like_count=count)

    async def Unlike(self, request: pb.UnlikeRequest, context) -> pb.UnlikeResponse:
        user = _required(request.user_id, "user_id")
        image_id = _image_id(request.image_id)
        await self._may_see(user, image_id)
        async with self._pool.connection() as conn, conn.transaction():
            count = await repository.remove_like(conn, image_id, user, self._precomputed)
        return pb.UnlikeResponse(like_count=count)

    # ------------------------------------------------------------ pins

    async def _own(self, user: str, image_id: UUID) -> None:
        """The user owns the image by the read model and may see it by the authority."""
        async with self._pool.connection() as conn:
            row = await repository.get_image(conn, image_id)
        if row is None or not row.known or row.deleted or row.owner_id != user:
            raise NotFound(NOT_FOUND_MESSAGE)
        await self._may_see(user, image_id)

    async def Pin(self, request: pb.PinRequest, context) -> pb.PinResponse:
        user = _required(request.user_id, "user_id")
        image_id = _image_id(request.image_id)
        await self._own(user, image_id)
        async with self._pool.connection() as conn, conn.transaction():
            if await repository.count_pins(conn, user) >= social.MAX_PINS:
                raise Conflict(f"at most {social.MAX_PINS} images can be pinned; unpin one first")
            await repository.add_pin(conn, user, image_id)
        return pb.PinResponse()

    async def Unpin(self, request: pb.UnpinRequest, context) -> pb.UnpinResponse:
        user = _required(request.user_id, "user_id")
        image_id = _image_id(request.image_id)
        async with self._pool.connection() as conn:
            removed = await repository.remove_pin(conn, user, image_id)
        if not removed:
            # Nothing was pinned: answer as Pin would, so unpinning says nothing about others' images.
            await self._own(user, image_id)
        return pb.UnpinResponse()

    # ------------------------------------------------------------ reports

    async def Report(self, request: pb.ReportRequest, context) -> pb.ReportResponse:
        user = _required(request.user_id, "user_id")
        reason = social.clean_reason(request.reason)
        image_id = _image_id(request.image_id)
        await self._may_see(user, image_id)
        async with self._pool.connection() as conn, conn.transaction():
            standing = await repository.reporter_standing(conn, image_id, user)
            weight = social.report_weight(
                user,
                standing.owner_id,
                standing.reporter_first_image_at,
                datetime.now(UTC),
                established_after=self._reports.established_after,
                new_reporter_weight=self._reports.new_reporter_weight,
            )
            await repository.add_report(conn, image_id, user, reason, weight)
            _, open_weight, decision = await repository.moderation_of(conn, image_id)
            hidden = social.hidden_by_reports(open_weight, self._reports.threshold, decision)
            if hidden:
                await repository.set_hidden(conn, image_id, True)
        if hidden:
            log.info("image hidden pending review", extra={"image_id": str(image_id), "report_weight": open_weight})
        return pb.ReportResponse(hidden=hidden)

    async def ListReports(self, request: pb.ListReportsRequest, context) -> pb.ListReportsResponse:
        size = social.page_size(request.page_size)
        after = None
        if request.cursor:
            cursor = cursors.decode(request.cursor, cursors.REPORTS, self._cursors)
            after = (cursor.created_at, cursor.image_id)
        # The queue shows what the public could see (hidden images are still public by the
        # authority); an image made private or deleted since has nothing left to moderate.
        page = await authorized_page(
            self._reader(repository.open_reports), lambda row: row.key, self._authorizer("", "reports"), after, size
        )
        return pb.ListReportsResponse(
            reports=[
                pb.ReportEntry(
                    image_id=str(r.image_id), report_count=r.report_count, reasons=r.reasons, hidden=r.hidden
                )
                for r in page.items
            ],
            next_cursor=Cursor(cursors.REPORTS, *page.next_key).encode(self._cursors) if page.next_key else "",
        )

    async def ResolveReport(self, request: pb.ResolveReportRequest, context) -> pb.ResolveReportResponse:
        actor = _required(request.actor, "actor")
        image_id = _image_id(request.image_id)
        decision = Decision.RESTORED if request.restore else Decision.KEPT_HIDDEN
        async with self._pool.connection() as conn, conn.transaction():
            total, _, _ = await repository.moderation_of(conn, image_id)
            if total == 0:
                raise NotFound("no reports for this image")
            await repository.resolve_reports(conn, image_id, decision, actor)
            await repository.set_hidden(conn, image_id, social.hidden_by_reports(0, self._reports.threshold, decision))
        log.info("reports resolved", extra={"image_id": str(image_id), "decision": decision.value, "actor": actor})
        return pb.ResolveReportResponse()
