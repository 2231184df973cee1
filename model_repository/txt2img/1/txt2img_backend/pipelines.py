"""The contract between the Triton model and its generators: the typed `GenerationRequest` every pipeline
takes (parsed and validated once from a Triton request's input tensors by `parse_request`, through a
plain callable, so it is testable offline), and the interface every pipeline implements: `Pipeline`,
and `BatchingPipeline` for those that run several requests as one batch.

Every pipeline also does image-to-image (remix): given `init_image` and `strength`, it starts from the
init image partly noised (SDEdit) instead of pure noise and runs only the last
`request.denoising_steps` steps, so low strength keeps the source's layout and colours.

Also the two image helpers the model and the pipelines share: resizing to the size asked and shrinking
to preview size. This module imports no pipeline: the pipelines import it, and the model (model.py)
picks one by name.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
from PIL import Image

MAX_PROMPT_CHARS = 2000
MAX_IMAGES = 8
MAX_STEPS = 150
MAX_GUIDANCE = 30.0
MIN_SIDE, MAX_SIDE, SIDE_MULTIPLE = 64, 1024, 8
MAX_PREVIEW_EVERY = 1000
MAX_SEED = 2**63 - 1
# Image-to-image (remix): INIT_IMAGE uint8 [h, w, 3] and STRENGTH in (0, 1].
DEFAULT_STRENGTH = 0.6
MIN_INIT_SIDE, MAX_INIT_SIDE = 8, 2048
# Custom style (STYLE_WEIGHTS from the style_train model) and its scale.
DEFAULT_STYLE_SCALE = 1.0
MAX_STYLE_SCALE = 1.5
MAX_STYLE_BYTES = 8 * 1024 * 1024


class InvalidRequest(ValueError):
    """The request can never succeed as sent; the message tells the caller what to change."""


@dataclass(frozen=True)
class PipelineDefaults:
    steps: int
    guidance: float
    width: int
    height: int
    preview_every: int = 5


@dataclass(frozen=True)
class GenerationRequest:
    """One generation as every pipeline receives it: complete (defaults applied) and valid."""

    prompt: str
    negative_prompt: str
    seeds: tuple[int, ...]
    steps: int
    guidance: float
    width: int
    height: int
    preview_every: int  # 0: no previews
    # Image-to-image: the picture to start from (uint8 [h, w, 3], any size) and how far to move
    # away from it (0 < strength <= 1; 1 keeps almost nothing). Both None for text-to-image.
    init_image: np.ndarray | None = None
    strength: float | None = None
    # Inpainting (magic fill, extend): uint8 [h, w] of init_image, nonzero = draw anew; the rest of
    # the init image is kept exactly. The whole schedule runs (strength None).
    mask: np.ndarray | None = None
    # A custom style: its safetensors bytes and how strongly to apply it (0..MAX_STYLE_SCALE).
    style_weights: bytes | None = None
    style_scale: float = DEFAULT_STYLE_SCALE

    @property
    def denoising_steps(self) -> int:
        """The steps the pipeline really runs: all of them, or the last `strength` share of them."""
        return denoising_steps(self.steps, self.strength)


def denoising_steps(steps: int, strength: float | None) -> int:
    """SDEdit runs the last int(steps * strength) steps of the schedule (as diffusers does), at least one."""
    if strength is None:
        return steps
    return max(1, min(steps, int(steps * strength + 1e-6)))  # 0.29 * 100 is 29 steps, not 28


InputReader = Callable[[str], "np.ndarray | None"]


def parse_request(read_input: InputReader, defaults: PipelineDefaults) -> GenerationRequest:
    """read_input(name) returns the input's array, or None when the request omits it."""
    prompt = _text(read_input, "PROMPT", required=True)
    if not prompt:
        raise InvalidRequest("PROMPT is empty: describe the image to generate")
    negative_prompt = _text(read_input, "NEGATIVE_PROMPT", required=False)

    num_images = _int(read_input, "NUM_IMAGES", default=None)
    if not 1 <= num_images <= MAX_IMAGES:
        raise InvalidRequest(f"NUM_IMAGES must be between 1 and {MAX_IMAGES}, got {num_images}")

    seed = _int(read_input, "SEED", default=None)
    last_seed_allowed = MAX_SEED - (num_images - 1)
    if not 0 <= seed <= last_seed_allowed:
        raise InvalidRequest(f"SEED must be between 0 and {last_seed_allowed}, got {seed}")

    # 0, as absent: the pipeline's own default (clients send 0 so that requests with and without
    # steps still batch together).
    steps = _int(read_input, "STEPS", default=0) or defaults.steps
    if not 1 <= steps <= MAX_STEPS:
        raise InvalidRequest(f"STEPS must be between 1 and {MAX_STEPS} (0: the model's default), got {steps}")

    guidance = _float(read_input, "GUIDANCE", default=defaults.guidance)
    if not (math.isfinite(guidance) and 0.0 <= guidance <= MAX_GUIDANCE):
        raise InvalidRequest(f"GUIDANCE must be between 0 and {MAX_GUIDANCE:g}, got {guidance}")

    width = _side(read_input, "WIDTH", default=defaults.width)
    height = _side(read_input, "HEIGHT", default=defaults.height)

    preview_every = _int(read_input, "PREVIEW_EVERY", default=defaults.preview_every)
    if not 0 <= preview_every <= MAX_PREVIEW_EVERY:
        raise InvalidRequest(
            f"PREVIEW_EVERY must be between 0 (no previews) and {MAX_PREVIEW_EVERY}, got {preview_every}"
        )

    init_image = _init_image(read_input)
    strength = _optional_float(read_input, "STRENGTH")
    mask = _mask(read_input, init_image)
    if mask is not None:
        if strength is not None:
            raise InvalidRequest("STRENGTH does not apply with a MASK: inpainting runs the whole schedule")
    elif init_image is None:
        if strength is not None:
            raise InvalidRequest("STRENGTH applies only to image-to-image: send an INIT_IMAGE with it")
    else:
        strength = DEFAULT_STRENGTH if strength is None else strength
        if not (math.isfinite(strength) and 0.0 < strength <= 1.0):
            raise InvalidRequest(f"STRENGTH must be above 0 and at most 1, got {strength}")

    style_weights, style_scale = _style(read_input)
    return GenerationRequest(
        prompt=prompt,
        negative_prompt=negative_prompt,
        seeds=tuple(seed + i for i in range(num_images)),
        steps=steps,
        guidance=guidance,
        width=width,
        height=height,
        preview_every=preview_every,
        init_image=init_image,
        strength=strength,
        mask=mask,
        style_weights=style_weights,
        style_scale=style_scale,
    )


def _style(read_input: InputReader) -> tuple[bytes | None, float]:
    """STYLE_WEIGHTS (bytes) and STYLE_SCALE; the scale alone is ignored, so clients may always send it."""
    weights = _single(read_input, "STYLE_WEIGHTS")
    scale = _float(read_input, "STYLE_SCALE", default=DEFAULT_STYLE_SCALE)
    if weights is None:
        return None, DEFAULT_STYLE_SCALE
    if isinstance(weights, str):
        weights = weights.encode("latin-1")
    weights = bytes(weights)
    if not weights:
        raise InvalidRequest("STYLE_WEIGHTS is empty: send the bytes the style_train model returned")
    if len(weights) > MAX_STYLE_BYTES:
        raise InvalidRequest(f"STYLE_WEIGHTS is larger than {MAX_STYLE_BYTES} bytes: that is not a style")
    if not (math.isfinite(scale) and 0.0 <= scale <= MAX_STYLE_SCALE):
        raise InvalidRequest(f"STYLE_SCALE must be between 0 and {MAX_STYLE_SCALE:g}, got {scale}")
    return weights, scale


def _single(read_input: InputReader, name: str):
    array = read_input(name)
    if array is None:
        return None
    if array.size != 1:
        raise InvalidRequest(f"{name} must hold exactly one value, got shape {list(array.shape)}")
    return array.reshape(-1)[0]


def _text(read_input: InputReader, name: str, required: bool) -> str:
    value = _single(read_input, name)
    if value is None:
        if required:
            raise InvalidRequest(f"{name} is missing")
        return ""
    if isinstance(value, bytes):
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidRequest(f"{name} is not valid UTF-8") from None
    text = str(value).strip()
    if len(text) > MAX_PROMPT_CHARS:
        raise InvalidRequest(f"{name} is longer than {MAX_PROMPT_CHARS} characters")
    return text


def _int(read_input: InputReader, name: str, default: int | None) -> int:
    value = _single(read_input, name)
    if value is None:
        if default is None:
            raise InvalidRequest(f"{name} is missing")
        return default
    return int(value)


def _float(read_input: InputReader, name: str, default: float) -> float:
    value = _single(read_input, name)
    return default if value is None else float(value)


def _optional_float(read_input: InputReader, name: str) -> float | None:
    value = _single(read_input, name)
    return None if value is None else float(value)


def _init_image(read_input: InputReader) -> np.ndarray | None:
    image = read_input("INIT_IMAGE")
    if image is None:
        return None
    if image.dtype != np.uint8:
        raise InvalidRequest(f"INIT_IMAGE must be UINT8 RGB pixels, got {image.dtype}")
    if image.ndim != 3 or image.shape[2] != 3:
        raise InvalidRequest(f"INIT_IMAGE must have shape [height, width, 3] (RGB), got {list(image.shape)}")
    height, width = image.shape[:2]
    if not (MIN_INIT_SIDE <= height <= MAX_INIT_SIDE and MIN_INIT_SIDE <= width <= MAX_INIT_SIDE):
        raise InvalidRequest(
            f"INIT_IMAGE sides must be between {MIN_INIT_SIDE} and {MAX_INIT_SIDE} pixels, got {width}x{height}"
        )
    return np.ascontiguousarray(image)


def _mask(read_input: InputReader, init_image: np.ndarray | None) -> np.ndarray | None:
    mask = read_input("MASK")
    if mask is None:
        return None
    if init_image is None:
        raise InvalidRequest("MASK applies only with an INIT_IMAGE: the picture to draw into")
    if mask.dtype != np.uint8 or mask.ndim != 2:
        raise InvalidRequest(f"MASK must be UINT8 [height, width], got {mask.dtype} {list(mask.shape)}")
    if mask.shape != init_image.shape[:2]:
        raise InvalidRequest(
            f"MASK must be INIT_IMAGE's size, {init_image.shape[1]}x{init_image.shape[0]},"
            f" got {mask.shape[1]}x{mask.shape[0]}"
        )
    if not mask.any():
        raise InvalidRequest("MASK is empty: nonzero pixels mark the region to draw")
    return np.ascontiguousarray(mask)


def _side(read_input: InputReader, name: str, default: int) -> int:
    side = _int(read_input, name, default=default)
    if not (MIN_SIDE <= side <= MAX_SIDE and side % SIDE_MULTIPLE == 0):
        raise InvalidRequest(
            f"{name} must be a multiple of {SIDE_MULTIPLE} between {MIN_SIDE} and {MAX_SIDE}, got {side}"
        )
    return side


PREVIEW_MAX_SIDE = 32

RenderPreview = Callable[[], np.ndarray]
"""Returns a cheap approximation of the images at the current step: uint8 [n, h, w, 3].

Any size: the model shrinks it to PREVIEW_MAX_SIDE, so rendering at that size directly is cheapest.
"""

OnStep = Callable[[int, int, RenderPreview], None]
"""Called by a pipeline after each step k of total (1-based) with a lazy preview renderer.

The model renders a preview only on the steps it streams one, so a pipeline never pays for a decode
nobody asked for. It raises to abort the generation (the client went away).
"""


def resize_batch(images: np.ndarray, width: int, height: int) -> np.ndarray:
    """uint8 [n, h, w, 3] -> [n, height, width, 3]: how the model brings native-size images to the size asked."""
    if images.shape[1:3] == (height, width):
        return images
    return np.stack(
        [np.asarray(Image.fromarray(image).resize((width, height), Image.Resampling.LANCZOS)) for image in images]
    )


def shrink_to_fit(images: np.ndarray, max_side: int) -> np.ndarray:
    """uint8 [n, h, w, 3] within max_side (previews); keeps the aspect ratio, never enlarges."""
    height, width = images.shape[1:3]
    scale = max_side / max(height, width)
    if scale >= 1.0:
        return images
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return np.stack([np.asarray(Image.fromarray(image).resize(size, Image.Resampling.BOX)) for image in images])


class Pipeline(Protocol):
    defaults: PipelineDefaults
    """What a request leaves out: steps, guidance, size, preview cadence."""

    def native_size(self, width: int, height: int) -> tuple[int, int]:
        """(width, height) the pipeline really draws at when asked for width x height."""
        ...

    def generate(self, request: GenerationRequest, on_preview: OnStep) -> np.ndarray:
        """Returns uint8 [len(request.seeds), h, w, 3]; image i depends only on (prompt, negative,
        seeds[i]) and, for image-to-image, on (init_image, strength).

        Images come back at width x height, or at the native size, which the model then resizes.
        init_image is uint8 [h', w', 3] of any size (the pipeline resizes it). on_preview counts
        request.denoising_steps steps.
        """
        ...


@dataclass(frozen=True)
class Generation:
    """One request's generation, as the model hands it to `generate_all`."""

    request: GenerationRequest
    on_preview: OnStep


Outcome = np.ndarray | Exception
"""A generation's images (as `generate` returns them), or the exception that ended it."""


@runtime_checkable
class BatchingPipeline(Pipeline, Protocol):
    def generate_batch(self, generations: Sequence[Generation]) -> Iterator[tuple[int, Outcome]]:
        """As `generate_all`; the pipeline chooses which generations run together."""
        ...


def generate_all(pipeline: Pipeline, generations: Sequence[Generation]) -> Iterator[tuple[int, Outcome]]:
    """Yields (index into generations, outcome) as each generation finishes; one failing (invalid,
    cancelled, broken) never stops the others. A `BatchingPipeline` chooses which to run together;
    the others run them one at a time."""
    if isinstance(pipeline, BatchingPipeline):
        yield from pipeline.generate_batch(generations)
        return
    for index, generation in enumerate(generations):
        yield index, generate_one(pipeline, generation)


def generate_one(pipeline: Pipeline, generation: Generation) -> Outcome:
    try:
        return pipeline.generate(generation.request, generation.on_preview)
    except Exception as error:  # the caller answers this request with it
        return error
