"""The public feed: newest or top public images, optionally only those whose prompt matches a search.

Anyone may read it, anonymous visitors included. It holds public images only: the feed service
checks every page against the visibility authority for the viewer, and the gateway checks the page
again (one batched call, together with the owners' profile photos) before showing it, so an image
made private is gone from the very next request (P1, P2). Keyset pages with opaque cursors; a page
may hold fewer than `limit` items, follow `next_cursor` until it is null.
"""

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from services.gateway.api.access import PRIVATE_NO_STORE
from services.gateway.api.feed_schemas import (
    FEED_PAGE_SIZE_DEFAULT,
    FEED_PAGE_SIZE_MAX,
    QUERY_MAX_LENGTH,
    FeedItemOut,
    FeedPage,
    FeedSetPage,
)
from services.gateway.api.feed_sets import group_into_sets
from services.gateway.api.feed_views import PageContext
from services.gateway.auth.security import Caller, MaybeCaller
from services.gateway.dependencies import deps_of

router = APIRouter(prefix="/api/v1", tags=["feed"])


TopWindow = Literal["day", "week", "all"]
WINDOW_WORDS = "`window` (top only): `day`, `week` (default) or `all` (every like ever)"


class FeedQuery:
    """The query parameters of both listings."""

    def __init__(
        self,
        sort: Literal["new", "top"] = "new",
        q: Annotated[str, Query(max_length=QUERY_MAX_LENGTH, description="words to look for in prompts")] = "",
        cursor: Annotated[str | None, Query(max_length=1000, description="next_cursor of the previous page")] = None,
        limit: Annotated[int, Query(ge=1, le=FEED_PAGE_SIZE_MAX)] = FEED_PAGE_SIZE_DEFAULT,
        window: TopWindow = "week",
    ):
        self.sort, self.q, self.cursor, self.limit, self.window = sort, " ".join(q.split()), cursor, limit, window


async def _page(caller: Caller | None, request: Request, query: FeedQuery) -> tuple[str, list[FeedItemOut], str | None]:
    deps = deps_of(request)
    viewer_id = caller.user_id if caller is not None else ""
    page = await deps.feed.list_feed(viewer_id, query.sort, query.q, query.limit, query.cursor or "", query.window)
    context = await PageContext.load(deps, viewer_id, page.items)
    return viewer_id, context.items(page.items, viewer_id), page.next_cursor or None


@router.get(
    "/feed",
    response_model=FeedPage,
    summary="Public images: newest, top, or a prompt search",
    description="`sort=new` (default): newest first; `sort=top`: most liked over a window, "
    f"{WINDOW_WORDS}. `q` "
    'searches prompts (English stemming: "circles" finds "circle"). Anonymous callers '
    f"welcome. `limit` 1–{FEED_PAGE_SIZE_MAX} (default {FEED_PAGE_SIZE_DEFAULT}); keyset pages "
    "(a cursor belongs to one sort and search). Owners appear by username, with their "
    "profile photo while it is visible to you. "
    f"Always `Cache-Control: {PRIVATE_NO_STORE}`.",
)
async def feed(
    caller: MaybeCaller, request: Request, response: Response, query: Annotated[FeedQuery, Depends()]
) -> FeedPage:
    _, items, next_cursor = await _page(caller, request, query)
    response.headers["Cache-Control"] = PRIVATE_NO_STORE
    return FeedPage(items=items, next_cursor=next_cursor)


@router.get(
    "/feed/sets",
    response_model=FeedSetPage,
    summary="The public feed, one card per generation",
    description="The items of `GET /api/v1/feed` (same parameters), folded into one card per "
    "generation: the first image of each generation on the page stands for it, with `set_images`, "
    "the images of that generation public right now. A set may continue on the next page: skip "
    "a card whose images were shown already. "
    f"Always `Cache-Control: {PRIVATE_NO_STORE}`.",
)
async def feed_sets(
    caller: MaybeCaller, request: Request, response: Response, query: Annotated[FeedQuery, Depends()]
) -> FeedSetPage:
    viewer_id, items, next_cursor = await _page(caller, request, query)
    cards = await group_into_sets(deps_of(request), viewer_id, items)
    response.headers["Cache-Control"] = PRIVATE_NO_STORE
    return FeedSetPage(items=cards, next_cursor=next_cursor)
