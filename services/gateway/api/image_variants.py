"""Variants of a stored image asked for by `?format=` and `?size=`: re-encoded and/or shrunk."""

import io
from typing import Literal

from PIL import Image

ImageFormat = Literal["png", "jpg"]
ImageSize = Literal["full", "thumb"]
THUMBNAIL_MAX_SIDE = 256
JPEG_QUALITY = 90
_CONTENT_TYPES = {"png": "image/png", "jpg": "image/jpeg"}


def render_variant(
    data: bytes, content_type: str, image_format: ImageFormat | None, size: ImageSize
) -> tuple[bytes, str]:
    """The bytes and content type to send; the stored bytes themselves when nothing changes."""
    wanted_type = _CONTENT_TYPES[image_format] if image_format else content_type
    if size == "full" and wanted_type == content_type:
        return data, content_type
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        if size == "thumb":
            image.thumbnail((THUMBNAIL_MAX_SIDE, THUMBNAIL_MAX_SIDE))
        out = io.BytesIO()
        if wanted_type == "image/jpeg":
            image.convert("RGB").save(out, "JPEG", quality=JPEG_QUALITY)
        else:
            image.save(out, "PNG")
    return out.getvalue(), wanted_type
