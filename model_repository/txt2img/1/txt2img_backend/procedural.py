"""A CPU-cheap stand-in generator: draws the scene the prompt names, deterministic per (prompt, seed).

It walks a straight path from seeded noise to the drawn scene over `steps` steps, so previews show
the image really emerging, the way a sampler's would. `guidance` has no meaning here and is ignored.

Image-to-image (remix): the result is the init image blended with the prompt's scene,
(1 - strength) * init + strength * scene, and the path starts from the init image blended with
noise by the same share, so low strength visibly keeps the source's layout and colours and
strength 1 draws the prompt alone.
"""

from __future__ import annotations

import hashlib

import numpy as np

from txt2img_backend.images import resize_batch, shrink_to_fit
from txt2img_backend.pipelines import PREVIEW_MAX_SIDE, OnStep
from txt2img_backend.request import GenerationRequest, PipelineDefaults
from txt2img_backend.scene import describe_scene, draw_scene, words_of

NOISE_SIGMA = 64.0


class ProceduralPipeline:
    defaults = PipelineDefaults(steps=20, guidance=1.0, width=256, height=256)

    def native_size(self, width: int, height: int) -> tuple[int, int]:
        return width, height

    def generate(self, request: GenerationRequest, on_preview: OnStep) -> np.ndarray:
        prompt, negative_prompt, width, height = request.prompt, request.negative_prompt, request.width, request.height
        rngs = [np.random.default_rng(_seed_material(prompt, negative_prompt, seed)) for seed in request.seeds]
        images = np.stack(
            [draw_scene(describe_scene(prompt, negative_prompt, rng), width, height, rng) for rng in rngs]
        )

        # Only previews ever show the path, so it is walked at preview size.
        preview_shape = shrink_to_fit(images[:1], PREVIEW_MAX_SIDE).shape[1:]
        noise = np.stack([rng.normal(127.5, NOISE_SIGMA, preview_shape) for rng in rngs])
        noise = noise.astype(np.float32)
        start = noise
        if request.init_image is not None and request.strength is not None:
            strength = request.strength
            source = resize_batch(request.init_image[None], width, height)
            images = _blend(source.astype(np.float32), images.astype(np.float32), strength)
            small_source = shrink_to_fit(source, PREVIEW_MAX_SIDE).astype(np.float32)
            start = small_source * (1.0 - strength) + noise * strength
        target = shrink_to_fit(images, PREVIEW_MAX_SIDE).astype(np.float32)

        total = request.denoising_steps
        for step in range(1, total + 1):
            on_preview(step, total, lambda done=step / total: _blend(start, target, done))
        return images


def _blend(start: np.ndarray, target: np.ndarray, done: float) -> np.ndarray:
    mixed = start * (1.0 - done) + target * done
    return np.clip(np.rint(mixed), 0, 255).astype(np.uint8)


def _seed_material(prompt: str, negative_prompt: str, seed: int) -> int:
    # Python's hash() is salted per process; this must give the same image in every process.
    text = "\0".join((" ".join(words_of(prompt)), " ".join(words_of(negative_prompt)), str(seed)))
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:16], "big")
