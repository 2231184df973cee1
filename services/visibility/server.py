"""gRPC wiring of the visibility service; health, reflection and graceful shutdown come from glue."""

import grpc

from atelier.visibility.v1 import visibility_pb2, visibility_pb2_grpc
from glue.grpc_server import serve
from services.visibility.handlers import VisibilityServicer
from services.visibility.settings import VisibilitySettings

SERVICE_NAME = visibility_pb2.DESCRIPTOR.services_by_name["VisibilityService"].full_name


def register(server: grpc.aio.Server) -> None:
    visibility_pb2_grpc.add_VisibilityServiceServicer_to_server(VisibilityServicer(), server)


async def run(settings: VisibilitySettings) -> None:
    await serve(settings.grpc_listen, register, [SERVICE_NAME], metrics_port=settings.metrics_port,
                metrics_host=settings.metrics_host)
