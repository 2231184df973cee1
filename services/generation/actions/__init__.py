"""Image actions: job kinds that work on one existing image of the owner instead of a prompt.

Each action is one module with one `ImageAction` and one entry in `REGISTRY`; the submission, the
credits (billing prices each action), the outbox, the worker's retries, dead letters, progress and
traces are shared with text-to-image generation.
"""

from atelier.generation.v1 import generation_pb2
from services.generation.actions.action import ImageAction
from services.generation.actions.upscale import UPSCALE

GENERATE = "generate"
REGISTRY: dict[str, ImageAction] = {action.kind: action for action in (UPSCALE,)}
# The wire's JobKind ↔ the kind names stored in a generation's params.
KIND_FROM_PROTO = {
    generation_pb2.JOB_KIND_UNSPECIFIED: GENERATE,
    generation_pb2.JOB_KIND_GENERATE: GENERATE,
    generation_pb2.JOB_KIND_UPSCALE: UPSCALE.kind,
}
KIND_TO_PROTO = {GENERATE: generation_pb2.JOB_KIND_GENERATE, UPSCALE.kind: generation_pb2.JOB_KIND_UPSCALE}


def action_of(kind: str) -> ImageAction | None:
    """The action a job kind names; None for text-to-image generation."""
    return REGISTRY.get(kind)


__all__ = ["GENERATE", "KIND_FROM_PROTO", "KIND_TO_PROTO", "REGISTRY", "ImageAction", "action_of"]
