"""The editor: crop, rotate, flip, brightness and contrast (services/generation/edit_operations),
applied by the worker with Pillow. No Triton model: the operations are a few deterministic array
moves on the CPU, which a round trip to Triton would only add a copy of the image each way to."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import numpy as np

from atelier.generation.v1 import generation_pb2
from services.generation import edit_operations
from services.generation.inference import ActionJob, ImageAction, TritonImageModel


class Edit(ImageAction):
    kind = "edit"
    entitlement = "edit"
    model_name = ""
    gone_message = "The image to edit is no longer available."

    def options_of(self, params: generation_pb2.GenerationParams) -> dict[str, Any]:
        return {edit_operations.FIELD: list(edit_operations.from_proto(params.edit_operations))}

    def result_size(self, width: int, height: int) -> tuple[int, int]:
        return width, height

    def result_size_with(self, width: int, height: int, options: Mapping[str, Any]) -> tuple[int, int]:
        return edit_operations.result_size(width, height, options.get(edit_operations.FIELD, []))

    async def run(self, model: TritonImageModel, source: np.ndarray, headers: dict[str, str]) -> np.ndarray:
        raise NotImplementedError("an edit needs its operations: perform() runs it")

    async def perform(self, job: ActionJob) -> np.ndarray:
        return await asyncio.to_thread(edit_operations.apply, job.source, job.options[edit_operations.FIELD])


EDIT = Edit()
