"""Request and response bodies of the public API, with the input rules users are told about.

Request models are strict (a string is not accepted for a number, nor a number for a boolean) and
refuse unknown fields, so that a typo in a field name is reported instead of silently ignored.
"""

import re
import uuid
from datetime import datetime
from typing import Annotated, Literal, Self

from fastapi import Header
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from services.gateway.auth.accounts import (
    PASSWORD_MAX_LENGTH,
    PASSWORD_MIN_LENGTH,
    USERNAME_PATTERN,
    USERNAME_RULE,
    normalize_username,
)

PROMPT_MAX_LENGTH = 1000
MAX_IMAGES = 8
MAX_SEED = 2**32 - 1
MAX_STEPS = 100
AspectRatio = Literal["1:1", "16:9", "9:16", "4:3", "3:4"]
VisibilityName = Literal["public", "private"]
# What an image can be now: the above, or shared with one team's current members (set by a change,
# never at submit).
ImageScope = Literal["public", "private", "team"]


def _hex_colour(value: str) -> str:
    if re.fullmatch(r"#[0-9a-fA-F]{6}", value) is None:
        raise ValueError("Must be a colour written #rrggbb.")
    return value


HexColour = Annotated[str, AfterValidator(_hex_colour), Field(description="a colour as #rrggbb")]


class _Request(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


# accounts


class Credentials(_Request):
    username: str = Field(description=f"{USERNAME_RULE}; case-insensitive", min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=PASSWORD_MAX_LENGTH)

    @field_validator("username")
    @classmethod
    def _normalize(cls, value: str) -> str:
        return normalize_username(value)


class SignupRequest(Credentials):
    password: str = Field(
        min_length=PASSWORD_MIN_LENGTH,
        max_length=PASSWORD_MAX_LENGTH,
        description=f"at least {PASSWORD_MIN_LENGTH} characters",
    )

    @field_validator("username", mode="after")
    @classmethod
    def _follows_rule(cls, value: str) -> str:
        if re.fullmatch(USERNAME_PATTERN, value) is None:
            raise ValueError(f"A username is {USERNAME_RULE}.")
        return value


class LoginRequest(Credentials):
    create_api_key: bool = Field(default=False, description="also create an API key and return it once")


class SignupResponse(BaseModel):
    user_id: uuid.UUID
    username: str
    api_key: str = Field(description="shown only this once")


class LoginResponse(BaseModel):
    user_id: uuid.UUID
    username: str
    api_key: str | None = None


ScopeName = Literal["read", "generate", "manage"]


class ApiKeyCreateRequest(_Request):
    name: str = Field(default="", max_length=100)
    scopes: list[ScopeName] | None = Field(
        default=None,
        min_length=1,
        max_length=3,
        description="what the key may do: `read` (every GET), `generate` (every other change to images and "
        "generations), `manage` (API keys, sessions, password; full control); absent: read and generate",
    )


class ApiKeyOut(BaseModel):
    id: uuid.UUID
    name: str
    prefix: str = Field(description="the first characters of the key, to tell keys apart")
    scopes: list[ScopeName]
    created_at: datetime
    last_used_at: datetime | None = Field(description="to the minute; null: never used")


class ApiKeyCreated(ApiKeyOut):
    api_key: str = Field(description="shown only this once")


class ApiKeyList(BaseModel):
    items: list[ApiKeyOut]


class SessionOut(BaseModel):
    id: uuid.UUID
    created_at: datetime
    last_used_at: datetime | None = Field(description="to the minute; null: not used since it started")
    expires_at: datetime
    user_agent: str = Field(description="the browser that started it, as it named itself")
    current: bool = Field(description="the session this list was asked from")


class SessionList(BaseModel):
    items: list[SessionOut]


class SessionsEnded(BaseModel):
    ended: int = Field(description="how many sessions were ended")


class PasswordChangeRequest(_Request):
    current_password: str = Field(min_length=1, max_length=PASSWORD_MAX_LENGTH)
    new_password: str = Field(
        min_length=PASSWORD_MIN_LENGTH,
        max_length=PASSWORD_MAX_LENGTH,
        description=f"at least {PASSWORD_MIN_LENGTH} characters",
    )


class PermissionOut(BaseModel):
    allowed: bool
    reason: str | None = Field(default=None, description="why not, in a sentence for the user; null when allowed")


class Me(BaseModel):
    user_id: uuid.UUID
    username: str
    plan: str = Field(description="the plan in force now (free after a lapse)")
    plan_display_name: str
    entitlements: list[str]
    credits: int
    avatar_image_id: uuid.UUID | None
    subscription_status: Literal["none", "active", "lapsed"]
    lapsed_plan: str | None = Field(default=None, description="the paid plan that ended, when lapsed")
    current_period_end: datetime | None
    max_concurrent_generations: int
    last_visibility: VisibilityName | None = Field(
        description="the visibility a generation gets when none is asked for (plans with private_generation)"
    )
    permissions: dict[str, PermissionOut] = Field(
        description="per entitlement: whether the plan allows it now, and if not, why"
    )


class PlanOut(BaseModel):
    name: str
    display_name: str
    entitlements: list[str]
    unlocks: list[str] = Field(description="what the entitlements unlock, in words")
    coming_soon: list[str] = Field(description="the entitlements whose features are not built yet")
    monthly_credits: int
    max_concurrent_generations: int
    monthly_price_cents: int = Field(description="a month's price in the currency's smallest unit; 0: not sold")
    currency: str = Field(description="ISO 4217, lower case")
    for_sale: bool = Field(description="whether it can be bought at checkout")


class PlanList(BaseModel):
    items: list[PlanOut]


class WebhookReceived(BaseModel):
    received: bool
    processed: bool = Field(description="false when the event had been processed before (a replay)")
    event_type: str


# generations


# Modes a generation request may name; "" is the default, text-to-image (or a remix with a source).
SUPPORTED_MODES = frozenset({"", "generate"})


class GenerationCreate(_Request):
    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        json_schema_extra={"examples": [{"prompt": "a red circle on a blue background", "num_images": 4}]},
    )

    prompt: str = Field(min_length=1, max_length=PROMPT_MAX_LENGTH)
    negative_prompt: str = Field(default="", max_length=PROMPT_MAX_LENGTH)
    seed: int | None = Field(default=None, ge=0, le=MAX_SEED, description="random when absent")
    num_images: int = Field(default=4, ge=1, le=MAX_IMAGES)
    aspect_ratio: AspectRatio = "1:1"
    magic_prompt: bool = False
    color_palette: list[HexColour] = Field(default_factory=list, max_length=8)
    visibility: ImageScope | None = Field(
        default=None,
        description="absent: public on plans without private_generation, else the user's last choice;"
        ' "team" (with team_id): born shared with a team you are a current member of',
    )
    team_id: uuid.UUID | None = Field(
        default=None, strict=False, description='with "team" (and only then): the team the images are born shared with'
    )
    # JSON carries a UUID as a string, which strict mode would refuse.
    source_image_id: uuid.UUID | None = Field(
        default=None, strict=False, description="remix or style reference (own images)"
    )
    mode: str = Field(
        default="",
        max_length=32,
        pattern=r"^[a-z_]*$",
        description="'generate' or absent (a remix is a generation with source_image_id); no other mode exists yet",
    )
    steps: int | None = Field(
        default=None,
        ge=1,
        le=MAX_STEPS,
        description="denoising steps: fewer is faster and rougher; absent: the model's default",
    )
    strength: float | None = Field(
        default=None,
        gt=0,
        le=1,
        strict=False,
        description="remix only (with source_image_id): how far the new images move "
        "away from the source; absent: the model's default (0.6)",
    )
    style_image_id: uuid.UUID | None = Field(
        default=None,
        strict=False,
        description="style reference: one of my images or a public image whose palette and composition "
        "the new images take on, while still following the prompt",
    )
    style_strength: float | None = Field(
        default=None,
        gt=0,
        le=1,
        strict=False,
        description="with style_image_id: how strongly the reference conditions the images; absent: 0.5",
    )
    model_id: uuid.UUID | None = Field(
        default=None, strict=False, description="a trained custom model of mine or my team's (GET /api/v1/models)"
    )
    model_scale: float | None = Field(
        default=None, gt=0, le=1, strict=False, description="with model_id: how strongly its style applies; absent: 1"
    )

    @field_validator("prompt")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("The prompt must contain some text.")
        return value

    @model_validator(mode="after")
    def _team_goes_with_team(self) -> Self:
        if (self.visibility == "team") != (self.team_id is not None):
            raise ValueError('team_id is required with "team", and only with it')
        return self

    @field_validator("mode")
    @classmethod
    def _supported_mode(cls, value: str) -> str:
        # Accepting a mode that does nothing would charge for an ordinary image (issue 11).
        if value not in SUPPORTED_MODES:
            raise ValueError(
                f"Mode {value!r} is not available. Supported modes: 'generate' (the default: leave mode out)."
            )
        return value


IDEMPOTENCY_KEY_MAX_LENGTH = 200
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=IDEMPOTENCY_KEY_MAX_LENGTH,
        description="repeat a request safely: same key, same generation",
    ),
]


class GenerationAccepted(BaseModel):
    generation_id: uuid.UUID
    status: str


class ProgressOut(BaseModel):
    step: int
    total: int


class ImageOut(BaseModel):
    image_id: uuid.UUID
    url: str
    seed: int
    width: int
    height: int
    visibility: str


# A generation's job kind as the API names it: 'generate' or the action it ran on its source.
JobKindName = Literal[
    "generate",
    "upscale",
    "describe",
    "remove_background",
    "replace_background",
    "fill",
    "extend",
    "edit",
    "train_style",
]


class ParamsOut(BaseModel):
    negative_prompt: str
    seed: int
    num_images: int
    aspect_ratio: str
    magic_prompt: bool
    color_palette: list[str]
    source_image_id: str | None
    mode: str
    kind: JobKindName = Field(
        default="generate",
        description="what the job did: 'generate' (text-to-image, or a remix with source_image_id) or an "
        "action on source_image_id ('upscale': 2x; 'describe': prompt suggestions, no image; "
        "'remove_background': a PNG with alpha; "
        "'fill': a masked region redrawn; 'extend': a grown canvas; 'edit': the editor's operations; "
        "'replace_background': the object kept, the rest redrawn to a prompt)",
    )
    style_image_id: str | None = Field(
        default=None, description="the style reference, only while it is visible to you; otherwise absent"
    )
    style_strength: float | None = Field(default=None, description="with style_image_id: how strongly it conditioned")
    model_id: str | None = Field(
        default=None, description="the custom model (yours or your team's) it was made with, if any"
    )
    model_scale: float | None = Field(default=None, description="with model_id: how strongly its style applied")


class ModelNoticeOut(BaseModel):
    """The model said it cannot draw some of the prompt's words: what it draws, and how to get more."""

    unknown_words: list[str]
    message: str


class GenerationOut(BaseModel):
    generation_id: uuid.UUID
    status: Literal["queued", "running", "succeeded", "failed"]
    progress: ProgressOut
    prompt: str
    magic_prompt: str
    params: ParamsOut
    visibility: str
    images: list[ImageOut]
    error: str | None = None
    created_at: datetime | None
    completed_at: datetime | None
    # Only when the model reported words it cannot draw (the built-in model; never a mounted one).
    model_notice: ModelNoticeOut | None = None
    suggestions: list[str] = Field(
        default_factory=list,
        description="a describe job's answer: up to four prompts that would draw the image, best first",
    )


class GenerationPage(BaseModel):
    items: list[GenerationOut]
    next_cursor: str | None


class ImageMetadata(ImageOut):
    generation_id: uuid.UUID
    prompt: str
    content_type: str
    created_at: datetime | None


class RemixSource(BaseModel):
    image_id: uuid.UUID
    url: str
    # How this image was made from it: a remix (new prompt) or an action on it.
    by: Literal["remix", "upscale", "remove_background", "replace_background", "fill", "extend", "edit", "style"] = (
        "remix"
    )


class Recipe(BaseModel):
    """How an image was made, for "copy prompt" / "use prompt": shown to anyone who may see the image."""

    prompt: str
    magic_prompt: str | None = Field(default=None, description="the expanded prompt, when magic prompt was on")
    negative_prompt: str | None = Field(default=None, description="absent when none was given")
    color_palette: list[str] = Field(default_factory=list)
    aspect_ratio: str | None = None
    seed: int = Field(description="this image's seed")


class ImageDetail(BaseModel):
    """An image as the viewer may see it. Everyone who may see it (anyone, for a public image) gets
    the picture, its prompt and how it was made (`recipe`), its likes, and its remix source while
    that source is visible to them; its owner also gets generation_id, seed, content_type and
    whether it is pinned."""

    image_id: uuid.UUID
    url: str
    width: int
    height: int
    visibility: ImageScope = Field(description="current, from the visibility authority")
    team_id: uuid.UUID | None = Field(default=None, description="owner only: the team a team image is shared with")
    prompt: str
    created_at: datetime | None = None
    owner_username: str | None = None
    owned_by_you: bool
    download_formats: list[Literal["png", "jpg"]] = Field(
        description="what /content?format= gives you at full quality; png only with download_png"
    )
    generation_id: uuid.UUID | None = Field(default=None, description="owner only")
    seed: int | None = Field(default=None, description="owner only (everyone who may see the image: recipe.seed)")
    content_type: str | None = Field(default=None, description="owner only: the stored format")
    recipe: Recipe | None = Field(
        default=None, description="how it was made: prompt, magic prompt, negative prompt, palette, aspect ratio, seed"
    )
    like_count: int | None = Field(default=None, description="absent while the feed cannot answer")
    liked_by_you: bool | None = Field(default=None, description="absent for anonymous viewers")
    pinned: bool | None = Field(default=None, description="owner only: pinned to the owner's profile")
    remixed_from: RemixSource | None = Field(
        default=None, description="the remix source, only while it is visible to you; otherwise absent"
    )
    style_from: RemixSource | None = Field(
        default=None, description="the style reference it was made with, only while it is visible to you"
    )


class _ScopeChange(_Request):
    visibility: ImageScope
    team_id: str | None = Field(
        default=None, description='with "team" (and only then): a team you are a current member of'
    )

    @model_validator(mode="after")
    def _team_goes_with_team(self) -> Self:
        if (self.visibility == "team") != (self.team_id is not None):
            raise ValueError('team_id is required with "team", and only with it')
        return self


class VisibilityChange(_ScopeChange):
    pass


MAX_BULK_IMAGES = 500


class BulkVisibilityChange(_ScopeChange):
    image_ids: list[str] = Field(min_length=1, max_length=MAX_BULK_IMAGES)


class PendingDeletion(BaseModel):
    generation_id: uuid.UUID
    deleted_image_ids: list[uuid.UUID]
    undo_until: datetime = Field(description="POST /api/v1/generations/{id}/restore works until then")


class RestoredGeneration(BaseModel):
    generation_id: uuid.UUID
    restored_image_ids: list[uuid.UUID]


MAX_ZIP_IMAGES = 100


class CreationsZip(_Request):
    image_ids: list[str] = Field(min_length=1, max_length=MAX_ZIP_IMAGES)


class RefusalOut(BaseModel):
    image_id: str
    reason: str


class BulkVisibilityResult(BaseModel):
    visibility: ImageScope
    updated: list[str] = Field(description="ids now at the visibility asked for (including those already at it)")
    refused: list[RefusalOut]


class CreationItem(BaseModel):
    image_id: uuid.UUID
    generation_id: uuid.UUID
    url: str
    width: int
    height: int
    seed: int
    visibility: ImageScope = Field(description="current, from the visibility authority")
    prompt: str
    created_at: datetime | None


class CreationsPage(BaseModel):
    items: list[CreationItem]
    next_cursor: str | None


class ShareLink(BaseModel):
    image_id: uuid.UUID
    url: str
    visibility: ImageScope
    works_for: Literal["anyone", "owner_only", "team_members"]
