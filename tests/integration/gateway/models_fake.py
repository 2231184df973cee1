"""An in-process CustomModelService for the gateway's tests, with the real service's contract rules
the gateway relies on: the real upload checks (INVALID_ARGUMENT naming the field), picked image ids
that are not the owner's are NOT_FOUND, and another owner's model is the same NOT_FOUND as an
unknown one. Training itself is the real service's (tests/integration/test_custom_models_api.py)."""

from __future__ import annotations

import uuid

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from atelier.generation.v1 import custom_models_pb2 as pb
from atelier.generation.v1 import custom_models_pb2_grpc
from services.generation.custom_model_uploads import check_count, check_image_ids, check_name, check_uploads
from services.generation.requests import InvalidRequest


class FakeCustomModelService(custom_models_pb2_grpc.CustomModelServiceServicer):
    def __init__(self) -> None:
        self.models: dict[str, pb.CustomModel] = {}
        self.uploads: dict[str, list[bytes]] = {}

    async def _owned(self, model_id: str, user_id: str, context) -> pb.CustomModel:
        model = self.models.get(model_id)
        if model is None or not user_id or model.owner_id != user_id:
            await context.abort(grpc.StatusCode.NOT_FOUND, "custom model not found")
        return model

    async def CreateCustomModel(self, request, context):
        uploads = [upload.content for upload in request.uploads]
        try:
            name = check_name(request.name)
            check_count(len(uploads) or len(request.image_ids), bool(uploads), bool(request.image_ids))
            checked = check_uploads(uploads)
            check_image_ids(list(request.image_ids))
        except InvalidRequest as error:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))
        if request.image_ids:  # this fake holds no creations
            await context.abort(grpc.StatusCode.NOT_FOUND, "image_ids[0]: image not found")
        created_at = Timestamp()
        created_at.GetCurrentTime()
        model = pb.CustomModel(
            model_id=str(uuid.uuid4()),
            owner_id=request.owner_id,
            name=name,
            status=pb.CUSTOM_MODEL_STATUS_TRAINING,
            job_id=str(uuid.uuid4()),
            images=[
                pb.TrainingImage(index=i, width=c.width, height=c.height, content_type=c.content_type)
                for i, c in enumerate(checked)
            ],
            created_at=created_at,
        )
        self.models[model.model_id] = model
        self.uploads[model.model_id] = uploads
        return pb.CreateCustomModelResponse(model=model, created=True)

    async def ListCustomModels(self, request, context):
        return pb.ListCustomModelsResponse(models=[m for m in self.models.values() if m.owner_id == request.owner_id])

    async def GetCustomModel(self, request, context):
        return pb.GetCustomModelResponse(model=await self._owned(request.model_id, request.viewer_id, context))

    async def DeleteCustomModel(self, request, context):
        await self._owned(request.model_id, request.actor_id, context)
        del self.models[request.model_id]
        return pb.DeleteCustomModelResponse()

    async def ShareCustomModel(self, request, context):
        model = await self._owned(request.model_id, request.actor_id, context)
        if request.team_id:  # this fake knows no teams: every one is another's
            context.set_trailing_metadata((("atelier-reason", "team_not_found"),))
            await context.abort(grpc.StatusCode.NOT_FOUND, "team not found")
        model.team_id = ""
        return pb.ShareCustomModelResponse(model=model)

    async def GetTrainingImage(self, request, context):
        model = await self._owned(request.model_id, request.viewer_id, context)
        uploads = self.uploads.get(model.model_id, [])
        if not 0 <= request.index < len(uploads):
            await context.abort(grpc.StatusCode.NOT_FOUND, "custom model not found")
        image = model.images[request.index]
        return pb.GetTrainingImageResponse(content=uploads[request.index], content_type=image.content_type)
