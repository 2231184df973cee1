"""gRPC wiring of the feed service; health, reflection and graceful shutdown come from glue."""

import grpc

from atelier.feed.v1 import feed_pb2, feed_pb2_grpc
from glue.grpc_server import serve
from services.feed.handlers import FeedServicer
from services.feed.settings import FeedSettings

SERVICE_NAME = feed_pb2.DESCRIPTOR.services_by_name["FeedService"].full_name


def register(server: grpc.aio.Server) -> None:
    feed_pb2_grpc.add_FeedServiceServicer_to_server(FeedServicer(), server)


async def run(settings: FeedSettings) -> None:
    await serve(settings.grpc_listen, register, [SERVICE_NAME], metrics_port=settings.metrics_port,
                metrics_host=settings.metrics_host)
