"""My creations: my own images, newest first, optionally only the public or only the private ones.

Images come from my generations (GenerationService.ListGenerations, newest first, each
generation's images in order); the visibility shown and filtered on is the authority's current
one (BatchGetVisibility), never the generation row's initial value. Images the authority does not
answer for (deleted) are left out.

Pages are keyset pages: the opaque cursor holds the generation page being read and the last
image handed out ((created_at, generation id, image index), the service's own order), so a
page never repeats or skips an image when new generations arrive or old ones are deleted. The
cursor is signed (ATELIER_CURSOR_SECRET, glue.signed_tokens): a forged or altered one is a 422. A
filtered page scans at most MAX_SCANNED_PAGES generation pages, so it may hold fewer than
`limit` items; follow `next_cursor` until it is null.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse

from atelier.generation.v1 import generation_pb2
from glue.signed_tokens import TamperedToken, TokenSigner
from services.gateway.api.access import NOT_FOUND_RESPONSE, PRIVATE_NO_STORE, current_visibility
from services.gateway.api.schemas import MAX_ZIP_IMAGES, CreationItem, CreationsPage, CreationsZip
from services.gateway.api.views import creation_item
from services.gateway.api.zip_download import own_images, zip_stream
from services.gateway.auth.security import CurrentCaller
from services.gateway.dependencies import deps_of
from services.gateway.plans import png_allowed
from services.gateway.problems import Problem

router = APIRouter(prefix="/api/v1/me", tags=["account"])

PAGE_SIZE_DEFAULT = 24
PAGE_SIZE_MAX = 100
GENERATIONS_PER_SCAN = 20
MAX_SCANNED_PAGES = 10


@dataclass(frozen=True)
class Marker:
    """The last image handed out: its generation's (created_at, id) and its index."""

    seconds: int
    nanos: int
    generation_id: int
    index: int


@dataclass(frozen=True)
class Position:
    generation_cursor: str
    marker: Marker | None


def cursor_signer(request: Request) -> TokenSigner:
    return TokenSigner(request.app.state.settings.cursor_secret, "creations cursor")


def encode_cursor(position: Position, signer: TokenSigner) -> str:
    data: dict = {"g": position.generation_cursor}
    if position.marker is not None:
        m = position.marker
        data["m"] = [m.seconds, m.nanos, str(uuid.UUID(int=m.generation_id)), m.index]
    return signer.sign(json.dumps(data, separators=(",", ":")).encode())


def decode_cursor(cursor: str, signer: TokenSigner) -> Position:
    try:
        payload = signer.verify(cursor)
    except TamperedToken:
        raise Problem(
            422,
            "cursor: forged or altered (its signature does not match); start again from the first page.",
            errors=[{"field": "cursor", "message": "Forged or altered: its signature does not match."}],
        ) from None
    try:
        data = json.loads(payload)
        generation_cursor = data["g"]
        if not isinstance(generation_cursor, str):
            raise TypeError
        marker = None
        if "m" in data:
            seconds, nanos, generation_id, index = data["m"]
            if not all(isinstance(v, int) for v in (seconds, nanos, index)) or not isinstance(generation_id, str):
                raise TypeError
            marker = Marker(seconds, nanos, uuid.UUID(generation_id).int, index)
        return Position(generation_cursor, marker)
    except (ValueError, TypeError, KeyError):
        raise Problem(
            422,
            "cursor: is not a cursor this endpoint issued.",
            errors=[{"field": "cursor", "message": "Is not a cursor this endpoint issued."}],
        ) from None


def _key(generation: generation_pb2.Generation) -> tuple[int, int, int]:
    return (generation.created_at.seconds, generation.created_at.nanos, uuid.UUID(generation.generation_id).int)


def _comes_after(marker: Marker, generation: generation_pb2.Generation, image: generation_pb2.Image) -> bool:
    """Whether the image comes after the marker in newest-first order."""
    key = _key(generation)
    marked = (marker.seconds, marker.nanos, marker.generation_id)
    if key != marked:
        return key < marked
    return image.index > marker.index


def _marker(generation: generation_pb2.Generation, image: generation_pb2.Image) -> Marker:
    seconds, nanos, generation_id = _key(generation)
    return Marker(seconds, nanos, generation_id, image.index)


def _item(generation: generation_pb2.Generation, image: generation_pb2.Image, visibility: str) -> CreationItem:
    created = image.created_at if image.HasField("created_at") else generation.created_at
    created_at = created.ToDatetime(tzinfo=UTC) if (created.seconds or created.nanos) else None
    return creation_item(image, visibility, image.prompt or generation.params.prompt, created_at)


@router.get(
    "/creations",
    response_model=CreationsPage,
    summary="My images, newest first",
    description="`visibility=all|public|private|team` filters on each image's current visibility. Keyset "
    "pages: a page may hold fewer than `limit` items; follow `next_cursor` until it is null. "
    f"Always `Cache-Control: {PRIVATE_NO_STORE}`.",
)
async def my_creations(
    caller: CurrentCaller,
    request: Request,
    response: Response,
    visibility: Literal["all", "public", "private", "team"] = "all",
    cursor: Annotated[str | None, Query(max_length=1000, description="next_cursor of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=PAGE_SIZE_MAX)] = PAGE_SIZE_DEFAULT,
) -> CreationsPage:
    deps = deps_of(request)
    response.headers["Cache-Control"] = PRIVATE_NO_STORE
    signer = cursor_signer(request)
    position = decode_cursor(cursor, signer) if cursor else Position("", None)
    generation_cursor, marker = position.generation_cursor, position.marker
    items: list[CreationItem] = []
    for _ in range(MAX_SCANNED_PAGES):
        page = await deps.generations.list(caller.user_id, GENERATIONS_PER_SCAN, generation_cursor)
        candidates = [
            (generation, image)
            for generation in page.generations
            if generation.owner_id == caller.user_id
            for image in sorted(generation.images, key=lambda image: image.index)
            if marker is None or _comes_after(marker, generation, image)
        ]
        current = await current_visibility(deps.visibility, caller.user_id, [image.image_id for _, image in candidates])
        shown = [
            (g, i, current[i.image_id])
            for g, i in candidates
            if i.image_id in current and visibility in ("all", current[i.image_id])
        ]
        for number, (generation, image, image_visibility) in enumerate(shown, start=1):
            items.append(_item(generation, image, image_visibility))
            if len(items) == limit:
                more = number < len(shown) or bool(page.next_cursor)
                next_position = Position(generation_cursor, _marker(generation, image))
                return CreationsPage(items=items, next_cursor=encode_cursor(next_position, signer) if more else None)
        if not page.next_cursor:
            return CreationsPage(items=items, next_cursor=None)
        generation_cursor, marker = page.next_cursor, None
    return CreationsPage(items=items, next_cursor=encode_cursor(Position(generation_cursor, None), signer))


@router.post(
    "/creations/zip",
    summary="Download some of my images as one zip",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/zip": {}}}, **NOT_FOUND_RESPONSE},
    description=f"1–{MAX_ZIP_IMAGES} ids of my own images, streamed as a zip built while it is sent, "
    "in the order given (duplicates once), each as `/content` would give it to me (PNG with "
    "`download_png`, JPG otherwise). One id that is not one of my images — another user's, "
    "public or not, a deleted, unknown or malformed one — refuses the whole request with the "
    "one image 404 before anything is sent: no half zip, and nothing said about which id. "
    f"`Cache-Control: {PRIVATE_NO_STORE}`.",
)
async def my_creations_zip(body: CreationsZip, caller: CurrentCaller, request: Request) -> StreamingResponse:
    deps = deps_of(request)
    images = await own_images(deps, caller.user_id, body.image_ids)
    account = await deps.billing.account_or_none(caller.user_id)
    return StreamingResponse(
        zip_stream(deps, images, "png" if png_allowed(account) else "jpg"),
        media_type="application/zip",
        headers={
            "Cache-Control": PRIVATE_NO_STORE,
            "Content-Disposition": 'attachment; filename="atelier-images.zip"',
        },
    )
