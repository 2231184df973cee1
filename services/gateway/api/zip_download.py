"""A zip of the caller's own images, built while it is sent.

Every id must name one of the caller's own images that is not deleted (asked of the authority,
BatchGetVisibility for the owner, then of the generation service, owner checked again): one id
that does not — another user's image, public or not, a deleted, unknown or malformed id — refuses
the whole request with the one image 404 before a byte is sent, so nobody gets half a zip and the
answer says nothing about which id it was. Entries are stored, not compressed (PNG and JPEG are
compressed already), in the format /content would give the owner (PNG with `download_png`, JPG
otherwise), one image in memory at a time; the zip is written to a stream that cannot seek, so
sizes follow each entry (data descriptors), as the stdlib's zipfile does on its own.
"""

from __future__ import annotations

import asyncio
import zipfile
from collections.abc import AsyncIterator

from atelier.generation.v1 import generation_pb2
from glue.ids import canonical_uuid
from services.gateway.api.access import image_not_found
from services.gateway.api.image_bytes import read_image_bytes
from services.gateway.api.image_variants import ImageFormat, render_variant
from services.gateway.dependencies import GatewayDeps


class _Chunks:
    """A write-only file for zipfile that hands back what was written since the last take()."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def write(self, data: bytes, /) -> int:
        self._buffer += data
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def take(self) -> bytes:
        data = bytes(self._buffer)
        self._buffer.clear()
        return data


async def own_images(deps: GatewayDeps, owner_id: str, raw_ids: list[str]) -> list[generation_pb2.Image]:
    """The caller's images in the order asked (duplicates once); the image 404 if any id is not one."""
    ids: list[str] = []
    for raw in raw_ids:
        canonical = canonical_uuid(raw)
        if canonical is None:
            raise image_not_found()
        if canonical not in ids:
            ids.append(canonical)
    own = await deps.visibility.current(owner_id, ids)
    if any(image_id not in own for image_id in ids):
        raise image_not_found()
    found = {image.image_id: image for image in await deps.generations.images(ids, owner_id)}
    if any(image_id not in found or found[image_id].owner_id != owner_id for image_id in ids):
        raise image_not_found()
    return [found[image_id] for image_id in ids]


def entry_name(number: int, image: generation_pb2.Image, image_format: ImageFormat) -> str:
    return f"{number:03d}-atelier-{image.image_id}.{image_format}"


async def zip_stream(
    deps: GatewayDeps, images: list[generation_pb2.Image], image_format: ImageFormat
) -> AsyncIterator[bytes]:
    sink = _Chunks()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED) as archive:
        for number, image in enumerate(images, start=1):
            data = await read_image_bytes(deps, image)
            body, content_type = await asyncio.to_thread(
                render_variant, data, image.content_type or "image/png", image_format, "full"
            )
            extension: ImageFormat = "jpg" if content_type == "image/jpeg" else "png"
            archive.writestr(entry_name(number, image, extension), body)
            yield sink.take()
    yield sink.take()
