"""Extend (outpaint): the canvas grown on one side, the source placed unchanged at its offset and
the new strip drawn to the prompt (the source's own when none is given).

Limit: by at most the source's side in that direction (up to 2x), a multiple of 8 px, the result at
most 1024 px a side (the txt2img model's limit)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from services.generation.actions.canvas import CanvasAction, check_canvas_size, prompt_option
from services.generation.requests import InvalidRequest

DIRECTIONS = ("left", "right", "up", "down")
MULTIPLE = 8


def default_pixels(side: int) -> int:
    return max(MULTIPLE, side // 2 // MULTIPLE * MULTIPLE)


class Extend(CanvasAction):
    kind = "extend"
    gone_message = "The image to extend is no longer available."

    def options_of(self, params: Any) -> dict[str, Any]:
        prompt = prompt_option(params, required=False)
        direction = params.extend_direction.strip().lower() or "right"
        if direction not in DIRECTIONS:
            raise InvalidRequest("direction", f"must be one of {', '.join(DIRECTIONS)}")
        pixels = int(params.extend_pixels)
        if pixels < 0 or pixels % MULTIPLE:
            raise InvalidRequest("pixels", f"must be a positive multiple of {MULTIPLE} (0: half the image's side)")
        return {"prompt": prompt, "direction": direction, "pixels": pixels}

    def result_size_with(self, width: int, height: int, options: Mapping[str, Any]) -> tuple[int, int]:
        direction = options.get("direction", "right")
        side = width if direction in ("left", "right") else height
        pixels = int(options.get("pixels") or 0) or default_pixels(side)
        if pixels > side:
            raise InvalidRequest(
                "pixels", f"{pixels} px is beyond the limit: extend by at most the image's side ({side} px), 2x"
            )
        grown = (width + pixels, height) if direction in ("left", "right") else (width, height + pixels)
        check_canvas_size(*grown, "the extended image")
        return grown

    def canvas(self, source: np.ndarray, options: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
        """The source at its offset, the new strip its edge pixels repeated (the model redraws it:
        they only give the resized canvas a plausible border)."""
        height, width = source.shape[:2]
        new_width, new_height = self.result_size_with(width, height, options)
        pixels = new_width - width or new_height - height
        before = {"left": (0, pixels), "up": (pixels, 0)}.get(options.get("direction", "right"), (0, 0))
        pad = ((before[0], new_height - height - before[0]), (before[1], new_width - width - before[1]), (0, 0))
        canvas = np.pad(source, pad, mode="edge")
        mask = np.full((new_height, new_width), 255, dtype=np.uint8)
        mask[before[0] : before[0] + height, before[1] : before[1] + width] = 0
        return canvas, mask


EXTEND = Extend()
