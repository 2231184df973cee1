"""An in-process FeedService for the gateway's unit tests, with the real service's contract rules:
items are the generation fake's images that the visibility fake allows the viewer to see (public, or
own), newest first, prompt search by words; likes for images the user may see; pins for own images;
reports hide an image from the feed at a threshold; NOT_FOUND for what the user may not see.

`leak` makes it misbehave on purpose (an image returned whatever the authority says), to show that
the gateway checks every page again."""

from __future__ import annotations

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from atelier.feed.v1 import feed_pb2, feed_pb2_grpc
from tests.integration.gateway.fakes import PUBLIC, FakeGenerationService, FakeVisibilityService


class FakeFeedService(feed_pb2_grpc.FeedServiceServicer):
    def __init__(
        self, generation: FakeGenerationService, visibility: FakeVisibilityService, report_threshold: int = 2
    ) -> None:
        self.generation = generation
        self.visibility = visibility
        self.report_threshold = report_threshold
        self.likes: dict[str, set[str]] = {}
        self.pins: dict[str, list[str]] = {}  # owner id -> image ids, most recent first
        self.reports: dict[str, dict[str, str]] = {}  # image id -> reporter -> reason
        self.hidden: set[str] = set()
        self.leak: set[str] = set()
        self.available = True
        self.list_calls: list[feed_pb2.ListFeedRequest] = []

    async def _check(self, context) -> None:
        if not self.available:
            await context.abort(grpc.StatusCode.UNAVAILABLE, "feed is down")

    def _may_see(self, viewer_id: str, image_id: str) -> bool:
        row = self.visibility.rows.get(image_id)
        if row is None or row.deleted:
            return False
        return row.visibility == PUBLIC or (bool(viewer_id) and row.owner_id == viewer_id)

    def _listed(self, image_id: str) -> bool:
        row = self.visibility.rows.get(image_id)
        return (
            row is not None and not row.deleted and row.visibility == PUBLIC and image_id not in self.hidden
        ) or image_id in self.leak

    def _item(self, image_id: str, viewer_id: str) -> feed_pb2.FeedItem:
        image = self.generation.images[image_id]
        created = Timestamp()
        created.CopyFrom(image.created_at)
        likes = self.likes.get(image_id, set())
        return feed_pb2.FeedItem(
            image_id=image_id,
            owner_id=image.owner_id,
            prompt=image.prompt,
            like_count=len(likes),
            created_at=created,
            liked_by_viewer=viewer_id in likes,
            width=image.width,
            height=image.height,
        )

    def _newest(self) -> list[str]:
        """Image ids, newest first (generation order, then index)."""
        ids: list[str] = []
        for generation_id in reversed(self.generation.order):
            generation = self.generation.generations[generation_id]
            ids += [image.image_id for image in sorted(generation.images, key=lambda i: i.index)]
        return ids

    def _page(self, ids: list[str], viewer_id: str, size: int, cursor: str) -> tuple[list[str], str]:
        start = int(cursor) if cursor else 0
        if cursor and not cursor.isdigit():
            raise ValueError
        shown = ids[start : start + size]
        return shown, str(start + size) if start + size < len(ids) else ""

    async def ListFeed(self, request, context):
        await self._check(context)
        self.list_calls.append(request)
        if request.cursor and not request.cursor.isdigit():
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "cursor: not a cursor this service issued")
        words = request.query.lower().split()
        ids = [
            i
            for i in self._newest()
            if self._listed(i)
            and (i in self.leak or self._may_see(request.viewer_id, i))
            and all(word in self.generation.images[i].prompt.lower() for word in words)
        ]
        if request.sort == feed_pb2.FEED_SORT_TOP:
            ids.sort(key=lambda i: -len(self.likes.get(i, set())))
        page, next_cursor = self._page(ids, request.viewer_id, request.page_size or 20, request.cursor)
        return feed_pb2.ListFeedResponse(
            items=[self._item(i, request.viewer_id) for i in page], next_cursor=next_cursor
        )

    async def GetProfile(self, request, context):
        await self._check(context)
        owner, viewer = request.owner_id, request.viewer_id
        pinned: list[feed_pb2.FeedItem] = []
        if not request.cursor:
            pinned = [
                self._item(i, viewer)
                for i in self.pins.get(owner, [])
                if i in self.leak
                or (self._may_see(viewer, i) and i not in self.hidden and (viewer == owner or self._listed(i)))
            ]
        ids = [
            i
            for i in self._newest()
            if self.generation.images[i].owner_id == owner
            and self._listed(i)
            and (i in self.leak or self._may_see(viewer, i))
        ]
        page, next_cursor = self._page(ids, viewer, request.page_size or 20, request.cursor)
        return feed_pb2.GetProfileResponse(
            pinned=pinned, images=[self._item(i, viewer) for i in page], next_cursor=next_cursor
        )

    async def BatchGetSocial(self, request, context):
        await self._check(context)
        return feed_pb2.BatchGetSocialResponse(
            images=[
                feed_pb2.ImageSocial(
                    image_id=i,
                    like_count=len(self.likes.get(i, set())),
                    liked_by_viewer=request.viewer_id in self.likes.get(i, set()),
                    pinned=any(i in pins for pins in self.pins.values()),
                )
                for i in request.image_ids
                if self._may_see(request.viewer_id, i)
            ]
        )

    async def _visible_or_abort(self, user_id: str, image_id: str, context) -> None:
        if not self._may_see(user_id, image_id):
            await context.abort(grpc.StatusCode.NOT_FOUND, "image not found")

    async def Like(self, request, context):
        await self._check(context)
        await self._visible_or_abort(request.user_id, request.image_id, context)
        self.likes.setdefault(request.image_id, set()).add(request.user_id)
        return feed_pb2.LikeResponse(like_count=len(self.likes[request.image_id]))

    async def Unlike(self, request, context):
        await self._check(context)
        await self._visible_or_abort(request.user_id, request.image_id, context)
        self.likes.setdefault(request.image_id, set()).discard(request.user_id)
        return feed_pb2.UnlikeResponse(like_count=len(self.likes[request.image_id]))

    async def _own_or_abort(self, user_id: str, image_id: str, context) -> None:
        row = self.visibility.rows.get(image_id)
        if row is None or row.deleted or row.owner_id != user_id:
            await context.abort(grpc.StatusCode.NOT_FOUND, "image not found")

    async def Pin(self, request, context):
        await self._check(context)
        await self._own_or_abort(request.user_id, request.image_id, context)
        pins = self.pins.setdefault(request.user_id, [])
        if request.image_id not in pins:
            pins.insert(0, request.image_id)
        return feed_pb2.PinResponse()

    async def Unpin(self, request, context):
        await self._check(context)
        pins = self.pins.get(request.user_id, [])
        if request.image_id in pins:
            pins.remove(request.image_id)
        else:
            await self._own_or_abort(request.user_id, request.image_id, context)
        return feed_pb2.UnpinResponse()

    async def Report(self, request, context):
        await self._check(context)
        reason = request.reason.strip()
        if not 1 <= len(reason) <= 500:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "reason: must be 1 to 500 characters")
        await self._visible_or_abort(request.user_id, request.image_id, context)
        reports = self.reports.setdefault(request.image_id, {})
        reports.setdefault(request.user_id, reason)
        if len(reports) >= self.report_threshold:
            self.hidden.add(request.image_id)
        return feed_pb2.ReportResponse(hidden=request.image_id in self.hidden)
