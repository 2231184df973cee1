"""What people do with images they may see: like / unlike (public or own images), pin / unpin to
their own profile (own images), report (any image they may see).

All need an account (anonymous: 401). The feed service decides with the visibility authority at
the moment of the request: an image the caller may not see — another user's private image, a
deleted or unknown one — and, for pins, an image the caller does not own, answers the very same
404 as every other image endpoint ("Image not found."). A report is received (202) and goes to
the operators' moderation queue; an image reported by enough different people is hidden from the
feed pending review. The reporter is not told whether that happened.
"""

from fastapi import APIRouter, Request, status

from glue.ids import canonical_uuid
from services.gateway.api.access import NOT_FOUND_RESPONSE, OpenApiResponses, image_not_found
from services.gateway.api.feed_schemas import LikeState, PinState, ReportCreate, ReportReceived
from services.gateway.auth.security import CurrentCaller
from services.gateway.dependencies import deps_of

router = APIRouter(prefix="/api/v1/images", tags=["social"])

NEEDS_ACCOUNT: OpenApiResponses = {401: {"description": "log in or send an API key"}}


def _image_id(image_id: str) -> str:
    canonical = canonical_uuid(image_id)
    if canonical is None:
        raise image_not_found()
    return canonical


@router.post(
    "/{image_id}/like",
    response_model=LikeState,
    summary="Like an image (public or my own)",
    responses={**NOT_FOUND_RESPONSE, **NEEDS_ACCOUNT},
    description="Idempotent.",
)
async def like(image_id: str, caller: CurrentCaller, request: Request) -> LikeState:
    canonical = _image_id(image_id)
    count = await deps_of(request).feed.like(caller.user_id, canonical)
    return LikeState(image_id=canonical, like_count=count, liked_by_you=True)


@router.delete(
    "/{image_id}/like",
    response_model=LikeState,
    summary="Take my like back",
    responses={**NOT_FOUND_RESPONSE, **NEEDS_ACCOUNT},
    description="Idempotent.",
)
async def unlike(image_id: str, caller: CurrentCaller, request: Request) -> LikeState:
    canonical = _image_id(image_id)
    count = await deps_of(request).feed.unlike(caller.user_id, canonical)
    return LikeState(image_id=canonical, like_count=count, liked_by_you=False)


@router.post(
    "/{image_id}/pin",
    response_model=PinState,
    summary="Pin one of my images to my profile",
    responses={
        **NOT_FOUND_RESPONSE,
        **NEEDS_ACCOUNT,
        409: {"description": "as many pins as allowed (50); unpin one first"},
    },
    description="Own images only: anyone else's image answers 404. A pinned private image shows on "
    "my profile to me only. An image I have just generated can be pinned once the feed "
    "has heard of it (usually within a second).",
)
async def pin(image_id: str, caller: CurrentCaller, request: Request) -> PinState:
    canonical = _image_id(image_id)
    await deps_of(request).feed.pin(caller.user_id, canonical)
    return PinState(image_id=canonical, pinned=True)


@router.delete(
    "/{image_id}/pin",
    response_model=PinState,
    summary="Unpin one of my images",
    responses={**NOT_FOUND_RESPONSE, **NEEDS_ACCOUNT},
)
async def unpin(image_id: str, caller: CurrentCaller, request: Request) -> PinState:
    canonical = _image_id(image_id)
    await deps_of(request).feed.unpin(caller.user_id, canonical)
    return PinState(image_id=canonical, pinned=False)


@router.post(
    "/{image_id}/report",
    response_model=ReportReceived,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Report an image to the moderators",
    responses={**NOT_FOUND_RESPONSE, **NEEDS_ACCOUNT},
    description="`reason`: 1–500 characters. One report per person per image (a repeat is accepted "
    "and ignored). Enough reports from different people hide the image from the feed until "
    "an operator reviews it.",
)
async def report(image_id: str, body: ReportCreate, caller: CurrentCaller, request: Request) -> ReportReceived:
    canonical = _image_id(image_id)
    await deps_of(request).feed.report(caller.user_id, canonical, body.reason)
    return ReportReceived(image_id=canonical)
