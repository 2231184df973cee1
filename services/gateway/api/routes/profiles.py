"""Profiles: a user's profile photo, pinned images and public images; setting my profile photo (the
profile page, /u/<username>, is one of the web pages: web/pages.py).

A profile shows only what the viewer may see, asked of the visibility authority at the request (the
feed service asks for its items, the gateway asks again together with the photo): to everyone else
a private image never appears, pinned or not, and a profile photo made private (or deleted) is
simply absent. Owners viewing their own profile also see their pinned private images, marked
private. An unknown username answers 404.

The profile photo is one of my own images (404 for anything else, exactly as on every image
endpoint); its bytes are served by the ordinary image content path, authorised at each request.
"""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from services.gateway.api.access import (
    NOT_FOUND_RESPONSE,
    PRIVATE_NO_STORE,
    current_visibility,
    image_not_found,
    visible_image,
)
from services.gateway.api.feed_schemas import (
    FEED_PAGE_SIZE_DEFAULT,
    FEED_PAGE_SIZE_MAX,
    AvatarChange,
    AvatarOut,
    ProfileOut,
)
from services.gateway.api.feed_views import PageContext, avatar_url
from services.gateway.api.views import content_url
from services.gateway.auth.security import CurrentCaller, MaybeCaller
from services.gateway.dependencies import deps_of
from services.gateway.problems import not_found

router = APIRouter(prefix="/api/v1", tags=["profiles"])

USERNAME_MAX_LENGTH = 64


@router.get(
    "/users/{username}",
    response_model=ProfileOut,
    summary="A user's public profile",
    responses={404: {"description": "no such user"}},
    description="Profile photo (while it is visible to you), pinned images (first page only) and public "
    f"images, newest first, in keyset pages (`limit` 1–{FEED_PAGE_SIZE_MAX}, default "
    f"{FEED_PAGE_SIZE_DEFAULT}). Anonymous callers welcome. Your own profile also shows your "
    f"pinned private images, marked private. Always `Cache-Control: {PRIVATE_NO_STORE}`.",
)
async def profile(
    username: str,
    caller: MaybeCaller,
    request: Request,
    response: Response,
    cursor: Annotated[str | None, Query(max_length=1000, description="next_cursor of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=FEED_PAGE_SIZE_MAX)] = FEED_PAGE_SIZE_DEFAULT,
) -> ProfileOut:
    deps = deps_of(request)
    response.headers["Cache-Control"] = PRIVATE_NO_STORE
    user = await deps.accounts.user_by_username(username) if len(username) <= USERNAME_MAX_LENGTH else None
    if user is None:
        raise not_found("User")
    owner_id = str(user.id)
    viewer_id = caller.user_id if caller is not None else ""
    page = await deps.feed.profile(owner_id, viewer_id, limit, cursor or "")
    # The feed answers about this owner's images only; checked again, since anything else would be
    # someone else's image shown under this name.
    pinned = [item for item in page.pinned if item.owner_id == owner_id]
    images = [item for item in page.images if item.owner_id == owner_id]
    context = await PageContext.load(deps, viewer_id, pinned + images, extra_users=[user])
    is_you = viewer_id == owner_id
    current: dict[str, str] = {}
    if is_you:
        # The owner may see their own private images: say which ones are, and keep a just-made-private
        # image (the feed's index may lag a moment) out of the public list.
        current = dict(await current_visibility(deps.visibility, owner_id, [i.image_id for i in pinned + images]))
        images = [item for item in images if current.get(item.image_id) == "public"]
    return ProfileOut(
        username=user.username,
        avatar_url=avatar_url(user, context.allowed),
        is_you=is_you,
        pinned=context.items(pinned, viewer_id, current if is_you else None),
        images=context.items(images, viewer_id),
        next_cursor=page.next_cursor or None,
    )


@router.put(
    "/me/avatar",
    response_model=AvatarOut,
    summary="Set my profile photo (one of my images)",
    responses={**NOT_FOUND_RESPONSE, 401: {"description": "log in or send an API key"}},
    description="Own images only: anyone else's image answers 404. Others see the photo only while the "
    "image is visible to them: a private photo shows to me alone.",
)
async def set_avatar(body: AvatarChange, caller: CurrentCaller, request: Request) -> AvatarOut:
    deps = deps_of(request)
    visible = await visible_image(str(body.image_id), caller, deps.visibility, deps.generations)
    if not visible.is_owner:
        raise image_not_found()
    await deps.accounts.set_avatar(caller.user, visible.image.image_id)
    return AvatarOut(
        avatar_image_id=visible.image.image_id, avatar_url=f"{content_url(visible.image.image_id)}?size=thumb"
    )


@router.delete(
    "/me/avatar", status_code=status.HTTP_204_NO_CONTENT, response_class=Response, summary="Remove my profile photo"
)
async def remove_avatar(caller: CurrentCaller, request: Request) -> Response:
    await deps_of(request).accounts.set_avatar(caller.user, None)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
