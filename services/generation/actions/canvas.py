"""What magic fill and extend share: a prompt, a mask, and one call of the `txt2img` model with
INIT_IMAGE and MASK (masked diffusion: the known pixels are kept at every step and exactly in the
result; model_repository/txt2img/config.pbtxt), streamed with previews like a generation.

Masks travel and are stored as PNG (base64 in the job's options): black where the image is kept,
white where it is drawn anew.
"""

from __future__ import annotations

import base64
import binascii
import io
from collections.abc import Mapping
from typing import Any

import numpy as np
from PIL import Image, UnidentifiedImageError

from services.generation.inference import ActionJob, ImageAction, TritonImageModel, Txt2ImgRequest
from services.generation.requests import MAX_PROMPT_CHARS, InvalidRequest

# The txt2img model's limits on WIDTH and HEIGHT (model_repository/txt2img/1/txt2img_backend).
MIN_SIDE, MAX_SIDE = 64, 1024
PREVIEW_EVERY = 5
# Where a mask counts as "draw here": a light pixel (and opaque, when the PNG has alpha).
LIGHT = 128


def prompt_option(params: Any, required: bool) -> str:
    prompt = params.prompt.strip()
    if required and not prompt:
        raise InvalidRequest("prompt", "must not be empty: say what to draw in the region")
    if len(prompt) > MAX_PROMPT_CHARS:
        raise InvalidRequest("prompt", f"must be at most {MAX_PROMPT_CHARS} characters (got {len(prompt)})")
    return prompt


def check_canvas_size(width: int, height: int, what: str) -> None:
    if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
        raise InvalidRequest(
            "source_image_id",
            f"{what} would be {width}x{height} px; the canvas takes {MIN_SIDE} to {MAX_SIDE} px a side",
        )


def mask_from_png(data: bytes) -> np.ndarray:
    """A mask image's bytes -> uint8 [h, w], 255 where to draw; InvalidRequest when it is not an image."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            if max(image.size) > 4 * MAX_SIDE:
                raise InvalidRequest("mask", f"is {image.size[0]}x{image.size[1]} px: far larger than any image here")
            image.load()
            light = np.asarray(image.convert("L")) >= LIGHT
            if "A" in image.getbands():
                light &= np.asarray(image.getchannel("A")) >= LIGHT
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as error:
        if isinstance(error, InvalidRequest):
            raise
        raise InvalidRequest("mask", "is not an image: send a PNG, white where to draw") from error
    return light.astype(np.uint8) * 255


def mask_to_png(mask: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(mask > 0).save(buffer, format="PNG", optimize=True)  # 1 bit a pixel
    return buffer.getvalue()


def encode_mask(mask: np.ndarray) -> str:
    return base64.b64encode(mask_to_png(mask)).decode("ascii")


def decode_mask(text: str) -> np.ndarray:
    try:
        return mask_from_png(base64.b64decode(text, validate=True))
    except binascii.Error as error:
        raise InvalidRequest("mask", "is not base64") from error


class CanvasAction(ImageAction):
    """An action that redraws part of a canvas built from the source: `canvas` says what to draw
    into and where (mask 255); the txt2img model draws it to the job's prompt."""

    entitlement: str | None = None  # every plan (billing's catalogue prices it)
    model_name = "txt2img"

    def canvas(self, source: np.ndarray, options: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
        """(init image uint8 [h, w, 3], mask uint8 [h, w]) for the model."""
        raise NotImplementedError

    def result_size(self, width: int, height: int) -> tuple[int, int]:
        return self.result_size_with(width, height, {})

    def prompt_of(self, options: Mapping[str, Any]) -> str:
        return str(options.get("prompt") or "")

    async def run(self, model: TritonImageModel, source: np.ndarray, headers: dict[str, str]) -> np.ndarray:
        raise NotImplementedError("a canvas action needs its prompt and options: perform() runs it")

    async def perform(self, job: ActionJob) -> np.ndarray:
        init_image, mask = self.canvas(job.source, job.options)
        return await self.draw(job, init_image, mask)

    async def draw(self, job: ActionJob, init_image: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """init_image with its mask's (255) region drawn anew to the job's prompt."""
        height, width = mask.shape
        request = Txt2ImgRequest(
            prompt=job.prompt,
            seed=job.seed,
            num_images=1,
            width=width,
            height=height,
            preview_every=PREVIEW_EVERY,
            init_image=init_image,
            mask=mask,
        )
        result = await job.txt2img.generate(request, job.on_progress, headers=job.headers)
        return result.images[0]
