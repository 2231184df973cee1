"""Custom models as the HTTP API shows them: to their owner, or to the current members of the team
one is shared with (who see how many training images, never the images or their captions)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from atelier.generation.v1 import custom_models_pb2 as pb

ModelStatus = Literal["training", "ready", "failed"]
_STATUS = {
    pb.CUSTOM_MODEL_STATUS_TRAINING: "training",
    pb.CUSTOM_MODEL_STATUS_READY: "ready",
    pb.CUSTOM_MODEL_STATUS_FAILED: "failed",
}


class ModelCreateFromCreations(BaseModel):
    """The JSON form of POST /api/v1/models: a style learned from my own creations (their prompts
    are the captions). Uploads go as multipart/form-data instead: `name` and 5–30 `images`."""

    name: str = Field(max_length=200)
    image_ids: list[str] = Field(max_length=100)
    team_id: uuid.UUID | None = Field(
        default=None, description="share it with this team of mine from the start (its current members use it)"
    )


class ModelShare(BaseModel):
    """PATCH /api/v1/models/{model_id}: share my model with a team of mine, or take it back (null)."""

    team_id: uuid.UUID | None


class TrainingImageOut(BaseModel):
    index: int
    url: str = Field(description="a thumbnail, for you only")
    width: int
    height: int
    caption: str
    source_image_id: uuid.UUID | None = None


class ModelProgressOut(BaseModel):
    step: int
    total: int


class ModelOut(BaseModel):
    model_id: uuid.UUID
    name: str
    status: ModelStatus
    progress: ModelProgressOut
    job_id: uuid.UUID = Field(
        description="the training job: GET /api/v1/generations/{job_id}/events streams its progress"
    )
    events_url: str
    error: str | None = None
    image_count: int
    images: list[TrainingImageOut] = Field(default_factory=list)
    created_at: datetime | None = None
    team_id: uuid.UUID | None = Field(default=None, description="the team it is shared with; null: mine only")
    mine: bool = Field(description="whether I own it (a team member uses it; only its owner sees its images)")


class ModelList(BaseModel):
    items: list[ModelOut]


def model_out(model: pb.CustomModel, viewer_id: str, *, with_images: bool) -> ModelOut:
    status = _STATUS.get(model.status, "training")
    base = f"/api/v1/models/{model.model_id}"
    return ModelOut(
        model_id=uuid.UUID(model.model_id),
        name=model.name,
        status=status,
        progress=ModelProgressOut(step=model.progress_step, total=model.progress_total),
        job_id=uuid.UUID(model.job_id),
        events_url=f"/api/v1/generations/{model.job_id}/events",
        error=(model.error or "The training failed.") if status == "failed" else None,
        image_count=max(model.image_count, len(model.images)),
        images=[
            TrainingImageOut(
                index=image.index,
                url=f"{base}/images/{image.index}",
                width=image.width,
                height=image.height,
                caption=image.caption,
                source_image_id=uuid.UUID(image.source_image_id) if image.source_image_id else None,
            )
            for image in model.images
        ]
        if with_images and model.owner_id == viewer_id
        else [],
        created_at=model.created_at.ToDatetime() if model.HasField("created_at") else None,
        team_id=uuid.UUID(model.team_id) if model.team_id else None,
        mine=model.owner_id == viewer_id,
    )
