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

Custom styles (STYLE_WEIGHTS): tiny-diffusion samples inside `imagemodel.style_lora.applied`, the style's
LoRA hooked onto its UNet for that loop only; requests with other style bytes or scale are other
groups, so no batch mixes styles. Bad style bytes or a style of other weights are InvalidRequest.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from txt2img_backend.pipelines import (
    Generation,
    GenerationRequest,
    InvalidRequest,
    OnStep,
    Outcome,
    PipelineDefaults,
    generate_one,
)

# Parsed styles kept for the next requests (a user generates several times with one style).
STYLE_CACHE_SIZE = 8


class ImageModelPipeline:
    takes_styles = True

    def __init__(self, pipeline, defaults: PipelineDefaults) -> None:
        """pipeline: an imagemodel.pipelines pipeline (generate, native_size, preview_every)."""
        self._pipeline = pipeline
        self._pipeline.preview_every = 1
        self.defaults = defaults
        self._styles: OrderedDict[str, Any] = OrderedDict()

    def _styled(self, request: GenerationRequest) -> contextlib.AbstractContextManager[None]:
        """The block samples with the request's style, if it sends one."""
        if request.style_weights is None:
            return contextlib.nullcontext()
        model = getattr(self._pipeline, "model", None)
        if model is None or not hasattr(model, "unet") or not hasattr(model, "adapter"):
            raise InvalidRequest("this deployment's pipeline draws no custom styles (tiny-diffusion does)")
        from imagemodel import style_lora

        key = hashlib.sha256(request.style_weights).hexdigest()
        style = self._styles.pop(key, None)
        if style is None:
            try:
                style = style_lora.from_bytes(request.style_weights, model)
            except style_lora.StyleError as error:
                raise InvalidRequest(f"STYLE_WEIGHTS: {error}") from None
        self._styles[key] = style
        while len(self._styles) > STYLE_CACHE_SIZE:
            self._styles.popitem(last=False)
        return style_lora.applied(model.unet, style, request.style_scale)

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
        with self._styled(request):
            return self._pipeline.generate(
                *arguments,
                on_preview=_previews_to(on_preview),
                init_image=request.init_image,
                strength=request.strength,
                mask=request.mask,
            )

    def generate_batch(self, generations: Sequence[Generation]) -> Iterator[tuple[int, Outcome]]:
        """As `pipelines.generate_all`: batches generations of equal steps, guidance, strength (None
        for text-to-image) and style (bytes and scale)."""
        batchable = getattr(self._pipeline, "generate_batch", None)
        groups: dict[tuple[object, ...], list[int]] = {}
        for index, generation in enumerate(generations):
            request = generation.request
            key: tuple[object, ...]
            if batchable is not None:
                key = ("together", request.steps, request.guidance, request.strength, _style_of(request))
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
                with self._styled(generations[members[0]].request):
                    outcomes = batchable(items, *key[1:4])
            except Exception as error:  # the whole batch broke: every member reports it
                outcomes = [error] * len(members)
            yield from zip(members, outcomes)


def _style_of(request: GenerationRequest) -> tuple[str, float] | None:
    """What a request's style is, for grouping: the bytes' hash and the scale, or None."""
    if request.style_weights is None:
        return None
    return hashlib.sha256(request.style_weights).hexdigest(), request.style_scale


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
