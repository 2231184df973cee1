"""The studio's advanced options, as a user leaves them for next time (GET/PUT /api/v1/me/studio-options).
The same input rules as a generation request, so what is remembered can always be sent."""

from pydantic import Field

from services.gateway.api.schemas import (
    MAX_IMAGES,
    MAX_SEED,
    PROMPT_MAX_LENGTH,
    AspectRatio,
    HexColour,
    _Request,
)


class StudioOptions(_Request):
    negative_prompt: str = Field(default="", max_length=PROMPT_MAX_LENGTH)
    seed: int | None = Field(default=None, ge=0, le=MAX_SEED, description="kept only while seed_locked")
    seed_locked: bool = False
    magic_prompt: bool = False
    color_palette: list[HexColour] = Field(default_factory=list, max_length=8)
    aspect_ratio: AspectRatio = "1:1"
    num_images: int = Field(default=4, ge=1, le=MAX_IMAGES)
    drawer_open: bool = Field(default=False, description="whether the advanced options were shown")
