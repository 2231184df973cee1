"""Replace background: the `background` model cuts the object out (remove background's call), then
the `txt2img` model redraws everything that is not wholly the object to the prompt (magic fill's
masked diffusion), which keeps the object's pixels exactly. The result is the source's size, RGB."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from services.generation.actions.canvas import CanvasAction, check_canvas_size, prompt_option
from services.generation.actions.remove_background import REMOVE_BACKGROUND
from services.generation.inference import ActionJob, InferenceRejected

OPAQUE = 255


def background_mask(cut_out: np.ndarray) -> np.ndarray:
    """uint8 [h, w], 255 where the cut-out (RGBA) is not wholly opaque: the background, and the
    object's soft edge, which is redrawn so that it blends into the new background."""
    return np.where(cut_out[..., 3] < OPAQUE, 255, 0).astype(np.uint8)


class ReplaceBackground(CanvasAction):
    kind = "replace_background"
    entitlement = "edit"
    gone_message = "The image whose background to replace is no longer available."

    def options_of(self, params: Any) -> dict[str, Any]:
        return {"prompt": prompt_option(params, required=True)}

    def result_size_with(self, width: int, height: int, options: Mapping[str, Any]) -> tuple[int, int]:
        check_canvas_size(width, height, "the image")
        return width, height

    async def perform(self, job: ActionJob) -> np.ndarray:
        cut_out = await REMOVE_BACKGROUND.run(job.image_models, job.source, job.headers)
        mask = background_mask(cut_out)
        if not mask.any():
            raise InferenceRejected("the object fills the whole image: there is no background to replace")
        return await self.draw(job, job.source, mask)


REPLACE_BACKGROUND = ReplaceBackground()
