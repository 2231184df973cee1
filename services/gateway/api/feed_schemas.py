"""Request and response bodies of the feed, social actions, profiles, remix and retry."""

import uuid
from datetime import datetime

from pydantic import BaseModel, Field, field_validator

from services.gateway.api.schemas import (
    MAX_IMAGES,
    MAX_SEED,
    MAX_STEPS,
    PROMPT_MAX_LENGTH,
    AspectRatio,
    HexColour,
    VisibilityName,
    _Request,
)

FEED_PAGE_SIZE_DEFAULT = 24
FEED_PAGE_SIZE_MAX = 50
# The feed service's own bounds (services/feed/social.py).
QUERY_MAX_LENGTH = 200
REPORT_REASON_MAX_LENGTH = 500


class OwnerOut(BaseModel):
    username: str | None = Field(description="null only for an account that no longer exists")
    avatar_url: str | None = Field(description="the owner's profile photo, only while it is visible to you")


class FeedItemOut(BaseModel):
    image_id: uuid.UUID
    url: str
    prompt: str
    owner: OwnerOut
    like_count: int
    liked_by_you: bool
    created_at: datetime | None
    width: int
    height: int
    owned_by_you: bool
    visibility: VisibilityName = Field(
        description="always public, except your own pinned private images on your own profile"
    )


class FeedPage(BaseModel):
    items: list[FeedItemOut]
    next_cursor: str | None


class SetImageOut(BaseModel):
    image_id: uuid.UUID
    url: str
    width: int
    height: int


class FeedSetOut(FeedItemOut):
    """One card per generation: the item that stands for its set (the cover) and the set's images."""

    set_images: list[SetImageOut] = Field(
        description="the images of the cover's generation public right now, in their order (the cover among them)"
    )
    pinned: bool | None = Field(default=None, description="your own cards only: whether the cover is pinned")


class FeedSetPage(BaseModel):
    items: list[FeedSetOut]
    next_cursor: str | None = Field(
        description="a set may go on on the next page: skip a card whose images you have shown already"
    )


class LikeState(BaseModel):
    image_id: uuid.UUID
    like_count: int
    liked_by_you: bool


class PinState(BaseModel):
    image_id: uuid.UUID
    pinned: bool


class ReportCreate(_Request):
    reason: str = Field(min_length=1, max_length=REPORT_REASON_MAX_LENGTH)

    @field_validator("reason")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("The reason must contain some text.")
        return value.strip()


class ReportReceived(BaseModel):
    image_id: uuid.UUID
    received: bool = True


class ProfileOut(BaseModel):
    username: str
    avatar_url: str | None = Field(description="only while the photo is visible to you")
    is_you: bool
    pinned: list[FeedItemOut] = Field(description="first page only (no cursor); empty on later pages")
    images: list[FeedItemOut] = Field(description="public images, newest first")
    next_cursor: str | None


class AvatarChange(_Request):
    # JSON carries a UUID as a string, which strict mode would refuse.
    image_id: uuid.UUID = Field(strict=False)


class AvatarOut(BaseModel):
    avatar_image_id: uuid.UUID
    avatar_url: str


class RemixCreate(_Request):
    prompt: str = Field(min_length=1, max_length=PROMPT_MAX_LENGTH)
    strength: float | None = Field(
        default=None,
        gt=0,
        le=1,
        strict=False,
        description="how far the new images move away from the source (0 < s ≤ 1); absent: the model's default (0.6)",
    )
    negative_prompt: str = Field(default="", max_length=PROMPT_MAX_LENGTH)
    seed: int | None = Field(default=None, ge=0, le=MAX_SEED, description="random when absent")
    num_images: int = Field(default=4, ge=1, le=MAX_IMAGES)
    aspect_ratio: AspectRatio | None = Field(default=None, description="absent: the source's")
    magic_prompt: bool = False
    color_palette: list[HexColour] = Field(default_factory=list, max_length=8)
    visibility: VisibilityName | None = Field(default=None, description="as for POST /api/v1/generations")
    steps: int | None = Field(default=None, ge=1, le=MAX_STEPS)

    @field_validator("prompt")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("The prompt must contain some text.")
        return value
