"""gRPC wiring of the billing service; health, reflection and graceful shutdown come from glue."""

import grpc

from atelier.billing.v1 import billing_pb2, billing_pb2_grpc
from glue.grpc_server import serve
from services.billing.handlers import BillingServicer
from services.billing.settings import BillingSettings

SERVICE_NAME = billing_pb2.DESCRIPTOR.services_by_name["BillingService"].full_name


def register(server: grpc.aio.Server) -> None:
    billing_pb2_grpc.add_BillingServiceServicer_to_server(BillingServicer(), server)


async def run(settings: BillingSettings) -> None:
    await serve(settings.grpc_listen, register, [SERVICE_NAME], metrics_port=settings.metrics_port,
                metrics_host=settings.metrics_host)
