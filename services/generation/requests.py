"""Validation of a generation request: turns the wire parameters into a complete, checked spec.

Limits are part of the public contract (README, API): a violation names the field and the rule.
"""

import math
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from atelier.generation.v1 import generation_pb2
from glue.ids import canonical_uuid

# Text-to-image (or a remix); every other job kind is an image action (services/generation/actions).
GENERATE = "generate"
# A custom model's training (services/generation/custom_models.py): made by CreateCustomModel only.
TRAIN_STYLE = "train_style"
_KIND_PREFIX = "JOB_KIND_"


def kind_to_proto(kind: str) -> generation_pb2.JobKind:
    """The wire value of a job kind: JOB_KIND_<KIND>."""
    return cast("generation_pb2.JobKind", generation_pb2.JobKind.Value(_KIND_PREFIX + kind.upper()))


def kind_from_proto(value: int) -> str | None:
    """The job kind a wire value names (UNSPECIFIED: generate); None for a value this build does not know."""
    if value == generation_pb2.JOB_KIND_UNSPECIFIED:
        return GENERATE
    try:
        return generation_pb2.JobKind.Name(value).removeprefix(_KIND_PREFIX).lower()
    except ValueError:
        return None


MAX_PROMPT_CHARS = 1000
MAX_IMAGES = 8
DEFAULT_IMAGES = 4
MAX_STEPS = 100
MAX_GUIDANCE = 20.0
MAX_SEED = 2**32 - 1
MAX_PALETTE = 8
DEFAULT_STRENGTH = 0.6  # remix: how far the new images move away from the source
# Style reference: how strongly its palette and composition condition the new images (README).
DEFAULT_STYLE_STRENGTH = 0.5
DEFAULT_MODEL_SCALE = 1.0  # a custom model's style at full strength
# Display sizes by aspect ratio; multiples of 8 as latent-diffusion pipelines require.
ASPECT_SIZES = {
    "1:1": (512, 512),
    "16:9": (512, 288),
    "9:16": (288, 512),
    "4:3": (512, 384),
    "3:4": (384, 512),
}
VISIBILITIES = ("public", "private")
# "" is the default (text-to-image, or a remix with a source). Upscale and the other image actions
# are not built yet: accepting their names would charge for an ordinary image (issue 11).
MODES = ("", "generate")
_HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


class InvalidRequest(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field


@dataclass(frozen=True)
class GenerationSpec:
    prompt: str
    negative_prompt: str
    seed: int
    num_images: int
    aspect_ratio: str
    width: int
    height: int
    magic_prompt: bool
    color_palette: tuple[str, ...]
    steps: int  # 0: the model's own default, which only the model knows
    guidance: float
    visibility: str
    source_image_id: str  # "" or a canonical UUID: the remix source
    mode: str
    strength: float | None = None  # set exactly when source_image_id is
    # "generate", or an image action (services/generation/actions) working on source_image_id.
    kind: str = GENERATE
    # Style reference: "" or a canonical UUID, and its strength (set exactly when it is).
    style_image_id: str = ""
    style_strength: float | None = None
    # An image action's own options (ImageAction.options_of), stored with the job.
    options: Mapping[str, Any] = field(default_factory=dict)
    # A custom model of the owner's: "" or a canonical UUID, and its scale (set exactly when it is).
    model_id: str = ""
    model_scale: float | None = None


def validate(
    *,
    prompt: str,
    negative_prompt: str = "",
    seed: int | None = None,
    num_images: int = 0,
    aspect_ratio: str = "",
    magic_prompt: bool = False,
    color_palette: list[str] | tuple[str, ...] = (),
    steps: int = 0,
    guidance: float = 0.0,
    visibility: str = "",
    source_image_id: str = "",
    mode: str = "",
    strength: float = 0.0,
    style_image_id: str = "",
    style_strength: float = 0.0,
    model_id: str = "",
    model_scale: float = 0.0,
) -> GenerationSpec:
    """Zero or empty values mean "use the default" (proto3 cannot tell unset from zero)."""
    prompt = prompt.strip()
    if not prompt:
        raise InvalidRequest("prompt", "must not be empty")
    if len(prompt) > MAX_PROMPT_CHARS:
        raise InvalidRequest("prompt", f"must be at most {MAX_PROMPT_CHARS} characters (got {len(prompt)})")
    negative_prompt = negative_prompt.strip()
    if len(negative_prompt) > MAX_PROMPT_CHARS:
        raise InvalidRequest("negative_prompt", f"must be at most {MAX_PROMPT_CHARS} characters")
    if seed is None:
        seed = secrets.randbelow(MAX_SEED + 1)
    elif not 0 <= seed <= MAX_SEED:
        raise InvalidRequest("seed", f"must be between 0 and {MAX_SEED}")
    num_images = num_images or DEFAULT_IMAGES
    if not 1 <= num_images <= MAX_IMAGES:
        raise InvalidRequest("num_images", f"must be between 1 and {MAX_IMAGES}")
    aspect_ratio = aspect_ratio or "1:1"
    if aspect_ratio not in ASPECT_SIZES:
        raise InvalidRequest("aspect_ratio", f"must be one of {', '.join(ASPECT_SIZES)}")
    if len(color_palette) > MAX_PALETTE:
        raise InvalidRequest("color_palette", f"at most {MAX_PALETTE} colours")
    for colour in color_palette:
        if not _HEX_COLOUR.match(colour):
            raise InvalidRequest("color_palette", f"{colour!r} is not a #rrggbb colour")
    # 0 keeps "the model's own default" (tiny-diffusion was evaluated at 25 steps); the model says
    # how many it runs in its progress reports.
    if steps and not 1 <= steps <= MAX_STEPS:
        raise InvalidRequest("steps", f"must be between 1 and {MAX_STEPS}")
    # 0 keeps "the model's own default": each pipeline knows the guidance it was tuned for
    # (the shipped tiny-diffusion model is right 94% of the time at 1.25 and 70% at 1.5; MODEL_CARD.md).
    if guidance and not 0 < guidance <= MAX_GUIDANCE:
        raise InvalidRequest("guidance", f"must be above 0 and at most {MAX_GUIDANCE}")
    visibility = visibility or "public"
    if visibility not in VISIBILITIES:
        raise InvalidRequest("visibility", "must be public or private")
    if mode not in MODES:
        raise InvalidRequest("mode", "is not available; the supported mode is 'generate' (the default)")
    source_image_id, remix_strength = _remix(source_image_id, strength)
    style_image_id, checked_style_strength = _style(style_image_id, style_strength)
    model_id, checked_model_scale = _custom_model(model_id, model_scale)
    width, height = ASPECT_SIZES[aspect_ratio]
    return GenerationSpec(
        prompt=prompt,
        negative_prompt=negative_prompt,
        seed=seed,
        num_images=num_images,
        aspect_ratio=aspect_ratio,
        width=width,
        height=height,
        magic_prompt=magic_prompt,
        color_palette=tuple(c.lower() for c in color_palette),
        steps=steps,
        guidance=float(guidance),
        visibility=visibility,
        source_image_id=source_image_id,
        mode=mode,
        strength=remix_strength,
        style_image_id=style_image_id,
        style_strength=checked_style_strength,
        model_id=model_id,
        model_scale=checked_model_scale,
    )


def validate_action(
    kind: str, *, source_image_id: str, visibility: str = "", options: Mapping[str, Any] | None = None
) -> GenerationSpec:
    """An image action on source_image_id. What comes from the source (prompt, seed, size) and the
    visibility when none is given (the source's) is filled in on submission, which reads it."""
    canonical = canonical_uuid(source_image_id.strip())
    if canonical is None:
        raise InvalidRequest("source_image_id", f"must be an image id: the image to {kind}")
    if visibility and visibility not in VISIBILITIES:
        raise InvalidRequest("visibility", "must be public or private")
    return GenerationSpec(
        prompt="",
        negative_prompt="",
        seed=0,
        num_images=1,
        aspect_ratio="",
        width=0,
        height=0,
        magic_prompt=False,
        color_palette=(),
        steps=0,
        guidance=0.0,
        visibility=visibility,
        source_image_id=canonical,
        mode="",
        kind=kind,
        options=dict(options or {}),
    )


def nearest_aspect_ratio(width: int, height: int) -> str:
    """The listed aspect ratio closest to a size (an action's result keeps its source's shape)."""
    if width <= 0 or height <= 0:
        return "1:1"
    return min(ASPECT_SIZES, key=lambda name: abs(ASPECT_SIZES[name][0] / ASPECT_SIZES[name][1] - width / height))


def denoising_steps(steps: int, strength: float | None) -> int:
    """The steps the model runs: all of them, or for a remix the last int(steps * strength), at
    least one (the txt2img model's rule; its progress reports correct this if it ever differs).
    0 while unknown: steps 0 leaves the count to the model, which reports it as it runs."""
    if strength is None or not steps:
        return steps
    return max(1, min(steps, int(steps * strength + 1e-6)))


def _remix(source_image_id: str, strength: float) -> tuple[str, float | None]:
    """("", None) for a plain generation; (canonical source id, strength) for a remix. Whether the
    source exists is checked against the images table on submission."""
    source_image_id = source_image_id.strip()
    if not source_image_id:
        if strength:
            raise InvalidRequest("strength", "applies only to a remix: set source_image_id")
        return "", None
    canonical = canonical_uuid(source_image_id)
    if canonical is None:
        raise InvalidRequest("source_image_id", "must be an image id")
    source_image_id = canonical
    strength = strength or DEFAULT_STRENGTH
    if not (math.isfinite(strength) and 0.0 < strength <= 1.0):
        raise InvalidRequest("strength", f"must be above 0 and at most 1 (got {strength:g})")
    # proto floats are float32: 0.2 arrives as 0.20000000298…; keep what the user meant.
    return source_image_id, round(float(strength), 6)


def _style(style_image_id: str, style_strength: float) -> tuple[str, float | None]:
    """("", None) without a style reference; (canonical id, strength) with one. Whether the caller
    may see the reference is the gateway's check, and the worker's again when the job starts."""
    return _id_with_strength(
        style_image_id,
        style_strength,
        ("style_image_id", "an image id", "a style reference"),
        ("style_strength", DEFAULT_STYLE_STRENGTH),
    )


def _custom_model(model_id: str, model_scale: float) -> tuple[str, float | None]:
    """("", None) without a custom model; (canonical id, scale) with one. Whether it is the owner's
    is checked on submission, and again when the job starts."""
    return _id_with_strength(
        model_id, model_scale, ("model_id", "a custom model id", "a custom model"), ("model_scale", DEFAULT_MODEL_SCALE)
    )


def _id_with_strength(
    value: str, strength: float, names: tuple[str, str, str], strength_field: tuple[str, float]
) -> tuple[str, float | None]:
    """An optional id and the strength (0 < s <= 1, 0: the default) that applies only with it.
    names: (the id's field, what it must be, what it is); strength_field: (its field, its default)."""
    field, must_be, what = names
    name, default = strength_field
    value = value.strip()
    if not value:
        if strength:
            raise InvalidRequest(name, f"applies only with {what}: set {field}")
        return "", None
    canonical = canonical_uuid(value)
    if canonical is None:
        raise InvalidRequest(field, f"must be {must_be}")
    strength = strength or default
    if not (math.isfinite(strength) and 0.0 < strength <= 1.0):
        raise InvalidRequest(name, f"must be above 0 and at most 1 (got {strength:g})")
    return canonical, round(float(strength), 6)
