"""Images: metadata, bytes, share links, and their owner's visibility controls.

Every read is authorised by the visibility authority at the moment of the request (P1, see
access.py): public images are readable by anyone, anonymous callers included; a private image by
its owner only; for everyone else a private, deleted or unknown image answers the same 404.

Caching (P2): public image bytes carry `Cache-Control: public, max-age=30` and `Vary:
Authorization, Cookie`; everything else — metadata, share links, private bytes, owner views,
errors — is `private, no-store`.

Formats: `/content` sends PNG only to viewers whose active plan has `download_png`; anonymous
viewers, free plans and lapsed accounts (whose private images stay private) get a slightly
compressed JPG (quality 90) — asking for `format=png` then still answers JPG (see Content-Type).
"""

import asyncio
import logging
import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from glue.ids import canonical_uuid
from services.gateway.api.access import (
    NOT_FOUND_RESPONSE,
    PRIVATE_NO_STORE,
    PUBLIC_CACHE_CONTROL,
    PUBLIC_MAX_AGE_S,
    PUBLIC_VARY,
    VisibleImage,
    image_not_found,
    visible_image,
)
from services.gateway.api.image_bytes import read_image_bytes
from services.gateway.api.image_facts import add_facts
from services.gateway.api.image_variants import JPEG_QUALITY, ImageFormat, ImageSize, render_variant
from services.gateway.api.schemas import (
    BulkVisibilityChange,
    BulkVisibilityResult,
    ImageDetail,
    RefusalOut,
    ShareLink,
    VisibilityChange,
)
from services.gateway.api.views import image_detail
from services.gateway.auth.security import Caller, CurrentCaller, MaybeCaller
from services.gateway.clients.visibility import IMAGE_NOT_FOUND
from services.gateway.dependencies import GatewayDeps, deps_of
from services.gateway.plans import png_allowed

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1/images", tags=["images"])

CONTENT_DESCRIPTION = f"""The image bytes.

* Public images: anyone, anonymous callers included; `Cache-Control: {PUBLIC_CACHE_CONTROL}` and
  `Vary: {PUBLIC_VARY}` — a shared cache may keep them for at most {PUBLIC_MAX_AGE_S} s, also after the
  owner made the image private.
* Private images: the owner only; `Cache-Control: {PRIVATE_NO_STORE}`.
* Format: PNG for viewers whose active plan has `download_png`; everyone else (anonymous, free,
  lapsed) gets a slightly compressed JPG (quality {JPEG_QUALITY}), also when asking `format=png`.
  With no `format`, the best format the viewer may have. `download=true` adds a
  `Content-Disposition: attachment`.
"""


def _team(team_id: str | None) -> str:
    """A team id as the authority reads it; one that is not an id names no team the caller is in
    (the authority refuses it in the same words)."""
    if team_id is None:
        return ""
    return canonical_uuid(team_id) or team_id


def _no_store(response: Response) -> None:
    response.headers["Cache-Control"] = PRIVATE_NO_STORE


async def _download_formats(deps: GatewayDeps, caller: Caller | None) -> list[str]:
    account = await deps.billing.account_or_none(caller.user_id) if caller is not None else None
    return ["png", "jpg"] if png_allowed(account) else ["jpg"]


async def _detail(deps: GatewayDeps, caller: Caller | None, visible: VisibleImage) -> ImageDetail:
    names = await deps.accounts.usernames([visible.image.owner_id])
    detail = image_detail(
        visible.image,
        visibility=visible.visibility,
        owned_by_you=visible.is_owner,
        owner_username=names.get(visible.image.owner_id),
        download_formats=await _download_formats(deps, caller),
    )
    if visible.is_owner and visible.team_id:
        detail.team_id = uuid.UUID(visible.team_id)
    await add_facts(detail, deps, caller, visible)
    return detail


@router.get(
    "/{image_id}",
    response_model=ImageDetail,
    response_model_exclude_none=True,
    summary="An image's metadata, as the viewer may see it",
    responses=NOT_FOUND_RESPONSE,
    description="Anyone may read a public image: image id, url, size, visibility, prompt, date, owner's "
    "username, how it was made (`recipe`: prompt, magic prompt, negative prompt, palette, "
    "aspect ratio, seed), likes, and `remixed_from` only while the remix source is visible to "
    "the viewer; its owner also gets generation_id, seed, content_type and whether it is "
    "pinned. "
    f"Always `Cache-Control: {PRIVATE_NO_STORE}`.",
)
async def get_image(image_id: str, caller: MaybeCaller, request: Request, response: Response) -> ImageDetail:
    deps = deps_of(request)
    visible = await visible_image(image_id, caller, deps.visibility, deps.generations)
    _no_store(response)
    return await _detail(deps, caller, visible)


@router.get(
    "/{image_id}/content",
    summary="The image bytes (PNG or JPG, full size or thumbnail)",
    description=CONTENT_DESCRIPTION,
    response_class=Response,
    responses={200: {"content": {"image/png": {}, "image/jpeg": {}}}, **NOT_FOUND_RESPONSE},
)
async def get_image_content(
    image_id: str,
    caller: MaybeCaller,
    request: Request,
    image_format: Annotated[ImageFormat | None, Query(alias="format")] = None,
    size: ImageSize = "full",
    download: bool = False,
) -> Response:
    deps = deps_of(request)
    visible = await visible_image(image_id, caller, deps.visibility, deps.generations)
    account = await deps.billing.account_or_none(caller.user_id) if caller is not None else None
    wanted: ImageFormat = image_format or "png"
    if wanted == "png" and not png_allowed(account):
        wanted = "jpg"
    data = await read_image_bytes(deps, visible.image)
    body, content_type = await asyncio.to_thread(
        render_variant, data, visible.image.content_type or "image/png", wanted, size
    )
    if visible.visibility == "public":
        headers = {"Cache-Control": PUBLIC_CACHE_CONTROL, "Vary": PUBLIC_VARY}
    else:
        headers = {"Cache-Control": PRIVATE_NO_STORE}
    if download:
        extension = "jpg" if content_type == "image/jpeg" else "png"
        headers["Content-Disposition"] = f'attachment; filename="atelier-{visible.image.image_id[:8]}.{extension}"'
    return Response(body, media_type=content_type, headers=headers)


def _share_url(request: Request, image_id: str) -> str:
    base = request.app.state.settings.public_url or str(request.base_url).rstrip("/")
    return f"{base}/i/{image_id}"


@router.get(
    "/{image_id}/share",
    response_model=ShareLink,
    summary="A share link to the image",
    responses=NOT_FOUND_RESPONSE,
    description="For a public image the link works for anyone (and this endpoint answers anyone who may "
    "see the image); for a private image only its owner gets a link, and the link shows the "
    "image to the owner only — everyone else gets the same 404 as for a missing image.",
)
async def share_image(image_id: str, caller: MaybeCaller, request: Request, response: Response) -> ShareLink:
    deps = deps_of(request)
    visible = await visible_image(image_id, caller, deps.visibility, deps.generations)
    _no_store(response)
    return ShareLink(
        image_id=visible.image.image_id,
        url=_share_url(request, visible.image.image_id),
        visibility=visible.visibility,
        works_for={"public": "anyone", "team": "team_members"}.get(visible.visibility, "owner_only"),
    )


@router.patch(
    "/{image_id}",
    response_model=ImageDetail,
    response_model_exclude_none=True,
    summary="Make one of my images public or private",
    responses={
        403: {"description": "the plan or the operator's policy forbids it; the detail says why"},
        **NOT_FOUND_RESPONSE,
    },
    description="Once this has answered, no request that starts afterwards gets a now-private image "
    "from any Atelier endpoint (P2).",
)
async def change_visibility(
    image_id: str, body: VisibilityChange, caller: CurrentCaller, request: Request, response: Response
) -> ImageDetail:
    deps = deps_of(request)
    canonical = canonical_uuid(image_id)
    if canonical is None:
        raise image_not_found()
    state = await deps.visibility.set_one(caller.user_id, canonical, body.visibility, _team(body.team_id))
    image = await deps.generations.image(canonical, caller.user_id)
    if image is None or image.owner_id != caller.user_id:
        raise image_not_found()
    _no_store(response)
    return await _detail(deps, caller, VisibleImage(image, state.visibility, True, state.team_id))


@router.post(
    "/visibility",
    response_model=BulkVisibilityResult,
    summary="Make many of my images public or private",
    description="Refusals are per image, never all-or-nothing: another user's image, a deleted or "
    'unknown one is refused with "Image not found."; an image the plan or policy keeps '
    "as it is, with the reason. Images already at the visibility asked for count as "
    "updated. At most 500 ids per request.",
)
async def change_visibility_in_bulk(
    body: BulkVisibilityChange, caller: CurrentCaller, request: Request
) -> BulkVisibilityResult:
    ids: list[str] = []
    refused: list[RefusalOut] = []
    for raw in dict.fromkeys(body.image_ids):
        canonical = canonical_uuid(raw)
        if canonical is None:
            refused.append(RefusalOut(image_id=raw, reason=IMAGE_NOT_FOUND))
        elif canonical not in ids:
            ids.append(canonical)
    updated: list[str] = []
    if ids:
        states, refusals = await deps_of(request).visibility.set_many(
            caller.user_id, ids, body.visibility, _team(body.team_id)
        )
        updated = [state.image_id for state in states]
        refused.extend(RefusalOut(image_id=r.image_id, reason=r.reason) for r in refusals)
    return BulkVisibilityResult(visibility=body.visibility, updated=updated, refused=refused)
