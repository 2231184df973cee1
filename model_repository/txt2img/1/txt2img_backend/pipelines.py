"""The interface every txt2img generator implements: `Pipeline`, and `BatchingPipeline` for those that
run several requests as one batch.

Every pipeline takes one typed `GenerationRequest` (parsed once by `request.parse_request`) and also
does image-to-image (remix): given `init_image` and `strength`, it starts from the init image partly
noised (SDEdit) instead of pure noise and runs only the last `request.denoising_steps` steps, so low
strength keeps the source's layout and colours.

Also the two image helpers the model and the pipelines share: resizing to the size asked and shrinking
to preview size. This module imports no pipeline: the pipelines import it, and the model (model.py)
picks one by name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
from PIL import Image

from txt2img_backend.request import GenerationRequest, PipelineDefaults

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
