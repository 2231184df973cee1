"""Serves the repository's `imagemodel` pipelines (tiny-diffusion, stable-diffusion) behind
`Txt2ImgPipeline`.

imagemodel's pipelines hand `on_preview` a finished preview array every `preview_every` steps; the
model wants a call every step (to choose its own cadence and to notice a cancelled request soon), so
the adapter asks for previews on every step. Their previews are cheap (pred-x0 at 32x32, or a linear
latent-to-RGB map), never a VAE decode.

Image-to-image goes through `imagemodel.img2img`, which wraps the same pipeline object (same
weights, scheduler settings and text encoder) and reads the same `preview_every`.

Several requests at once (Triton's dynamic batcher): text-to-image requests with the same steps and
guidance run as one denoising loop when the pipeline can batch (tiny-diffusion's `generate_batch`:
each image identical to its request run alone); image-to-image requests, and every request on
other pipelines, run one at a time.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from txt2img_backend.pipelines import Generation, OnStep, Outcome, generate_one
from txt2img_backend.request import PipelineDefaults


class ImageModelPipeline:
    def __init__(self, pipeline, defaults: PipelineDefaults) -> None:
        """pipeline: an imagemodel.pipelines pipeline (generate, native_size, preview_every)."""
        self._pipeline = pipeline
        self._pipeline.preview_every = 1
        self._img2img = None
        self.defaults = defaults

    def native_size(self, width: int, height: int) -> tuple[int, int]:
        return self._pipeline.native_size(width, height)

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
        forward = _previews_to(on_preview)
        if init_image is not None and strength is not None:
            return self._remixer().generate(
                prompt,
                negative_prompt,
                list(seeds),
                steps,
                guidance,
                width,
                height,
                init_image,
                strength,
                on_preview=forward,
            )
        return self._pipeline.generate(
            prompt, negative_prompt, list(seeds), steps, guidance, width, height, on_preview=forward
        )

    def generate_batch(self, generations: Sequence[Generation]) -> Iterator[tuple[int, Outcome]]:
        """As `pipelines.generate_all`: batches text-to-image generations of equal steps and guidance."""
        batchable = getattr(self._pipeline, "generate_batch", None)
        groups: dict[tuple, list[int]] = {}
        for index, generation in enumerate(generations):
            params = generation.params
            if batchable is not None and params.init_image is None:
                key = ("together", params.steps, params.guidance)
            else:
                key = ("alone", index)
            groups.setdefault(key, []).append(index)
        for key, members in groups.items():
            if key[0] == "alone":
                yield members[0], generate_one(self, generations[members[0]])
                continue
            from imagemodel.pipelines import BatchItem

            items = []
            for index in members:
                params, on_preview = generations[index].params, generations[index].on_preview
                items.append(
                    BatchItem(
                        params.prompt,
                        params.negative_prompt,
                        list(params.seeds),
                        params.width,
                        params.height,
                        _previews_to(on_preview),
                    )
                )
            try:
                outcomes = batchable(items, key[1], key[2])
            except Exception as error:  # the whole batch broke: every member reports it
                outcomes = [error] * len(members)
            yield from zip(members, outcomes)

    def _remixer(self):
        if self._img2img is None:
            from imagemodel.img2img import image_to_image

            self._img2img = image_to_image(self._pipeline)
        return self._img2img


def _previews_to(on_preview: OnStep):
    """imagemodel hands finished previews; the model's OnStep takes a renderer."""

    def forward(step: int, total: int, previews: np.ndarray) -> None:
        on_preview(step, total, lambda: previews)

    return forward


def load(kind: str, parameters, defaults: PipelineDefaults) -> ImageModelPipeline:
    """parameters["weights_dir"]: the weights directory; tiny-diffusion defaults to the shipped one."""
    # imported here: it pulls in torch, and needs the repository root on sys.path (see site_paths)
    from imagemodel.pipelines import load_pipeline

    return ImageModelPipeline(load_pipeline(kind, parameters.get("weights_dir") or None), defaults)
