"""What a share page (`/i/<id>`) may tell a link preview (Open Graph, Twitter cards) about an image.

Built from the image exactly as an anonymous visitor gets it from `GET /api/v1/images/{id}`: the
authority is asked for the anonymous viewer (P1), so only an image public right now has a preview,
and the prompt is in it only where that view carries the recipe. Chat apps and crawlers fetch
share links without credentials, so a preview never depends on who asks: the owner of a private
image gets the page without any tags.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.gateway.api.access import visible_image
from services.gateway.api.image_facts import add_facts
from services.gateway.api.views import content_url, image_detail
from services.gateway.dependencies import GatewayDeps
from services.gateway.problems import Problem

TITLE_MAX_CHARS = 70
DESCRIPTION_MAX_CHARS = 300


@dataclass(frozen=True)
class SharePreview:
    title: str
    description: str
    image_path: str  # absolute path of the public bytes (the page makes it an absolute URL)
    width: int
    height: int


def _shortened(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


async def public_preview(image_id: str, deps: GatewayDeps) -> SharePreview | None:
    """The preview of an image public now; None for anything else (private, deleted, unknown or
    malformed ids alike). The authority unreachable: its 503 Problem propagates (fail closed)."""
    try:
        visible = await visible_image(image_id, None, deps.visibility, deps.generations)
    except Problem as problem:
        if problem.status == 404:
            return None
        raise
    image = visible.image
    owner = (await deps.accounts.usernames([image.owner_id])).get(image.owner_id)
    detail = image_detail(
        image, visibility=visible.visibility, owned_by_you=False, owner_username=owner, download_formats=[]
    )
    await add_facts(detail, deps, None, visible)
    prompt = detail.recipe.prompt if detail.recipe is not None else ""
    by = f"by {owner} " if owner else ""
    return SharePreview(
        title=_shortened(prompt, TITLE_MAX_CHARS) if prompt else f"An image {by}on Atelier",
        description=_shortened(
            f"{prompt} — {by}on Atelier" if prompt else f"An image {by}on Atelier", DESCRIPTION_MAX_CHARS
        ),
        image_path=content_url(image.image_id),
        width=image.width,
        height=image.height,
    )
