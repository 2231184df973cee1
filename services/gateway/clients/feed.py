"""The gateway's client of FeedService: the public feed, profiles, likes, pins and reports, each call
with a deadline and each gRPC failure turned into the problem a web user should see.

The feed checks every item it returns against the visibility authority for the viewer (P1) and
answers NOT_FOUND for an image the user may not see (or, for pins, does not own): that becomes the
gateway's one "Image not found." 404, exactly as on every other image endpoint. The feed
unreachable answers 503 on feed pages and social actions only; image reads, generation and
accounts keep working (the feed is not part of /readyz for that reason).
"""

from __future__ import annotations

import grpc
from grpc_health.v1 import health_pb2_grpc

from atelier.feed.v1 import feed_pb2, feed_pb2_grpc
from services.gateway.clients import rpc
from services.gateway.clients.visibility import IMAGE_NOT_FOUND

SERVICE_NAME = feed_pb2.DESCRIPTOR.services_by_name["FeedService"].full_name
SORTS = {"new": feed_pb2.FEED_SORT_NEW, "top": feed_pb2.FEED_SORT_TOP}
# Top windows the feed keeps precomputed (its ATELIER_TOP_WINDOWS_HOURS default); "all" counts every like.
TOP_WINDOW_HOURS = {"day": 24, "week": 168}


class FeedClient:
    def __init__(self, channel: grpc.aio.Channel, timeout_s: float, user_tokens: rpc.UserTokens | None = None):
        self._stub = feed_pb2_grpc.FeedServiceStub(channel)
        self._health = health_pb2_grpc.HealthStub(channel)
        self._call = rpc.UserCalls("feed", IMAGE_NOT_FOUND, timeout_s, user_tokens)

    async def list_feed(
        self, viewer_id: str, sort: str, query: str, page_size: int, cursor: str, window: str = "week"
    ) -> feed_pb2.ListFeedResponse:
        """`window` (top only): "day", "week" or "all" (every like ever)."""
        return await self._call(
            self._stub.ListFeed,
            feed_pb2.ListFeedRequest(
                viewer_id=viewer_id,
                sort=SORTS[sort],
                query=query,
                page_size=page_size,
                cursor=cursor,
                window_hours=TOP_WINDOW_HOURS.get(window, 0),
                all_time=window == "all",
            ),
            viewer_id,
        )

    async def profile(self, owner_id: str, viewer_id: str, page_size: int, cursor: str) -> feed_pb2.GetProfileResponse:
        return await self._call(
            self._stub.GetProfile,
            feed_pb2.GetProfileRequest(owner_id=owner_id, viewer_id=viewer_id, page_size=page_size, cursor=cursor),
            viewer_id,
        )

    async def social(self, viewer_id: str, image_ids: list[str]) -> dict[str, feed_pb2.ImageSocial]:
        """Like counts (and the viewer's like, pins) of the images the viewer may see; others absent."""
        if not image_ids:
            return {}
        reply = await self._call(
            self._stub.BatchGetSocial,
            feed_pb2.BatchGetSocialRequest(viewer_id=viewer_id, image_ids=image_ids),
            viewer_id,
        )
        return {item.image_id: item for item in reply.images if item.image_id in image_ids}

    async def like(self, user_id: str, image_id: str) -> int:
        reply = await self._call(self._stub.Like, feed_pb2.LikeRequest(user_id=user_id, image_id=image_id), user_id)
        return reply.like_count

    async def unlike(self, user_id: str, image_id: str) -> int:
        reply = await self._call(self._stub.Unlike, feed_pb2.UnlikeRequest(user_id=user_id, image_id=image_id), user_id)
        return reply.like_count

    async def pin(self, user_id: str, image_id: str) -> None:
        await self._call(self._stub.Pin, feed_pb2.PinRequest(user_id=user_id, image_id=image_id), user_id)

    async def unpin(self, user_id: str, image_id: str) -> None:
        await self._call(self._stub.Unpin, feed_pb2.UnpinRequest(user_id=user_id, image_id=image_id), user_id)

    async def report(self, user_id: str, image_id: str, reason: str) -> None:
        # Whether the image is now hidden stays with the feed and its operators: the reporter is
        # not told how many others reported it.
        await self._call(
            self._stub.Report, feed_pb2.ReportRequest(user_id=user_id, image_id=image_id, reason=reason), user_id
        )

    async def check_serving(self) -> None:
        await rpc.check_serving(self._health, SERVICE_NAME)
