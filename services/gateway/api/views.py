"""Generations and images as the public API shows them (protobuf → response models).

An image's visibility shown anywhere is the authority's current one, passed in by the caller
(`current`: image id → "public"/"private"); the generation row's initial value is never shown
for an image. An image the authority does not answer for is shown as private (P3).
"""

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import cast, get_args

from google.protobuf.timestamp_pb2 import Timestamp

from atelier.generation.v1 import generation_pb2
from services.gateway.api.schemas import (
    CreationItem,
    GenerationOut,
    ImageDetail,
    ImageOut,
    JobKindName,
    ModelNoticeOut,
    ParamsOut,
    ProgressOut,
)
from services.gateway.clients.visibility import visibility_name

_STATUS: dict[int, str] = {
    generation_pb2.GENERATION_STATUS_QUEUED: "queued",
    generation_pb2.GENERATION_STATUS_RUNNING: "running",
    generation_pb2.GENERATION_STATUS_SUCCEEDED: "succeeded",
    generation_pb2.GENERATION_STATUS_FAILED: "failed",
}
TERMINAL_STATUSES = frozenset({"succeeded", "failed"})


def status_name(status: int) -> str:
    # An unspecified status only exists before the first write; to a user it is still queued.
    return _STATUS.get(status, "queued")


def content_url(image_id: str) -> str:
    return f"/api/v1/images/{image_id}/content"


def _time(timestamp: Timestamp, present: bool) -> datetime | None:
    return timestamp.ToDatetime(tzinfo=UTC) if present else None


def image_view(image: generation_pb2.Image, current: Mapping[str, str]) -> ImageOut:
    return ImageOut(
        image_id=image.image_id,
        url=content_url(image.image_id),
        seed=image.seed,
        width=image.width,
        height=image.height,
        visibility=current.get(image.image_id, "private"),
    )


def image_detail(
    image: generation_pb2.Image,
    *,
    visibility: str,
    owned_by_you: bool,
    owner_username: str | None,
    download_formats: list[str],
) -> ImageDetail:
    """What a viewer sees of an image they may see. Non-owners (of a public image) get the picture,
    its size, prompt, date and owner's name (image_facts.py adds how it was made, likes and
    lineage); the generation, seed and stored format are the owner's."""
    detail = ImageDetail(
        image_id=image.image_id,
        url=content_url(image.image_id),
        width=image.width,
        height=image.height,
        visibility=visibility,
        prompt=image.prompt,
        created_at=_time(image.created_at, image.HasField("created_at")),
        owner_username=owner_username,
        owned_by_you=owned_by_you,
        download_formats=download_formats,
    )
    if owned_by_you:
        detail.generation_id = uuid.UUID(image.generation_id)
        detail.seed = image.seed
        detail.content_type = image.content_type
    return detail


def creation_item(
    image: generation_pb2.Image, visibility: str, prompt: str, created_at: datetime | None
) -> CreationItem:
    return CreationItem(
        image_id=image.image_id,
        generation_id=image.generation_id,
        url=content_url(image.image_id),
        width=image.width,
        height=image.height,
        seed=image.seed,
        visibility=visibility,
        prompt=prompt,
        created_at=created_at,
    )


def generation_image_ids(generation: generation_pb2.Generation) -> list[str]:
    return [image.image_id for image in generation.images]


def model_notice(unknown_words: Sequence[str]) -> ModelNoticeOut | None:
    """Only the built-in model reports words it cannot draw: what it does draw, and the way to more."""
    if not unknown_words:
        return None
    quoted = ", ".join(f"“{word}”" for word in unknown_words)
    return ModelNoticeOut(
        unknown_words=list(unknown_words),
        message=(
            f"The built-in model did not understand {quoted}. It draws simple shapes (circles, squares, "
            "triangles and stars) in flat colours on plain backgrounds, so your images show that instead. "
            "To draw anything else, mount a Stable Diffusion model: see “Mounting a Stable Diffusion model” "
            "in the README."
        ),
    )


def kind_name(kind: int) -> JobKindName:
    """JOB_KIND_<NAME> -> name; UNSPECIFIED, and a kind newer than this gateway, read as 'generate'."""
    if kind not in generation_pb2.JobKind.values():
        return "generate"
    name = generation_pb2.JobKind.Name(kind).removeprefix("JOB_KIND_").lower()
    return cast(JobKindName, name) if name in get_args(JobKindName) else "generate"


def generation_view(generation: generation_pb2.Generation, current: Mapping[str, str]) -> GenerationOut:
    params = generation.params
    status = status_name(generation.status)
    return GenerationOut(
        generation_id=generation.generation_id,
        status=status,
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
            # Lineage only while the source is visible to the viewer (`current` answers for it).
            source_image_id=params.source_image_id if params.source_image_id in current else None,
            mode=params.mode,
            kind=kind_name(params.kind),
            style_image_id=params.style_image_id if params.style_image_id in current else None,
            style_strength=params.style_strength or None if params.style_image_id in current else None,
            # The view is its owner's only (GetGeneration answers nobody else), as the model is.
            model_id=params.model_id or None,
            model_scale=params.model_scale or None if params.model_id else None,
        ),
        visibility=visibility_name(generation.visibility),
        images=[image_view(image, current) for image in sorted(generation.images, key=lambda image: image.index)],
        error=(generation.error or "The generation failed.") if status == "failed" else None,
        created_at=_time(generation.created_at, generation.HasField("created_at")),
        completed_at=_time(generation.completed_at, generation.HasField("completed_at")),
        model_notice=model_notice(generation.unknown_prompt_words),
        suggestions=list(generation.suggestions),
    )
