"""The generation service's events. The stream and subjects are its contract with the other
services (contracts/generation.py), named here for its own publishers; the worker's durable
consumer name is the service's own."""

from contracts.generation import (
    GENERATION_FAILED,
    GENERATION_REQUESTED,
    IMAGE_DELETED,
    IMAGES_READY,
    STREAM,
    STREAM_SPEC,
    progress_subject,
)

__all__ = [
    "GENERATION_FAILED",
    "GENERATION_REQUESTED",
    "IMAGE_DELETED",
    "IMAGES_READY",
    "STREAM",
    "STREAM_SPEC",
    "WORKER_DURABLE",
    "progress_subject",
]

WORKER_DURABLE = "generation-worker"
