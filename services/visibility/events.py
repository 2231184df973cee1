"""The streams and subjects the visibility service publishes to and consumes from.

Consumed: ImagesReady (fallback registration; RegisterImages is the primary path) and
ImageDeleted, both on the generation service's stream.

Not consumed, on purpose: PlanChanged (billing). A plan change never changes an image's
visibility — a lapsed subscription keeps private images private (P4), and an upgrade makes
nothing private by itself. The plan matters only when the owner asks for a change, and then
SetVisibility asks billing for the account in force at that moment (see policy.py).
"""

from glue.events import DEAD_LETTERS, StreamSpec

STREAM = "VISIBILITY"
VISIBILITY_CHANGED = "atelier.visibility.changed"

GENERATION_STREAM = "GENERATION"
IMAGES_READY = "atelier.generation.images_ready"
IMAGE_DELETED = "atelier.generation.image_deleted"

IMAGES_READY_DURABLE = "visibility-images-ready"
IMAGE_DELETED_DURABLE = "visibility-image-deleted"

STREAMS = [
    StreamSpec(GENERATION_STREAM, ["atelier.generation.>"]),
    StreamSpec(STREAM, ["atelier.visibility.>"]),
    DEAD_LETTERS,
]
