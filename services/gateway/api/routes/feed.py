"""The public feed: newest or top public images, optionally only those whose prompt matches a search.

Anyone may read it, anonymous visitors included. It holds public images only: the feed service
checks every page against the visibility authority for the viewer, and the gateway checks the page
again (one batched call, together with the owners' profile photos) before showing it, so an image
made private is gone from the very next request (P1, P2). Keyset pages with opaque cursors; a page
may hold fewer than `limit` items, follow `next_cursor` until it is null.
"""

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from services.gateway.api.access import PRIVATE_NO_STORE
from services.gateway.api.feed_schemas import FEED_PAGE_SIZE_DEFAULT, FEED_PAGE_SIZE_MAX, QUERY_MAX_LENGTH, FeedPage
from services.gateway.api.feed_views import PageContext
from services.gateway.auth.security import MaybeCaller
from services.gateway.dependencies import deps_of

router = APIRouter(prefix="/api/v1", tags=["feed"])


@router.get(
    "/feed",
    response_model=FeedPage,
    summary="Public images: newest, top, or a prompt search",
    description="`sort=new` (default): newest first; `sort=top`: most liked over the last 7 days. `q` "
    'searches prompts (English stemming: "circles" finds "circle"). Anonymous callers '
    f"welcome. `limit` 1–{FEED_PAGE_SIZE_MAX} (default {FEED_PAGE_SIZE_DEFAULT}); keyset pages "
    "(a cursor belongs to one sort and search). Owners appear by username, with their "
    "profile photo while it is visible to you. "
    f"Always `Cache-Control: {PRIVATE_NO_STORE}`.",
)
async def feed(
    caller: MaybeCaller,
    request: Request,
    response: Response,
    sort: Literal["new", "top"] = "new",
    q: Annotated[str, Query(max_length=QUERY_MAX_LENGTH, description="words to look for in prompts")] = "",
    cursor: Annotated[str | None, Query(max_length=1000, description="next_cursor of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=FEED_PAGE_SIZE_MAX)] = FEED_PAGE_SIZE_DEFAULT,
) -> FeedPage:
    deps = deps_of(request)
    viewer_id = caller.user_id if caller is not None else ""
    page = await deps.feed.list_feed(viewer_id, sort, " ".join(q.split()), limit, cursor or "")
    context = await PageContext.load(deps, viewer_id, page.items)
    response.headers["Cache-Control"] = PRIVATE_NO_STORE
    return FeedPage(items=context.items(page.items, viewer_id), next_cursor=page.next_cursor or None)
