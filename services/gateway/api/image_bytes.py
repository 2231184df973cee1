"""Reading an image's stored bytes from the object store, once the viewer was authorised for it."""

from __future__ import annotations

import logging

from minio.error import S3Error
from urllib3.exceptions import HTTPError as Urllib3Error

from atelier.generation.v1 import generation_pb2
from services.gateway.api.access import image_not_found
from services.gateway.dependencies import GatewayDeps
from services.gateway.problems import Problem

log = logging.getLogger(__name__)


async def read_image_bytes(deps: GatewayDeps, image: generation_pb2.Image) -> bytes:
    """The stored bytes; a lost object is the image's 404, a store error or outage a 503."""
    try:
        return await deps.objects.get(image.object_key)
    except S3Error as error:
        if error.code == "NoSuchKey":
            log.error("image object missing", extra={"image_id": image.image_id})
            raise image_not_found() from None
        log.warning("object store error", extra={"image_id": image.image_id, "code": error.code})
        raise Problem(503, "Images cannot be read right now; please try again shortly.") from None
    except (OSError, Urllib3Error) as error:  # the store is unreachable
        log.warning("object store unreachable", extra={"image_id": image.image_id, "error": str(error)})
        raise Problem(503, "Images cannot be read right now; please try again shortly.") from None
