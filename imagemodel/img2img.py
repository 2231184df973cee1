"""Image-to-image (remix) for the pipelines in `imagemodel.pipelines`, reusing their model, scheduler
and encoder objects. Tiny-diffusion's remix is its text-to-image sampling loop started from the noised
init image (`TinyDiffusionPipeline.generate_batch` with a strength); Stable Diffusion's is diffusers'
img2img pipeline on the same components; the procedural one blends.

Interface::

    remixer = image_to_image(pipeline)          # a pipeline from imagemodel.pipelines.load_pipeline
    images = remixer.generate(
        prompt, negative_prompt, seeds, steps, guidance, width, height,   # as pipeline.generate
        init_image: np.ndarray,      # uint8 (h, w, 3), any size: resized to what the model draws at
        strength: float,             # 0 < strength <= 1: the share of the schedule run again
        on_preview=None,             # callable(step, total, previews) every pipeline.preview_every steps
    ) -> np.ndarray                  # (len(seeds), height, width, 3) uint8

SDEdit (Meng et al. 2021): the init image is noised to the timestep `strength` of the way into the
schedule and only the last `denoising_steps(steps, strength)` steps are run, with classifier-free
guidance as in text-to-image; previews count those steps. Low strength keeps the source's layout
and colours; strength 1 starts from (almost) pure noise. Each image depends only on (prompt,
negative prompt, its seed, init image, strength). The preview cadence is read from the wrapped
pipeline's `preview_every` on every call, so a caller that changes it there is followed.
"""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image

from imagemodel.pipelines import (
    PreviewCallback,
    ProceduralPipeline,
    StableDiffusionPipelineAdapter,
    TinyDiffusionPipeline,
    denoising_steps,
    resize_rgb,
    upscale,
    validate,
    validate_init,
)

DEFAULT_STRENGTH = 0.6


class TinyDiffusionImg2Img:
    """SDEdit in the tiny model's pixel space (native 32x32): the text-to-image sampling loop
    (`TinyDiffusionPipeline.generate_batch`) started from the init image noised to the strength's
    timestep, so a remix batches, guides and previews exactly as text-to-image does."""

    def __init__(self, pipeline: TinyDiffusionPipeline):
        self.pipeline = pipeline

    def generate(
        self,
        prompt,
        negative_prompt,
        seeds,
        steps,
        guidance,
        width,
        height,
        init_image,
        strength,
        on_preview: PreviewCallback | None = None,
    ) -> np.ndarray:
        validate_init(init_image, strength)
        return self.pipeline.generate(
            prompt, negative_prompt, seeds, steps, guidance, width, height, on_preview, init_image, strength
        )


class StableDiffusionImg2Img:
    """diffusers' img2img pipeline built from the text-to-image pipeline's own components (no second
    copy of the weights): SD 1.5-class directories get StableDiffusionImg2ImgPipeline, SDXL-class
    ones StableDiffusionXLImg2ImgPipeline."""

    def __init__(self, adapter: StableDiffusionPipelineAdapter):
        self.adapter = adapter
        self._img2img = None

    def _pipeline(self):
        if self._img2img is None:
            from diffusers import (
                StableDiffusionImg2ImgPipeline,
                StableDiffusionXLImg2ImgPipeline,
                StableDiffusionXLPipeline,
            )

            base = self.adapter.pipeline
            sdxl = isinstance(base, StableDiffusionXLPipeline)
            kind = StableDiffusionXLImg2ImgPipeline if sdxl else StableDiffusionImg2ImgPipeline
            self._img2img = kind.from_pipe(base)
            self._img2img.set_progress_bar_config(disable=True)
        return self._img2img

    @torch.no_grad()
    def generate(
        self,
        prompt,
        negative_prompt,
        seeds,
        steps,
        guidance,
        width,
        height,
        init_image,
        strength,
        on_preview: PreviewCallback | None = None,
    ) -> np.ndarray:
        from imagemodel.pipelines import latents_to_preview

        validate(prompt, seeds, steps, width, height)
        validate_init(init_image, strength)
        pipeline = self._pipeline()
        total = denoising_steps(steps, strength)
        # diffusers runs int(steps * strength) steps and refuses zero: ask for exactly `total`.
        effective_strength = min(1.0, (total + 1e-3) / steps)
        source = Image.fromarray(resize_rgb(init_image, width, height))
        device = pipeline.device
        generators = [torch.Generator(device=device).manual_seed(int(s)) for s in seeds]
        every = max(1, int(self.adapter.preview_every))

        def on_step_end(pipe, step, timestep, tensors):
            done = step + 1
            if on_preview and done % every == 0 and done < total:
                on_preview(done, total, latents_to_preview(tensors["latents"]))
            return {}

        result = pipeline(
            prompt=[prompt] * len(seeds),
            negative_prompt=[negative_prompt] * len(seeds) if negative_prompt else None,
            image=[source] * len(seeds),
            strength=effective_strength,
            num_inference_steps=steps,
            guidance_scale=guidance,
            generator=generators,
            output_type="np",
            callback_on_step_end=on_step_end,
            callback_on_step_end_tensor_inputs=["latents"],
        )
        images = (np.clip(result.images, 0, 1) * 255).round().astype(np.uint8)
        return upscale(images, width, height)


class ProceduralImg2Img:
    """The model-free reference: (1 - strength) * init + strength * the prompt's rendered scene."""

    def __init__(self, pipeline: ProceduralPipeline):
        self.pipeline = pipeline

    def generate(
        self,
        prompt,
        negative_prompt,
        seeds,
        steps,
        guidance,
        width,
        height,
        init_image,
        strength,
        on_preview: PreviewCallback | None = None,
    ) -> np.ndarray:
        validate(prompt, seeds, steps, width, height)
        validate_init(init_image, strength)
        scenes = self.pipeline.generate(prompt, negative_prompt, seeds, steps, guidance, width, height)
        source = resize_rgb(init_image, width, height).astype(np.float32)
        final = source * (1.0 - strength) + scenes.astype(np.float32) * strength
        total = denoising_steps(steps, strength)
        every = max(1, int(self.pipeline.preview_every))
        if on_preview:
            noise = np.random.default_rng(seeds[0] & 0xFFFFFFFF).integers(0, 256, final.shape)
            start = source * (1.0 - strength) + noise * strength
            for step in range(every, total, every):
                blend = step / total
                on_preview(step, total, np.clip(blend * final + (1 - blend) * start, 0, 255).astype(np.uint8))
        return np.clip(np.rint(final), 0, 255).astype(np.uint8)


def image_to_image(pipeline):
    """The remixer for a pipeline built by `imagemodel.pipelines.load_pipeline`."""
    for kind, remixer in (
        (TinyDiffusionPipeline, TinyDiffusionImg2Img),
        (StableDiffusionPipelineAdapter, StableDiffusionImg2Img),
        (ProceduralPipeline, ProceduralImg2Img),
    ):
        if isinstance(pipeline, kind):
            return remixer(pipeline)
    raise ValueError(f"no image-to-image for {type(pipeline).__name__}")
