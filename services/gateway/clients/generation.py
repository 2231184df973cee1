"""The gateway's client of GenerationService: each call with a deadline, each gRPC failure turned into
the problem a web user should see (problems.problem_from_rpc_error: the one mapping of every client).
"""

from __future__ import annotations

import builtins

import grpc
from grpc_health.v1 import health_pb2_grpc

from atelier.generation.v1 import generation_pb2, generation_pb2_grpc
from services.gateway.clients import rpc
from services.gateway.clients.visibility import VISIBILITY_BY_NAME
from services.gateway.problems import problem_from_rpc_error, rpc_reason

SERVICE_NAME = generation_pb2.DESCRIPTOR.services_by_name["GenerationService"].full_name
# The generation service's visibility refusals (PERMISSION_DENIED, with an `atelier-reason`); the
# gateway words them.
PRIVATE_NOT_ENTITLED = "private_not_entitled"
REMEMBERED_PRIVATE_NOT_ENTITLED = "remembered_private_not_entitled"


class PrivateRefused(Exception):
    """The generation service refused a private generation: the plan in force lacks
    private_generation. `remembered`: the owner asked nothing and their last choice was private."""

    def __init__(self, remembered: bool):
        super().__init__("private generation refused")
        self.remembered = remembered


class GenerationClient:
    def __init__(self, channel: grpc.aio.Channel, timeout_s: float, user_tokens: rpc.UserTokens | None = None):
        self._stub = generation_pb2_grpc.GenerationServiceStub(channel)
        self._tokens = user_tokens or rpc.UserTokens(None)
        self._health = health_pb2_grpc.HealthStub(channel)
        self._timeout_s = timeout_s

    async def submit(self, request: generation_pb2.SubmitRequest) -> generation_pb2.SubmitResponse:
        """Raises PrivateRefused when the service refuses the visibility, else a Problem."""
        try:
            return await self._stub.Submit(
                request, timeout=self._timeout_s, metadata=self._tokens.metadata(request.owner_id)
            )
        except grpc.aio.AioRpcError as error:
            if error.code() == grpc.StatusCode.PERMISSION_DENIED and (reason := rpc_reason(error)) in (
                PRIVATE_NOT_ENTITLED,
                REMEMBERED_PRIVATE_NOT_ENTITLED,
            ):
                raise PrivateRefused(remembered=reason == REMEMBERED_PRIVATE_NOT_ENTITLED) from error
            raise problem_from_rpc_error(error, not_found="Source image not found.") from error

    async def last_visibility(self, owner_id: str) -> str | None:
        """The visibility a generation gets when none is asked for: the owner's last choice."""
        request = generation_pb2.GetLastVisibilityRequest(owner_id=owner_id)
        try:
            response = await self._stub.GetLastVisibility(
                request, timeout=self._timeout_s, metadata=self._tokens.metadata(owner_id)
            )
        except grpc.aio.AioRpcError as error:
            raise problem_from_rpc_error(error, not_found="Not found.") from error
        # UNSPECIFIED: no choice yet.
        return next((name for name, value in VISIBILITY_BY_NAME.items() if value == response.visibility), None)

    async def get(self, generation_id: str, viewer_id: str) -> generation_pb2.Generation:
        """The generation as its owner sees it; 404 for anyone else."""
        request = generation_pb2.GetGenerationRequest(generation_id=generation_id, viewer_id=viewer_id)
        try:
            response = await self._stub.GetGeneration(
                request, timeout=self._timeout_s, metadata=self._tokens.metadata(viewer_id)
            )
        except grpc.aio.AioRpcError as error:
            raise problem_from_rpc_error(error, not_found="Generation not found.") from error
        return response.generation

    async def list(self, owner_id: str, page_size: int, cursor: str) -> generation_pb2.ListGenerationsResponse:
        request = generation_pb2.ListGenerationsRequest(owner_id=owner_id, page_size=page_size, cursor=cursor)
        try:
            return await self._stub.ListGenerations(
                request, timeout=self._timeout_s, metadata=self._tokens.metadata(owner_id)
            )
        except grpc.aio.AioRpcError as error:
            raise problem_from_rpc_error(error, not_found="Not found.") from error

    async def delete(
        self, generation_id: str, actor_id: str, undoable: bool = False
    ) -> generation_pb2.DeleteGenerationResponse:
        """Deletes the actor's generation set (`undoable`: hidden at once, removed after the
        service's undo window unless restored). 404 for anyone but the owner, 409 while it is still
        running."""
        request = generation_pb2.DeleteGenerationRequest(
            generation_id=generation_id, actor_id=actor_id, undoable=undoable
        )
        try:
            return await self._stub.DeleteGeneration(
                request, timeout=self._timeout_s, metadata=self._tokens.metadata(actor_id)
            )
        except grpc.aio.AioRpcError as error:
            raise problem_from_rpc_error(error, not_found="Generation not found.") from error

    async def restore(self, generation_id: str, actor_id: str) -> builtins.list[str]:
        """Undoes an undoable deletion within its window; the restored image ids. 404 otherwise."""
        request = generation_pb2.RestoreGenerationRequest(generation_id=generation_id, actor_id=actor_id)
        try:
            response = await self._stub.RestoreGeneration(
                request, timeout=self._timeout_s, metadata=self._tokens.metadata(actor_id)
            )
        except grpc.aio.AioRpcError as error:
            raise problem_from_rpc_error(error, not_found="Generation not found.") from error
        return builtins.list(response.restored_image_ids)

    async def image(self, image_id: str, viewer_id: str) -> generation_pb2.Image | None:
        """One image by id if viewer_id ("" for anonymous) may see it now: the service answers the
        owner's images and public ones only. The caller still authorises (P1)."""
        request = generation_pb2.BatchGetImagesRequest(image_ids=[image_id], viewer_id=viewer_id)
        try:
            response = await self._stub.BatchGetImages(
                request, timeout=self._timeout_s, metadata=self._tokens.metadata(viewer_id)
            )
        except grpc.aio.AioRpcError as error:
            raise problem_from_rpc_error(error, not_found="Image not found.") from error
        return next((image for image in response.images if image.image_id == image_id), None)

    async def images(self, image_ids: builtins.list[str], viewer_id: str) -> builtins.list[generation_pb2.Image]:
        """The images among image_ids that viewer_id ("" for anonymous) may see now (own and public
        ones); the others are left out. The caller still authorises (P1)."""
        if not image_ids:
            return []
        request = generation_pb2.BatchGetImagesRequest(image_ids=image_ids, viewer_id=viewer_id)
        try:
            response = await self._stub.BatchGetImages(
                request, timeout=self._timeout_s, metadata=self._tokens.metadata(viewer_id)
            )
        except grpc.aio.AioRpcError as error:
            raise problem_from_rpc_error(error, not_found="Image not found.") from error
        return builtins.list(response.images)

    async def check_serving(self) -> None:
        await rpc.check_serving(self._health, SERVICE_NAME)
