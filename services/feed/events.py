"""The feed's durable consumer names and the events its projection is built from. The feed owns
no stream: it reads the generation and visibility services' (contracts/), which they create."""

from contracts import generation, visibility

IMAGES_READY_DURABLE = "feed-images-ready"
VISIBILITY_CHANGED_DURABLE = "feed-visibility-changed"
IMAGE_DELETED_DURABLE = "feed-image-deleted"

# (stream, subject) of every event the projection is built from, for the live consumers and replay.
PROJECTION_SOURCES = [
    (generation.STREAM, generation.IMAGES_READY),
    (generation.STREAM, generation.IMAGE_DELETED),
    (visibility.STREAM, visibility.VISIBILITY_CHANGED),
]
