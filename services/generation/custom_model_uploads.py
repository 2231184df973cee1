"""What a custom model may be trained on, checked before anything is stored or charged: a name, and
5–30 images, either uploads (PNG, JPEG or WebP as their bytes say, whatever they are called; each
at most 10 MB and 64 to 4096 px a side; 50 MB in all) or ids of the owner's own creations. Each
refusal names the field (`images[3]`, `image_ids[0]`, `name`)."""

from __future__ import annotations

import io
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from PIL import Image, UnidentifiedImageError

from glue.ids import parse_uuid
from services.generation.requests import InvalidRequest

MIN_IMAGES, MAX_IMAGES = 5, 30
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_TOTAL_BYTES = 50 * 1024 * 1024
MIN_SIDE, MAX_SIDE = 64, 4096
MAX_NAME_CHARS = 80
# Pillow's name of the decoded format -> the content type stored and served.
CONTENT_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}


@dataclass(frozen=True)
class CheckedUpload:
    content: bytes
    content_type: str
    width: int
    height: int


def check_name(name: str) -> str:
    name = " ".join(name.split())
    if any(not character.isprintable() for character in name):
        raise InvalidRequest("name", "must be printable text (no control characters)")
    if not name:
        raise InvalidRequest("name", "must not be empty: name the style")
    if len(name) > MAX_NAME_CHARS:
        raise InvalidRequest("name", f"must be at most {MAX_NAME_CHARS} characters (got {len(name)})")
    return name


def check_count(count: int, has_uploads: bool, has_image_ids: bool) -> None:
    if has_uploads and has_image_ids:
        raise InvalidRequest("images", "send uploaded images or image_ids of your creations, not both")
    field = "image_ids" if has_image_ids else "images"
    if not MIN_IMAGES <= count <= MAX_IMAGES:
        raise InvalidRequest(field, f"a style needs {MIN_IMAGES} to {MAX_IMAGES} images (got {count})")


def check_uploads(uploads: Sequence[bytes]) -> list[CheckedUpload]:
    """Each upload decoded far enough to know its format and size; InvalidRequest otherwise."""
    total = sum(len(content) for content in uploads)
    if total > MAX_TOTAL_BYTES:
        raise InvalidRequest("images", f"are {_mb(total)} in all; at most {_mb(MAX_TOTAL_BYTES)}")
    return [check_upload(index, content) for index, content in enumerate(uploads)]


def check_upload(index: int, content: bytes) -> CheckedUpload:
    field = f"images[{index}]"
    if len(content) > MAX_FILE_BYTES:
        raise InvalidRequest(field, f"is {_mb(len(content))}; each image may be at most {_mb(MAX_FILE_BYTES)}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as image:
                kind, (width, height) = image.format, image.size
                if kind in CONTENT_TYPES and MIN_SIDE <= min(width, height) and max(width, height) <= MAX_SIDE:
                    image.load()  # a truncated or corrupt file is refused here, not in the training job
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError, Warning) as error:
        raise InvalidRequest(field, "is not a PNG, JPEG or WebP image") from error
    if kind not in CONTENT_TYPES:
        raise InvalidRequest(field, f"is a {kind} image; send PNG, JPEG or WebP")
    if min(width, height) < MIN_SIDE or max(width, height) > MAX_SIDE:
        raise InvalidRequest(field, f"is {width}x{height} px; each side must be {MIN_SIDE} to {MAX_SIDE} px")
    return CheckedUpload(content, CONTENT_TYPES[kind], width, height)


def check_image_ids(image_ids: Sequence[str]) -> list[UUID]:
    checked: list[UUID] = []
    for index, value in enumerate(image_ids):
        parsed = parse_uuid(value.strip())
        if parsed is None:
            raise InvalidRequest(f"image_ids[{index}]", "must be an image id")
        if parsed in checked:
            raise InvalidRequest(f"image_ids[{index}]", "names an image twice")
        checked.append(parsed)
    return checked


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"
