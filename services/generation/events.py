"""The generation service's events. The stream and subjects are its contract with the other
services (contracts/generation.py), named here for its own publishers; the worker's durable
consumer name is the service's own.

ImagesReady, the event of a finished generation, carries as much of it as its consumers may know.
A private image is seen by its owner and nobody else, internal consumers included (ARCHITECTURE.md
§3): the prompt, the seeds and the lineage travel only for images public when ready. A consumer
learns them for an image made public later from BatchGetImages, which answers them only while the
image is public.
"""

from atelier.generation.v1 import events_pb2
from contracts.common import PUBLIC, VISIBILITY_TO_PROTO
from contracts.generation import (
    GENERATION_FAILED,
    GENERATION_REQUESTED,
    IMAGE_DELETED,
    IMAGES_READY,
    STREAM,
    STREAM_SPEC,
    progress_subject,
)
from services.generation.records import GenerationRecord, ImageRecord

__all__ = [
    "GENERATION_FAILED",
    "GENERATION_REQUESTED",
    "IMAGE_DELETED",
    "IMAGES_READY",
    "STREAM",
    "STREAM_SPEC",
    "WORKER_DURABLE",
    "images_ready",
    "progress_subject",
]

WORKER_DURABLE = "generation-worker"


def images_ready(record: GenerationRecord, images: list[ImageRecord]) -> events_pb2.ImagesReady:
    public = record.initial_visibility == PUBLIC
    return events_pb2.ImagesReady(
        generation_id=str(record.id),
        owner_id=record.owner_id,
        images=[
            events_pb2.ReadyImage(
                image_id=str(image.id),
                object_key=image.object_key,
                seed=image.seed if public else 0,
                width=image.width,
                height=image.height,
            )
            for image in images
        ],
        prompt=record.prompt if public else "",
        visibility=VISIBILITY_TO_PROTO[record.initial_visibility],
        visibility_version=1,
        source_image_id=str(record.source_image_id) if public and record.source_image_id else "",
    )
