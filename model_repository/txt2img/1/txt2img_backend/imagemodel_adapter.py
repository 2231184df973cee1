"""Serves the repository's `imagemodel` pipelines (tiny-diffusion, stable-diffusion) behind
`pipelines.BatchingPipeline`.

imagemodel's pipelines hand `on_preview` a finished preview array every `preview_every` steps; the
model wants a call every step (to choose its own cadence and to notice a cancelled request soon), so
the adapter asks for previews on every step. Their previews are cheap (pred-x0 at 32x32, or a linear
latent-to-RGB map), never a VAE decode.

Image-to-image is the same pipelines' `generate` with an init image and a strength; inpainting with an
init image and a mask (no strength), which batches with text-to-image in tiny-diffusion's loop.

Several requests at once (Triton's dynamic batcher): requests with the same steps, guidance and
strength (none for text-to-image) run as one denoising loop when the pipeline can batch
(tiny-diffusion's `generate_batch`: each image identical to its request run alone); every request on
other pipelines runs alone.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

import numpy as np

from txt2img_backend.pipelines import (
    Generation,
    GenerationRequest,
    OnStep,
    Outcome,
    PipelineDefaults,
    generate_one,
)


class ImageModelPipeline:
    def __init__(self, pipeline, defaults: PipelineDefaults) -> None:
        """pipeline: an imagemodel.pipelines pipeline (generate, native_size, preview_every)."""
        self._pipeline = pipeline
        self._pipeline.preview_every = 1
        self.defaults = defaults

    def native_size(self, width: int, height: int) -> tuple[int, int]:
        return self._pipeline.native_size(width, height)

    def unknown_words(self, prompt: str) -> tuple[str, ...]:
        """The prompt's words the model cannot draw (the built-in model's; none for Stable Diffusion)."""
        return tuple(self._pipeline.unknown_words(prompt))

    def generate(self, request: GenerationRequest, on_preview: OnStep) -> np.ndarray:
        arguments = (
            request.prompt,
            request.negative_prompt,
            list(request.seeds),
            request.steps,
            request.guidance,
            request.width,
            request.height,
        )
        return self._pipeline.generate(
            *arguments,
            on_preview=_previews_to(on_preview),
            init_image=request.init_image,
            strength=request.strength,
            mask=request.mask,
        )

    def generate_batch(self, generations: Sequence[Generation]) -> Iterator[tuple[int, Outcome]]:
        """As `pipelines.generate_all`: batches generations of equal steps, guidance and strength (None
        for text-to-image)."""
        batchable = getattr(self._pipeline, "generate_batch", None)
        groups: dict[tuple[object, ...], list[int]] = {}
        for index, generation in enumerate(generations):
            request = generation.request
            key: tuple[object, ...]
            if batchable is not None:
                key = ("together", request.steps, request.guidance, request.strength)
            else:
                key = ("alone", index)
            groups.setdefault(key, []).append(index)
        for key, members in groups.items():
            if key[0] == "alone" or batchable is None:  # without generate_batch every key is alone
                yield members[0], generate_one(self, generations[members[0]])
                continue
            from imagemodel.pipelines import BatchItem

            items = []
            for index in members:
                request = generations[index].request
                items.append(
                    BatchItem(
                        request.prompt,
                        request.negative_prompt,
                        list(request.seeds),
                        request.width,
                        request.height,
                        _previews_to(generations[index].on_preview),
                        request.init_image,
                        request.mask,
                    )
                )
            try:
                outcomes = batchable(items, *key[1:])
            except Exception as error:  # the whole batch broke: every member reports it
                outcomes = [error] * len(members)
            yield from zip(members, outcomes)


def _previews_to(on_preview: OnStep):
    """imagemodel hands finished previews; the model's OnStep takes a renderer."""

    def forward(step: int, total: int, previews: np.ndarray) -> None:
        on_preview(step, total, lambda: previews)

    return forward


def load(kind: str, parameters: Mapping[str, str]) -> ImageModelPipeline:
    """parameters["weights_dir"]: the weights directory; tiny-diffusion defaults to the shipped one.
    parameters["device"]: this Triton instance's device (deployment.instance_device)."""
    # imported here: it pulls in torch, and needs the repository root on sys.path
    # (deployment.make_dependencies_importable)
    from imagemodel.pipelines import DEFAULT_GUIDANCE, DEFAULT_STEPS, load_pipeline

    defaults = {
        # Native 32x32, shown at 256x256; the steps and guidance the shipped weights were evaluated at
        # (MODEL_CARD.md): more guidance overshoots into wrong colours.
        "tiny-diffusion": PipelineDefaults(steps=DEFAULT_STEPS, guidance=DEFAULT_GUIDANCE, width=256, height=256),
        "stable-diffusion": PipelineDefaults(steps=30, guidance=7.5, width=512, height=512),
    }
    if kind not in defaults:
        raise ValueError(f"no imagemodel pipeline {kind!r}; known: {', '.join(sorted(defaults))}")
    weights_dir = parameters.get("weights_dir") or None
    return ImageModelPipeline(load_pipeline(kind, weights_dir, device=parameters.get("device")), defaults[kind])
