"""The Triton Python-backend model that takes one image (IMAGE) and answers one output tensor for
it: each model.py subclasses `ImageModel` as its TritonPythonModel, names its pipelines and loads
the chosen one.

Each request is answered on its own: an image outside the size limits (or one the pipeline refuses
with a ValueError) gets an INVALID_ARG error response and the others in the same call are still
served.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import triton_python_backend_utils as pb_utils

from serving.images import check_image
from serving.settings import ModelSettings

# One image in, the output tensor's value out; ValueError for an image it cannot take.
Answer = Callable[[np.ndarray], np.ndarray]


class ImageModel:
    NAME: str  # the model's name in the repository; ATELIER_<NAME>_* in the environment
    PIPELINES: tuple[str, ...]  # what `pipeline` may choose; the first is the default
    OUTPUT: str
    MIN_SIDE = 8
    MAX_SIDE: int

    def load(self, pipeline: str, settings: ModelSettings) -> Answer:
        raise NotImplementedError

    def initialize(self, args: dict[str, Any]) -> None:
        settings = ModelSettings.of(args, self.NAME)
        pipeline = settings.setting("pipeline", self.PIPELINES[0])
        if pipeline not in self.PIPELINES:
            raise ValueError(f"{self.NAME}: unknown pipeline {pipeline!r}; {' or '.join(self.PIPELINES)}")
        self._answer = self.load(pipeline, settings)

    def execute(self, requests: list[Any]) -> list[Any]:
        responses = []
        for request in requests:
            try:
                image = pb_utils.get_input_tensor_by_name(request, "IMAGE").as_numpy()
                check_image(image, self.MIN_SIDE, self.MAX_SIDE)
                output = self._answer(image)
            except ValueError as error:
                responses.append(
                    pb_utils.InferenceResponse(error=pb_utils.TritonError(str(error), pb_utils.TritonError.INVALID_ARG))
                )
                continue
            responses.append(pb_utils.InferenceResponse(output_tensors=[pb_utils.Tensor(self.OUTPUT, output)]))
        return responses


def one_torch_thread() -> None:
    """For the small CPU networks: Triton runs instances side by side, one thread each."""
    import torch

    torch.set_num_threads(1)
