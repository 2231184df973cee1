"""Magic fill: the region a mask paints (white) redrawn to a prompt, the rest of the image kept
exactly; the mask is a PNG of the source's own size."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from services.generation.actions.canvas import (
    CanvasAction,
    check_canvas_size,
    decode_mask,
    encode_mask,
    mask_from_png,
    prompt_option,
)
from services.generation.requests import InvalidRequest


class Fill(CanvasAction):
    kind = "fill"
    gone_message = "The image to fill is no longer available."

    def options_of(self, params: Any) -> dict[str, Any]:
        prompt = prompt_option(params, required=True)
        if not params.mask_png:
            raise InvalidRequest("mask", "is missing: a PNG of the image's size, white where to draw")
        mask = mask_from_png(params.mask_png)
        if not mask.any():
            raise InvalidRequest("mask", "is empty: paint (white) the region to fill")
        return {"prompt": prompt, "mask_png": encode_mask(mask)}

    def result_size_with(self, width: int, height: int, options: Mapping[str, Any]) -> tuple[int, int]:
        if "mask_png" in options:
            mask = decode_mask(options["mask_png"])
            if mask.shape != (height, width):
                raise InvalidRequest(
                    "mask", f"is {mask.shape[1]}x{mask.shape[0]} px; it must be the image's size, {width}x{height}"
                )
        check_canvas_size(width, height, "the image")
        return width, height

    def canvas(self, source: np.ndarray, options: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
        return source, decode_mask(options["mask_png"])


FILL = Fill()
