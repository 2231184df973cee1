"""Images: metadata and bytes.

For now only the owner sees an image; everyone else, anonymous callers included, gets 404 exactly
as for an id that does not exist (fail closed, P3). Public images of others arrive with the
visibility authority in a later issue. Bytes are never cached by shared caches (P2).
"""

import asyncio
import logging
import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from minio.error import S3Error
from urllib3.exceptions import HTTPError as Urllib3Error

from atelier.generation.v1 import generation_pb2
from services.gateway.dependencies import GatewayDeps, deps_of
from services.gateway.image_variants import ImageFormat, ImageSize, render_variant
from services.gateway.problems import Problem, not_found
from services.gateway.schemas import ImageMetadata
from services.gateway.security import Caller, MaybeCaller
from services.gateway.views import image_metadata_view

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1/images", tags=["images"])

PRIVATE_NO_STORE = "private, no-store"


async def _visible_image(image_id: str, caller: Caller | None, deps: GatewayDeps) -> generation_pb2.Image:
    if caller is None:
        raise not_found("Image")
    try:
        canonical_id = str(uuid.UUID(image_id))
    except ValueError:
        raise not_found("Image") from None
    image = await deps.generations.image(canonical_id)
    if image is None or image.owner_id != caller.user_id:
        raise not_found("Image")
    return image


@router.get("/{image_id}", response_model=ImageMetadata, summary="Image metadata (own images for now)",
            responses={404: {"description": "no such image visible to you"}})
async def get_image(image_id: str, caller: MaybeCaller, request: Request, response: Response) -> ImageMetadata:
    image = await _visible_image(image_id, caller, deps_of(request))
    response.headers["Cache-Control"] = PRIVATE_NO_STORE
    return image_metadata_view(image)


@router.get("/{image_id}/content", summary="Image bytes (own images for now)",
            response_class=Response,
            responses={200: {"content": {"image/png": {}, "image/jpeg": {}}},
                       404: {"description": "no such image visible to you"}})
async def get_image_content(
    image_id: str,
    caller: MaybeCaller,
    request: Request,
    image_format: Annotated[ImageFormat | None, Query(alias="format")] = None,
    size: ImageSize = "full",
) -> Response:
    deps = deps_of(request)
    image = await _visible_image(image_id, caller, deps)
    try:
        data = await deps.objects.get(image.object_key)
    except S3Error as error:
        if error.code == "NoSuchKey":
            log.error("image object missing", extra={"image_id": image.image_id})
            raise not_found("Image") from None
        log.warning("object store error", extra={"image_id": image.image_id, "code": error.code})
        raise Problem(503, "Images cannot be read right now; please try again shortly.") from None
    except (OSError, Urllib3Error) as error:  # the store is unreachable
        log.warning("object store unreachable", extra={"image_id": image.image_id, "error": str(error)})
        raise Problem(503, "Images cannot be read right now; please try again shortly.") from None
    body, content_type = await asyncio.to_thread(render_variant, data, image.content_type or "image/png",
                                                 image_format, size)
    return Response(body, media_type=content_type, headers={"Cache-Control": PRIVATE_NO_STORE})
