"""BillingService handlers. Not built yet: every RPC answers UNIMPLEMENTED."""

import grpc

from atelier.billing.v1 import billing_pb2 as pb
from atelier.billing.v1 import billing_pb2_grpc


class BillingServicer(billing_pb2_grpc.BillingServiceServicer):
    async def GetAccount(
        self, request: pb.GetAccountRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetAccountResponse:
        await context.abort(grpc.StatusCode.UNIMPLEMENTED, "billing: GetAccount is not implemented yet")
