"""Upscale 2x: Triton's `upscale` model (upscaler/ by default; an ESRGAN-family network or Stable
Diffusion's upscaler from mounted weights). Sources up to 1024 px a side, the model's limit."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from services.generation.inference import ImageAction, TritonImageModel
from services.generation.requests import InvalidRequest

MAX_SOURCE_SIDE = 1024
FACTOR = 2


class Upscale(ImageAction):
    kind = "upscale"
    entitlement = "upscale"
    model_name = "upscale"
    gone_message = "The image to upscale is no longer available."

    def result_size(self, width: int, height: int, options: Mapping[str, Any]) -> tuple[int, int]:
        if max(width, height) > MAX_SOURCE_SIDE:
            raise InvalidRequest(
                "source_image_id",
                f"the image is {width}x{height} px; upscaling takes images of at most {MAX_SOURCE_SIDE} px"
                " a side (an upscale of an upscale past that is refused)",
            )
        return width * FACTOR, height * FACTOR

    async def run(
        self, model: TritonImageModel, source: np.ndarray, headers: dict[str, str], options: Mapping[str, Any]
    ) -> np.ndarray:
        return await model.infer(self.model_name, source, headers)


UPSCALE = Upscale()
