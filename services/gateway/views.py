"""Generations and images as the public API shows them to their owner (protobuf → response models)."""

from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp

from atelier.common.v1 import visibility_pb2
from atelier.generation.v1 import generation_pb2
from services.gateway.schemas import GenerationOut, ImageMetadata, ImageOut, ParamsOut, ProgressOut

_STATUS = {
    generation_pb2.GENERATION_STATUS_QUEUED: "queued",
    generation_pb2.GENERATION_STATUS_RUNNING: "running",
    generation_pb2.GENERATION_STATUS_SUCCEEDED: "succeeded",
    generation_pb2.GENERATION_STATUS_FAILED: "failed",
}
_VISIBILITY = {
    visibility_pb2.VISIBILITY_PUBLIC: "public",
    visibility_pb2.VISIBILITY_PRIVATE: "private",
}
VISIBILITY_BY_NAME = {name: value for value, name in _VISIBILITY.items()}
TERMINAL_STATUSES = frozenset({"succeeded", "failed"})


def status_name(status: int) -> str:
    # An unspecified status only exists before the first write; to a user it is still queued.
    return _STATUS.get(status, "queued")


def visibility_name(visibility: int) -> str:
    # Unknown means "not known to be public": never show something as public by default (P3).
    return _VISIBILITY.get(visibility, "private")


def content_url(image_id: str) -> str:
    return f"/api/v1/images/{image_id}/content"


def _time(timestamp: Timestamp, present: bool) -> datetime | None:
    return timestamp.ToDatetime(tzinfo=UTC) if present else None


def image_view(image: generation_pb2.Image) -> ImageOut:
    return ImageOut(image_id=image.image_id, url=content_url(image.image_id), seed=image.seed,
                    width=image.width, height=image.height, visibility=visibility_name(image.visibility))


def image_metadata_view(image: generation_pb2.Image) -> ImageMetadata:
    return ImageMetadata(
        **image_view(image).model_dump(),
        generation_id=image.generation_id,
        prompt=image.prompt,
        content_type=image.content_type,
        created_at=_time(image.created_at, image.HasField("created_at")),
    )


def generation_view(generation: generation_pb2.Generation) -> GenerationOut:
    params = generation.params
    status = status_name(generation.status)
    return GenerationOut(
        generation_id=generation.generation_id,
        status=status,  # type: ignore[arg-type]
        progress=ProgressOut(step=generation.progress_step, total=generation.progress_total),
        prompt=params.prompt,
        magic_prompt=generation.magic_prompt,
        params=ParamsOut(
            negative_prompt=params.negative_prompt,
            seed=generation.seed or params.seed,
            num_images=params.num_images,
            aspect_ratio=params.aspect_ratio,
            magic_prompt=params.magic_prompt,
            color_palette=list(params.color_palette),
            source_image_id=params.source_image_id or None,
            mode=params.mode,
        ),
        visibility=visibility_name(generation.visibility),
        images=[image_view(image) for image in sorted(generation.images, key=lambda image: image.index)],
        error=(generation.error or "The generation failed.") if status == "failed" else None,
        created_at=_time(generation.created_at, generation.HasField("created_at")),
        completed_at=_time(generation.completed_at, generation.HasField("completed_at")),
    )
