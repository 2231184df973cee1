"""The interface every txt2img generator implements, and the registry the `pipeline` parameter picks from.

Every pipeline also does image-to-image (remix): given `init_image` and `strength`, it starts from
the init image partly noised (SDEdit) instead of pure noise and runs only the last
`denoising_steps(steps, strength)` steps, so low strength keeps the source's layout and colours.

Adding a backend: write a class with `defaults`, `native_size` and `generate` as in `Txt2ImgPipeline`,
and add a factory to `_FACTORIES` that imports it lazily (so `procedural` never pays for importing
torch). A backend that can run several requests as one batch also defines `generate_batch`, with
the signature of `generate_all`; `generate_all` otherwise runs them one by one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from txt2img_backend.request import GenerationParams, PipelineDefaults

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


class Txt2ImgPipeline(Protocol):
    defaults: PipelineDefaults

    def native_size(self, width: int, height: int) -> tuple[int, int]:
        """(width, height) the pipeline really draws at when asked for width x height."""
        ...

    def generate(
        self,
        prompt: str,
        negative_prompt: str,
        seeds: Sequence[int],
        steps: int,
        guidance: float,
        width: int,
        height: int,
        on_preview: OnStep,
        init_image: np.ndarray | None = None,
        strength: float | None = None,
    ) -> np.ndarray:
        """Returns uint8 [len(seeds), h, w, 3]; image i depends only on (prompt, negative, seeds[i])
        and, for image-to-image, on (init_image, strength).

        Images come back at width x height, or at the native size, which the model then resizes.
        init_image: uint8 [h', w', 3] of any size (the pipeline resizes it), or None for
        text-to-image; strength in (0, 1], given exactly when init_image is. Previews then count
        denoising_steps(steps, strength) steps.
        """
        ...


@dataclass(frozen=True)
class Generation:
    """One request's generation, as the model hands it to `generate_all`."""

    params: GenerationParams
    on_preview: OnStep


Outcome = np.ndarray | Exception
"""A generation's images (as `generate` returns them), or the exception that ended it."""


def generate_all(pipeline: Txt2ImgPipeline, generations: Sequence[Generation]) -> Iterator[tuple[int, Outcome]]:
    """Yields (index into generations, outcome) as each generation finishes; one failing (invalid,
    cancelled, broken) never stops the others. Pipelines with `generate_batch` choose which to run
    together; the others run them one at a time."""
    generate_batch = getattr(pipeline, "generate_batch", None)
    if generate_batch is not None:
        yield from generate_batch(generations)
        return
    for index, generation in enumerate(generations):
        yield index, generate_one(pipeline, generation)


def generate_one(pipeline: Txt2ImgPipeline, generation: Generation) -> Outcome:
    params = generation.params
    try:
        return pipeline.generate(
            params.prompt,
            params.negative_prompt,
            params.seeds,
            params.steps,
            params.guidance,
            params.width,
            params.height,
            on_preview=generation.on_preview,
            init_image=params.init_image,
            strength=params.strength,
        )
    except Exception as error:  # the caller answers this request with it
        return error


def _procedural(parameters: Mapping[str, str]) -> Txt2ImgPipeline:
    from txt2img_backend.procedural import ProceduralPipeline

    return ProceduralPipeline()


def _from_imagemodel(kind: str, defaults: PipelineDefaults) -> Callable[[Mapping[str, str]], Txt2ImgPipeline]:
    def factory(parameters: Mapping[str, str]) -> Txt2ImgPipeline:
        from txt2img_backend import imagemodel_adapter

        return imagemodel_adapter.load(kind, parameters, defaults)

    return factory


_FACTORIES: dict[str, Callable[[Mapping[str, str]], Txt2ImgPipeline]] = {
    "procedural": _procedural,
    # Native 32x32, shown at 256x256; the shipped weights score best at guidance 1.25 (MODEL_CARD.md);
    # 3.0 overshoots into wrong colours.
    "tiny-diffusion": _from_imagemodel(
        "tiny-diffusion", PipelineDefaults(steps=25, guidance=1.25, width=256, height=256)
    ),
    "stable-diffusion": _from_imagemodel(
        "stable-diffusion", PipelineDefaults(steps=30, guidance=7.5, width=512, height=512)
    ),
}


def build_pipeline(name: str, parameters: Mapping[str, str]) -> Txt2ImgPipeline:
    """parameters: the model config's string parameters, for pipeline-specific settings."""
    factory = _FACTORIES.get(name)
    if factory is None:
        known = ", ".join(sorted(_FACTORIES))
        raise ValueError(f"unknown pipeline {name!r}; known pipelines: {known}")
    return factory(parameters)
