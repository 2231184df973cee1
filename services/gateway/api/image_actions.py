"""What every image action's route shares: only the owner acts on an image (any other image, public
or private, deleted or unknown, answers the same 404 as every image endpoint), and the result is
as private as the image is when the job is submitted."""

from fastapi import Request, Response

from atelier.generation.v1 import generation_pb2
from services.gateway.api import submission
from services.gateway.api.access import image_not_found, visible_image
from services.gateway.api.schemas import GenerationAccepted
from services.gateway.auth.security import Caller
from services.gateway.dependencies import deps_of


async def start_action(
    image_id: str,
    caller: Caller,
    request: Request,
    response: Response,
    idempotency_key: str | None,
    params: generation_pb2.GenerationParams,
) -> GenerationAccepted:
    """An action (params.kind and its options) on image_id, which must be the caller's own."""
    deps = deps_of(request)
    source = await visible_image(image_id, caller, deps.visibility, deps.generations)
    if not source.is_owner:
        raise image_not_found()
    params.source_image_id = source.image.image_id
    return await submission.submit(
        caller,
        params,
        response,
        generations=deps.generations,
        authority=deps.visibility,
        billing=deps.billing,
        # The image's visibility now, not a choice to remember for later generations.
        visibility=source.visibility,
        idempotency_key=idempotency_key,
        visibility_copied=True,
    )
