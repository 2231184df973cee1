"""FeedService handlers. Not built yet: every RPC answers UNIMPLEMENTED."""

import grpc

from atelier.feed.v1 import feed_pb2 as pb
from atelier.feed.v1 import feed_pb2_grpc


class FeedServicer(feed_pb2_grpc.FeedServiceServicer):
    async def ListFeed(
        self, request: pb.ListFeedRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListFeedResponse:
        await context.abort(grpc.StatusCode.UNIMPLEMENTED, "feed: ListFeed is not implemented yet")
