"""The streams and subjects the feed reads, and its durable consumer names."""

from glue.events import DEAD_LETTERS, StreamSpec

GENERATION_STREAM = "GENERATION"
VISIBILITY_STREAM = "VISIBILITY"
IMAGES_READY = "atelier.generation.images_ready"
IMAGE_DELETED = "atelier.generation.image_deleted"
VISIBILITY_CHANGED = "atelier.visibility.changed"

STREAMS = [
    StreamSpec(GENERATION_STREAM, ["atelier.generation.>"]),
    StreamSpec(VISIBILITY_STREAM, ["atelier.visibility.>"]),
    DEAD_LETTERS,
]

IMAGES_READY_DURABLE = "feed-images-ready"
VISIBILITY_CHANGED_DURABLE = "feed-visibility-changed"
IMAGE_DELETED_DURABLE = "feed-image-deleted"

# (stream, subject) of every event the projection is built from, for the live consumers and replay.
PROJECTION_SOURCES = [
    (GENERATION_STREAM, IMAGES_READY),
    (GENERATION_STREAM, IMAGE_DELETED),
    (VISIBILITY_STREAM, VISIBILITY_CHANGED),
]
