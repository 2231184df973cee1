"""What GET /api/v1/images/{id} adds for a viewer who may see the image (checked before this runs,
by access.visible_image): how it was made, its likes, and its remix source.

- How it was made (`recipe`: prompt, magic prompt, negative prompt, colour palette, aspect ratio,
  the image's seed) is shown to anyone who may see the image (for a public image, to everyone:
  "copy prompt"); the older top-level owner-only fields (generation_id, seed, content_type) stay
  the owner's. It comes from the image's generation, read as its owner would read it (the
  generation service keeps generations for their owners only); of that generation only these
  parameters are used, never its other images, which may be private.
- Likes come from the feed (asked with the viewer, so the feed checks the authority too); whether
  the image is pinned is shown to its owner only. The feed unreachable: the likes are left out, the
  image is still shown.
- Lineage (`remixed_from`, `style_from`) is shown only while the source is visible to this viewer, asked of the
  authority now; otherwise the field is absent, exactly as for an image that is no remix.
"""

from __future__ import annotations

import asyncio
import logging

from atelier.feed.v1 import feed_pb2
from atelier.generation.v1 import generation_pb2
from services.gateway.api.access import VisibleImage, image_not_found
from services.gateway.api.schemas import ImageDetail, Recipe, RemixSource
from services.gateway.api.views import content_url, kind_name
from services.gateway.auth.security import Caller
from services.gateway.dependencies import GatewayDeps
from services.gateway.problems import Problem

log = logging.getLogger(__name__)


async def _generation(deps: GatewayDeps, image: generation_pb2.Image) -> generation_pb2.Generation:
    try:
        return await deps.generations.get(image.generation_id, image.owner_id)
    except Problem as problem:
        if problem.status == 404:  # deleted since the authority answered
            raise image_not_found() from None
        raise


async def _social(deps: GatewayDeps, viewer_id: str, image_id: str) -> feed_pb2.ImageSocial | None:
    try:
        return (await deps.feed.social(viewer_id, [image_id])).get(image_id)
    except Problem as problem:
        if problem.status < 500:
            raise
        log.warning("likes not shown: the feed did not answer", extra={"status": problem.status})
        return None


async def _source(deps: GatewayDeps, viewer_id: str, source_image_id: str) -> str | None:
    if not source_image_id:
        return None
    return source_image_id if source_image_id in await deps.visibility.authorize(viewer_id, [source_image_id]) else None


async def add_facts(detail: ImageDetail, deps: GatewayDeps, caller: Caller | None, visible: VisibleImage) -> None:
    image = visible.image
    viewer_id = caller.user_id if caller is not None else ""
    generation, social, source = await asyncio.gather(
        _generation(deps, image),
        _social(deps, viewer_id, image.image_id),
        _source(deps, viewer_id, image.source_image_id),
    )
    if generation.generation_id != image.generation_id or generation.owner_id != image.owner_id:
        raise image_not_found()
    params = generation.params
    detail.recipe = Recipe(
        prompt=image.prompt or params.prompt,
        magic_prompt=generation.magic_prompt or None,
        negative_prompt=params.negative_prompt or None,
        color_palette=list(params.color_palette),
        aspect_ratio=params.aspect_ratio or None,
        seed=image.seed,
    )
    if social is not None:
        detail.like_count = social.like_count
        if caller is not None:
            detail.liked_by_you = social.liked_by_viewer
        if visible.is_owner:
            detail.pinned = social.pinned
    if source is not None:
        kind = kind_name(params.kind)
        by = "remix" if kind == "generate" else kind
        detail.remixed_from = RemixSource(image_id=source, url=content_url(source), by=by)
    if style := await _source(deps, viewer_id, params.style_image_id):
        detail.style_from = RemixSource(image_id=style, url=content_url(style), by="style")
