"""What the webhooks service consumes, read through durable consumers named here: the generation
service's ImagesReady and GenerationFailed, and the visibility service's VisibilityChanged
(contracts/). It publishes nothing: it owns no stream."""

from contracts.generation import GENERATION_FAILED, IMAGES_READY
from contracts.generation import STREAM as GENERATION_STREAM
from contracts.visibility import STREAM as VISIBILITY_STREAM
from contracts.visibility import VISIBILITY_CHANGED

__all__ = [
    "GENERATION_FAILED",
    "GENERATION_FAILED_DURABLE",
    "GENERATION_STREAM",
    "IMAGES_READY",
    "IMAGES_READY_DURABLE",
    "VISIBILITY_CHANGED",
    "VISIBILITY_CHANGED_DURABLE",
    "VISIBILITY_STREAM",
]

IMAGES_READY_DURABLE = "webhooks-images-ready"
GENERATION_FAILED_DURABLE = "webhooks-generation-failed"
VISIBILITY_CHANGED_DURABLE = "webhooks-visibility-changed"
