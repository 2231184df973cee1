"""CustomModelService gRPC handlers: protobuf ↔ custom_models, and its refusals → gRPC status.
A model the caller may not use is NOT_FOUND on every method, exactly as a missing one."""

from __future__ import annotations

import grpc

from atelier.generation.v1 import custom_models_pb2 as pb
from atelier.generation.v1 import custom_models_pb2_grpc
from services.generation.clients import DependencyUnavailable, OutOfCredits
from services.generation.custom_models import (
    CustomModels,
    CustomModelsNotEntitled,
    ModelNotFound,
    NewModel,
    NotTheModelsToChange,
    TeamNotFound,
    TrainingImageNotFound,
)
from services.generation.custom_models_repository import CustomModelRecord
from services.generation.decision import CONCURRENCY_LIMIT, ConcurrencyLimit
from services.generation.handlers import MAX_IDEMPOTENCY_KEY, _refuse, _timestamp
from services.generation.submission import IdempotencyConflict

STATUS_TO_PROTO = {
    "training": pb.CUSTOM_MODEL_STATUS_TRAINING,
    "ready": pb.CUSTOM_MODEL_STATUS_READY,
    "failed": pb.CUSTOM_MODEL_STATUS_FAILED,
}
NOT_FOUND = "custom model not found"
# `atelier-reason` of a team the owner is not a current member of (the gateway words it).
TEAM_NOT_FOUND = "team_not_found"


def model_to_proto(model: CustomModelRecord) -> pb.CustomModel:
    return pb.CustomModel(
        model_id=str(model.id),
        owner_id=model.owner_id,
        name=model.name,
        status=STATUS_TO_PROTO[model.status],
        job_id=str(model.job_id),
        progress_step=model.progress_step,
        progress_total=model.progress_total,
        error=model.error,
        images=[
            pb.TrainingImage(
                index=image.idx,
                width=image.width,
                height=image.height,
                content_type=image.content_type,
                caption=image.caption,
                source_image_id=str(image.source_image_id) if image.source_image_id else "",
            )
            for image in model.images
        ],
        created_at=_timestamp(model.created_at),
        team_id=str(model.team_id) if model.team_id else "",
        image_count=model.image_count,
    )


class CustomModelServicer(custom_models_pb2_grpc.CustomModelServiceServicer):
    def __init__(self, models: CustomModels):
        self._models = models

    async def CreateCustomModel(self, request: pb.CreateCustomModelRequest, context: grpc.aio.ServicerContext):
        if not request.owner_id:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "owner_id: is required")
        if len(request.idempotency_key) > MAX_IDEMPOTENCY_KEY:
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT, f"idempotency_key: at most {MAX_IDEMPOTENCY_KEY} characters"
            )
        new = NewModel(
            name=request.name,
            uploads=[upload.content for upload in request.uploads],
            image_ids=list(request.image_ids),
            idempotency_key=request.idempotency_key or None,
            team_id=request.team_id,
        )
        try:
            model, created = await self._models.create(request.owner_id, new)
        except TrainingImageNotFound as error:
            await context.abort(grpc.StatusCode.NOT_FOUND, str(error))
        except TeamNotFound as error:
            await _refuse(context, grpc.StatusCode.NOT_FOUND, TEAM_NOT_FOUND, str(error))
        except IdempotencyConflict as error:
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION, str(error))
        except OutOfCredits as error:
            await _refuse(context, grpc.StatusCode.RESOURCE_EXHAUSTED, "out_of_credits", str(error))
        except ConcurrencyLimit as error:
            await _refuse(context, grpc.StatusCode.RESOURCE_EXHAUSTED, CONCURRENCY_LIMIT, str(error))
        except CustomModelsNotEntitled as error:
            await _refuse(context, grpc.StatusCode.PERMISSION_DENIED, error.reason, str(error))
        except DependencyUnavailable as error:
            await context.abort(grpc.StatusCode.UNAVAILABLE, f"cannot train custom models right now ({error})")
        return pb.CreateCustomModelResponse(model=model_to_proto(model), created=created)

    async def ListCustomModels(self, request: pb.ListCustomModelsRequest, context: grpc.aio.ServicerContext):
        if not request.owner_id:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "owner_id: is required")
        models = await self._models.list(request.owner_id)
        return pb.ListCustomModelsResponse(models=[model_to_proto(m) for m in models])

    async def GetCustomModel(self, request: pb.GetCustomModelRequest, context: grpc.aio.ServicerContext):
        try:
            model = await self._models.get(request.model_id, request.viewer_id)
        except ModelNotFound:
            await context.abort(grpc.StatusCode.NOT_FOUND, NOT_FOUND)
        return pb.GetCustomModelResponse(model=model_to_proto(model))

    async def DeleteCustomModel(self, request: pb.DeleteCustomModelRequest, context: grpc.aio.ServicerContext):
        try:
            await self._models.delete(request.model_id, request.actor_id)
        except ModelNotFound:
            await context.abort(grpc.StatusCode.NOT_FOUND, NOT_FOUND)
        except NotTheModelsToChange as error:
            await context.abort(grpc.StatusCode.PERMISSION_DENIED, str(error))
        return pb.DeleteCustomModelResponse()

    async def ShareCustomModel(self, request: pb.ShareCustomModelRequest, context: grpc.aio.ServicerContext):
        try:
            model = await self._models.share(request.model_id, request.actor_id, request.team_id)
        except ModelNotFound:
            await context.abort(grpc.StatusCode.NOT_FOUND, NOT_FOUND)
        except TeamNotFound as error:
            await _refuse(context, grpc.StatusCode.NOT_FOUND, TEAM_NOT_FOUND, str(error))
        except NotTheModelsToChange as error:
            await context.abort(grpc.StatusCode.PERMISSION_DENIED, str(error))
        return pb.ShareCustomModelResponse(model=model_to_proto(model))

    async def GetTrainingImage(self, request: pb.GetTrainingImageRequest, context: grpc.aio.ServicerContext):
        try:
            content, content_type = await self._models.training_image(
                request.model_id, request.index, request.viewer_id
            )
        except ModelNotFound:
            await context.abort(grpc.StatusCode.NOT_FOUND, NOT_FOUND)
        return pb.GetTrainingImageResponse(content=content, content_type=content_type)
