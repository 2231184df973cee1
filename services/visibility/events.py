"""The visibility service's events: what it publishes is its contract (contracts/visibility.py);
what it consumes is the generation service's (contracts/generation.py), read through durable
consumers named here.

Consumed: ImagesReady (fallback registration; RegisterImages is the primary path) and
ImageDeleted, both on the generation service's stream.

Not consumed, on purpose: PlanChanged (billing). A plan change never changes an image's
visibility — a lapsed subscription keeps private images private (P4), and an upgrade makes
nothing private by itself. The plan matters only when the owner asks for a change, and then
SetVisibility asks billing for the account in force at that moment (see policy.py).
"""

from contracts.visibility import STREAM_SPEC, VISIBILITY_CHANGED

__all__ = ["IMAGE_DELETED_DURABLE", "IMAGES_READY_DURABLE", "STREAM_SPEC", "VISIBILITY_CHANGED"]

IMAGES_READY_DURABLE = "visibility-images-ready"
IMAGE_DELETED_DURABLE = "visibility-image-deleted"
