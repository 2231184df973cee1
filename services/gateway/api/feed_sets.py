"""Feed items grouped into sets: one card per generation instead of one per image.

A page of the feed (already authorised for the viewer, feed_views.PageContext) is folded so that
the first item of each generation on the page stands for its set (the cover). The set's images come
from the generation, read as its owner would (the generation service keeps generations for their
owners), and every one of them is authorised again, as an anonymous visitor, in one batched call:
a card carries only the images of its set that are public at this request (P1). A cover that is no
longer public drops its card, so a set whose images all went private disappears. The viewer's own
cards say whether the cover is pinned (so a card can pin and unpin).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from atelier.generation.v1 import generation_pb2
from services.gateway.api.feed_schemas import FeedItemOut, FeedSetOut, SetImageOut
from services.gateway.api.views import content_url
from services.gateway.dependencies import GatewayDeps
from services.gateway.problems import Problem

ANONYMOUS = ""


async def _set_members(deps: GatewayDeps, generation_id: str, owner_id: str) -> list[generation_pb2.Image]:
    try:
        generation = await deps.generations.get(generation_id, owner_id)
    except Problem as problem:
        if problem.status == 404:  # deleted since the page was read
            return []
        raise
    if generation.owner_id != owner_id:
        return []
    return sorted(generation.images, key=lambda image: image.index)


async def group_into_sets(deps: GatewayDeps, viewer_id: str, items: Sequence[FeedItemOut]) -> list[FeedSetOut]:
    if not items:
        return []
    images = await deps.generations.images([str(item.image_id) for item in items], viewer_id)
    generation_of = {image.image_id: (image.generation_id, image.owner_id) for image in images}
    covers: dict[tuple[str, str], FeedItemOut] = {}
    for item in items:
        key = generation_of.get(str(item.image_id))
        if key is not None:
            covers.setdefault(key, item)
    members = await asyncio.gather(*(_set_members(deps, generation_id, owner) for generation_id, owner in covers))
    candidates = [image.image_id for images_of_set in members for image in images_of_set]
    public = await deps.visibility.authorize(ANONYMOUS, candidates) if candidates else set()
    own = [str(cover.image_id) for cover in covers.values() if cover.owned_by_you]
    social = await deps.feed.social(viewer_id, own) if own else {}
    cards: list[FeedSetOut] = []
    for cover, images_of_set in zip(covers.values(), members, strict=True):
        shown = [
            SetImageOut(
                image_id=image.image_id, url=content_url(image.image_id), width=image.width, height=image.height
            )
            for image in images_of_set
            if image.image_id in public
        ]
        if any(str(image.image_id) == str(cover.image_id) for image in shown):
            pinned = social[str(cover.image_id)].pinned if str(cover.image_id) in social else None
            cards.append(FeedSetOut(**cover.model_dump(), set_images=shown, pinned=pinned))
    return cards
