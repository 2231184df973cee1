"""The generation domain's events. Owner: the generation service (API and worker), which alone
creates the stream. Consumers: its own worker (GenerationRequested), visibility, feed and billing.
Progress previews go over core NATS, not the stream, to the gateway."""

import uuid

from contracts.streams import StreamSpec

STREAM = "GENERATION"
GENERATION_REQUESTED = "atelier.generation.requested"
IMAGES_READY = "atelier.generation.images_ready"
GENERATION_FAILED = "atelier.generation.failed"
IMAGE_DELETED = "atelier.generation.image_deleted"

STREAM_SPEC = StreamSpec(STREAM, ("atelier.generation.>",))

PROGRESS_PREFIX = "atelier.progress"


def progress_subject(generation_id: str) -> str:
    """Core NATS, not durable: previews are only useful live, and only to the owner, whom the
    gateway checks before it subscribes. Built only from a valid UUID (ValueError otherwise), so
    nobody can subscribe with a wildcard (`*`, `>`) to other people's previews."""
    return f"{PROGRESS_PREFIX}.{uuid.UUID(generation_id)}"
