"""VisibilityService handlers. Not built yet: every RPC answers UNIMPLEMENTED, which callers
that fail closed (P3) take as a denial."""

import grpc

from atelier.visibility.v1 import visibility_pb2 as pb
from atelier.visibility.v1 import visibility_pb2_grpc


class VisibilityServicer(visibility_pb2_grpc.VisibilityServiceServicer):
    async def SetVisibility(
        self, request: pb.SetVisibilityRequest, context: grpc.aio.ServicerContext
    ) -> pb.SetVisibilityResponse:
        await context.abort(grpc.StatusCode.UNIMPLEMENTED, "visibility: SetVisibility is not implemented yet")

    async def BatchSetVisibility(
        self, request: pb.BatchSetVisibilityRequest, context: grpc.aio.ServicerContext
    ) -> pb.BatchSetVisibilityResponse:
        await context.abort(grpc.StatusCode.UNIMPLEMENTED, "visibility: BatchSetVisibility is not implemented yet")

    async def Authorize(
        self, request: pb.AuthorizeRequest, context: grpc.aio.ServicerContext
    ) -> pb.AuthorizeResponse:
        await context.abort(grpc.StatusCode.UNIMPLEMENTED, "visibility: Authorize is not implemented yet")
