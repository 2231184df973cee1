"""The visibility service's events: what it publishes is its contract (contracts/visibility.py);
what it consumes is the generation service's (contracts/generation.py), read through durable
consumers named here.

Consumed: ImagesReady (fallback registration; RegisterImages is the primary path) and
ImageDeleted, both on the generation service's stream; PlanChanged on billing's, for one thing
only: a Team plan that ends lapses its teams, whose images turn private (team_lapse.py). No plan
change ever makes an image public (P4), and a private image's rules do not follow the plan: the
plan matters when the owner asks for a change, and SetVisibility asks billing at that moment.
"""

from contracts.visibility import STREAM_SPEC, VISIBILITY_CHANGED

__all__ = ["IMAGE_DELETED_DURABLE", "IMAGES_READY_DURABLE", "PLAN_CHANGED_DURABLE", "STREAM_SPEC", "VISIBILITY_CHANGED"]

IMAGES_READY_DURABLE = "visibility-images-ready"
IMAGE_DELETED_DURABLE = "visibility-image-deleted"
PLAN_CHANGED_DURABLE = "visibility-plan-changed"
