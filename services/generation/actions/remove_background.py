"""Remove background: Triton's `background` model (segmenter/ by default; a TorchScript segmentation
or matting network from mounted weights). The result is the source at its own size as RGBA, alpha
0 where the background was; stored as a PNG, which keeps the alpha channel."""

from __future__ import annotations

import numpy as np

from services.generation.inference import ImageAction, InferenceRejected, TritonImageModel
from services.generation.requests import InvalidRequest

MAX_SOURCE_SIDE = 2048  # the model's limit


class RemoveBackground(ImageAction):
    kind = "remove_background"
    entitlement = "edit"
    model_name = "background"
    gone_message = "The image to cut out is no longer available."

    def result_size(self, width: int, height: int) -> tuple[int, int]:
        if max(width, height) > MAX_SOURCE_SIDE:
            raise InvalidRequest(
                "source_image_id",
                f"the image is {width}x{height} px; removing a background takes images of at most"
                f" {MAX_SOURCE_SIDE} px a side",
            )
        return width, height

    async def run(self, model: TritonImageModel, source: np.ndarray, headers: dict[str, str]) -> np.ndarray:
        cut_out = await model.infer(self.model_name, source, headers)
        if cut_out.shape != (*source.shape[:2], 4):
            raise InferenceRejected(
                f"model {self.model_name} answered {list(cut_out.shape)}, not RGBA at the source's size"
            )
        return cut_out


REMOVE_BACKGROUND = RemoveBackground()
