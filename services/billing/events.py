"""The billing service's streams, subjects and durable consumers."""

from glue.events import DEAD_LETTERS, StreamSpec

STREAM = "BILLING"
PLAN_CHANGED = "atelier.billing.plan_changed"

# Consumed from the generation service's stream (provisioned idempotently here too, with the
# same name and subjects the generation service uses).
GENERATION_STREAM = "GENERATION"
IMAGES_READY = "atelier.generation.images_ready"
GENERATION_FAILED = "atelier.generation.failed"
IMAGES_READY_DURABLE = "billing-images-ready"
GENERATION_FAILED_DURABLE = "billing-generation-failed"

STREAMS = [
    StreamSpec(GENERATION_STREAM, ["atelier.generation.>"]),
    StreamSpec(STREAM, ["atelier.billing.>"]),
    DEAD_LETTERS,
]
