"""Image-to-image (remix) for the pipelines in `imagemodel.pipelines`, reusing their model, scheduler
and encoder objects (that module stays text-to-image only).

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

import math

import numpy as np
import torch
from PIL import Image

from imagemodel.model import sampling_scheduler, to_uint8
from imagemodel.pipelines import (
    PreviewCallback,
    ProceduralPipeline,
    StableDiffusionPipelineAdapter,
    TinyDiffusionPipeline,
    upscale,
    validate,
)

DEFAULT_STRENGTH = 0.6


def denoising_steps(steps: int, strength: float) -> int:
    """The last int(steps * strength) steps of the schedule (as diffusers counts them), at least one.
    (The epsilon keeps 0.29 * 100 at 29 steps despite binary floating point.)"""
    return max(1, min(steps, int(steps * strength + 1e-6)))


def validate_init(init_image: np.ndarray, strength: float) -> None:
    if not isinstance(init_image, np.ndarray) or init_image.dtype != np.uint8:
        raise ValueError("the init image must be a uint8 array")
    if init_image.ndim != 3 or init_image.shape[2] != 3 or min(init_image.shape[:2]) < 1:
        raise ValueError(f"the init image must have shape (height, width, 3), got {init_image.shape}")
    if not (math.isfinite(strength) and 0.0 < strength <= 1.0):
        raise ValueError(f"strength must be above 0 and at most 1, got {strength}")


def resize_rgb(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """uint8 (h, w, 3) -> (height, width, 3); area averaging when shrinking, bicubic when growing."""
    if image.shape[:2] == (height, width):
        return image
    shrinking = width < image.shape[1] and height < image.shape[0]
    resample = Image.BOX if shrinking else Image.BICUBIC
    return np.asarray(Image.fromarray(image).resize((width, height), resample))


class TinyDiffusionImg2Img:
    """SDEdit in the tiny model's pixel space (native 32x32): noise the resized init image to the
    strength's timestep and run the remaining DDIM steps with guidance."""

    def __init__(self, pipeline: TinyDiffusionPipeline):
        self.pipeline = pipeline

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
        validate(prompt, seeds, steps, width, height)
        validate_init(init_image, strength)
        pipeline = self.pipeline
        count = len(seeds)
        guided = guidance > 1.0
        prompts = [prompt] * count + ([negative_prompt or ""] * count if guided else [])
        context, context_mask, _, slot_vector = pipeline.model.condition(*pipeline.encoder.encode(prompts))

        scheduler = sampling_scheduler()
        scheduler.set_timesteps(steps)
        total = denoising_steps(steps, strength)
        timesteps = scheduler.timesteps[steps - total :]
        source = resize_rgb(init_image, pipeline.native, pipeline.native)
        clean = torch.tensor(source, dtype=torch.float32).permute(2, 0, 1).div(127.5).sub(1.0)
        clean = clean.unsqueeze(0).expand(count, -1, -1, -1)
        # The same per-seed noise as text-to-image: an image depends on its own seed only.
        noise = pipeline.initial_noise(seeds)
        sample = scheduler.add_noise(clean, noise, timesteps[:1].repeat(count))

        every = max(1, int(pipeline.preview_every))
        for index, timestep in enumerate(timesteps):
            model_input = torch.cat([sample, sample]) if guided else sample
            batch_timesteps = torch.full((model_input.shape[0],), int(timestep))
            output = pipeline.model.denoise(model_input, batch_timesteps, context, context_mask, slot_vector)
            if guided:
                conditional, unconditional = output.chunk(2)
                output = unconditional + guidance * (conditional - unconditional)
            result = scheduler.step(output, timestep, sample, eta=0.0)
            sample = result.prev_sample
            done = index + 1
            if on_preview and done % every == 0 and done < total:
                on_preview(done, total, to_uint8(result.pred_original_sample))
        return upscale(to_uint8(sample), width, height)


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
