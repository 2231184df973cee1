"""The gateway's client of GenerationService: each call with a deadline, each gRPC failure turned into
the problem a web user should see (problems.problem_from_rpc_error)."""

from __future__ import annotations

import grpc
from grpc_health.v1 import health_pb2_grpc

from atelier.generation.v1 import generation_pb2, generation_pb2_grpc
from services.gateway.clients import rpc

SERVICE_NAME = generation_pb2.DESCRIPTOR.services_by_name["GenerationService"].full_name
SERVICE = "generation"


class GenerationClient:
    def __init__(self, channel: grpc.aio.Channel, timeout_s: float):
        self._stub = generation_pb2_grpc.GenerationServiceStub(channel)
        self._health = health_pb2_grpc.HealthStub(channel)
        self._timeout_s = timeout_s

    async def submit(self, request: generation_pb2.SubmitRequest) -> generation_pb2.SubmitResponse:
        return await rpc.call(
            self._stub.Submit, request, timeout_s=self._timeout_s, not_found="Source image not found.", service=SERVICE
        )

    async def get(self, generation_id: str, viewer_id: str) -> generation_pb2.Generation:
        """The generation as its owner sees it; 404 for anyone else."""
        request = generation_pb2.GetGenerationRequest(generation_id=generation_id, viewer_id=viewer_id)
        response = await rpc.call(
            self._stub.GetGeneration,
            request,
            timeout_s=self._timeout_s,
            not_found="Generation not found.",
            service=SERVICE,
        )
        return response.generation

    async def list(self, owner_id: str, page_size: int, cursor: str) -> generation_pb2.ListGenerationsResponse:
        request = generation_pb2.ListGenerationsRequest(owner_id=owner_id, page_size=page_size, cursor=cursor)
        return await rpc.call(
            self._stub.ListGenerations, request, timeout_s=self._timeout_s, not_found="Not found.", service=SERVICE
        )

    async def delete(self, generation_id: str, actor_id: str) -> list[str]:
        """Deletes the actor's generation set; the deleted image ids. 404 for anyone but the owner,
        409 while it is still running."""
        request = generation_pb2.DeleteGenerationRequest(generation_id=generation_id, actor_id=actor_id)
        response = await rpc.call(
            self._stub.DeleteGeneration,
            request,
            timeout_s=self._timeout_s,
            not_found="Generation not found.",
            service=SERVICE,
        )
        return list(response.deleted_image_ids)

    async def image(self, image_id: str) -> generation_pb2.Image | None:
        """One image by id, not yet authorised: the caller decides who may see it."""
        request = generation_pb2.BatchGetImagesRequest(image_ids=[image_id])
        response = await rpc.call(
            self._stub.BatchGetImages, request, timeout_s=self._timeout_s, not_found="Image not found.", service=SERVICE
        )
        return next((image for image in response.images if image.image_id == image_id), None)

    async def check_serving(self) -> None:
        await rpc.check_serving(self._health, SERVICE_NAME)
