"""The generation service's streams and subjects."""

from glue.events import DEAD_LETTERS, StreamSpec

STREAM = "GENERATION"
GENERATION_REQUESTED = "atelier.generation.requested"
IMAGES_READY = "atelier.generation.images_ready"
GENERATION_FAILED = "atelier.generation.failed"
IMAGE_DELETED = "atelier.generation.image_deleted"

STREAMS = [StreamSpec(STREAM, ["atelier.generation.>"]), DEAD_LETTERS]

WORKER_DURABLE = "generation-worker"


def progress_subject(generation_id: str) -> str:
    """Core NATS, not durable: previews are only useful live, and only to the owner, whom the
    gateway checks before it subscribes."""
    return f"atelier.progress.{generation_id}"
