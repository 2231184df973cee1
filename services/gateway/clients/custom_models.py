"""The gateway's client of CustomModelService (the generation service): the signed-in user's
custom models and their teams', each call with a deadline and the user's token. A model the user
may not use is the same 404 as a missing one; a plan without custom models is ModelsRefused (the
route words it)."""

from __future__ import annotations

import grpc

from atelier.generation.v1 import custom_models_pb2 as pb
from atelier.generation.v1 import custom_models_pb2_grpc
from services.gateway.clients import rpc
from services.gateway.clients.generation import ACTION_NOT_ENTITLED
from services.gateway.clients.teams import TEAM_NOT_FOUND
from services.gateway.problems import problem_from_rpc_error, rpc_reason

MODEL_NOT_FOUND = "Custom model not found."
# The `atelier-reason` of a team the user is not a current member of (teams routes' own words).
TEAM_NOT_FOUND_REASON = "team_not_found"
# A picked creation that is not the caller's reads as a missing one.
TRAINING_IMAGE_NOT_FOUND = "Image not found."


class ModelsRefused(Exception):
    """The plan in force does not include custom models (nothing stored, nothing charged)."""


class CustomModelsClient:
    def __init__(self, channel: grpc.aio.Channel, timeout_s: float, user_tokens: rpc.UserTokens | None = None):
        self._stub = custom_models_pb2_grpc.CustomModelServiceStub(channel)
        self._tokens = user_tokens or rpc.UserTokens(None)
        self._timeout_s = timeout_s
        self._call = rpc.UserCalls("generation", MODEL_NOT_FOUND, timeout_s, user_tokens)

    async def create(self, request: pb.CreateCustomModelRequest) -> pb.CreateCustomModelResponse:
        # Uploads take longer to send than a plain call.
        try:
            return await self._stub.CreateCustomModel(
                request, timeout=self._timeout_s * 4, metadata=self._tokens.metadata(request.owner_id)
            )
        except grpc.aio.AioRpcError as error:
            if error.code() == grpc.StatusCode.PERMISSION_DENIED and rpc_reason(error) == ACTION_NOT_ENTITLED:
                raise ModelsRefused(error.details()) from error
            raise _problem(error, TRAINING_IMAGE_NOT_FOUND) from error

    async def list(self, owner_id: str) -> list[pb.CustomModel]:
        reply = await self._call(self._stub.ListCustomModels, pb.ListCustomModelsRequest(owner_id=owner_id), owner_id)
        return [*reply.models]

    async def get(self, model_id: str, viewer_id: str) -> pb.CustomModel:
        request = pb.GetCustomModelRequest(model_id=model_id, viewer_id=viewer_id)
        reply = await self._call(self._stub.GetCustomModel, request, viewer_id)
        return reply.model

    async def delete(self, model_id: str, actor_id: str) -> None:
        request = pb.DeleteCustomModelRequest(model_id=model_id, actor_id=actor_id)
        await self._call(self._stub.DeleteCustomModel, request, actor_id)

    async def share(self, model_id: str, actor_id: str, team_id: str) -> pb.CustomModel:
        request = pb.ShareCustomModelRequest(model_id=model_id, actor_id=actor_id, team_id=team_id)
        try:
            reply = await self._stub.ShareCustomModel(
                request, timeout=self._timeout_s, metadata=self._tokens.metadata(actor_id)
            )
        except grpc.aio.AioRpcError as error:
            raise _problem(error, MODEL_NOT_FOUND) from error
        return reply.model

    async def training_image(self, model_id: str, index: int, viewer_id: str) -> pb.GetTrainingImageResponse:
        request = pb.GetTrainingImageRequest(model_id=model_id, index=index, viewer_id=viewer_id)
        return await self._call(self._stub.GetTrainingImage, request, viewer_id)


def _problem(error: grpc.aio.AioRpcError, not_found: str) -> Exception:
    if error.code() == grpc.StatusCode.NOT_FOUND and rpc_reason(error) == TEAM_NOT_FOUND_REASON:
        return problem_from_rpc_error(error, not_found=TEAM_NOT_FOUND)
    return problem_from_rpc_error(error, not_found=not_found)
