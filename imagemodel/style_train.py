"""Train a custom style (`imagemodel.style_lora`) of the default model on a user's handful of images.

The default model stays frozen; AdamW trains only the LoRA factors, with the base training's loss
(v-prediction, min-SNR weighting) on the images at the model's native 32x32 (centre-cropped square,
area-averaged), each conditioned on its caption as the base model was. A missing or empty caption is
read from the image by the project's describer (`describer/`, in-process), so the style learns the
look and the prompt keeps saying what to draw; without a describer the image trains on the empty
prompt.

Deterministic: the same images, captions, steps, seed and thread count give the same bytes.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Sequence

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from imagemodel import style_lora
from imagemodel.model import training_scheduler
from imagemodel.pipelines import TinyDiffusionPipeline
from imagemodel.train import min_snr_weight

DEFAULT_STEPS = 300
MAX_STEPS = 2000
MAX_IMAGES = 64
BATCH_SIZE = 8
LEARNING_RATE = 3e-3
WARMUP_STEPS = 20
MAX_THREADS = 2
# Progress is reported at most every 2% of the steps (and at the last).
PROGRESS_SHARE = 50

OnProgress = Callable[[int, int, float], None]
ReadCaption = Callable[[np.ndarray], str]


class StyleTrainingError(ValueError):
    """The request cannot train a style as sent; the message names what to change."""


def decode_images(encoded: Sequence[bytes], side: int) -> list[np.ndarray]:
    """PNG/JPEG/WebP bytes -> uint8 (side, side, 3): RGB, centre-cropped square, area-averaged."""
    if not 1 <= len(encoded) <= MAX_IMAGES:
        raise StyleTrainingError(f"IMAGES must hold 1 to {MAX_IMAGES} images, got {len(encoded)}")
    images = []
    for index, data in enumerate(encoded):
        try:
            with Image.open(io.BytesIO(data)) as opened:
                opened.load()
                image = opened.convert("RGB")
        except (UnidentifiedImageError, OSError, ValueError) as error:
            raise StyleTrainingError(f"IMAGES[{index}] is not a readable PNG, JPEG or WebP image: {error}") from None
        width, height = image.size
        crop = min(width, height)
        left, top = (width - crop) // 2, (height - crop) // 2
        square = image.crop((left, top, left + crop, top + crop))
        images.append(np.asarray(square.resize((side, side), Image.Resampling.BOX)))
    return images


def progress_steps(total: int) -> set[int]:
    every = max(1, math.ceil(total / PROGRESS_SHARE))
    return {step for step in range(every, total + 1, every)} | {total}


def train_style(
    pipeline: TinyDiffusionPipeline,
    images: Sequence[np.ndarray],
    captions: Sequence[str],
    steps: int = DEFAULT_STEPS,
    seed: int = 0,
    read_caption: ReadCaption | None = None,
    on_progress: OnProgress | None = None,
    threads: int = MAX_THREADS,
) -> style_lora.Style:
    """images: uint8 (native, native, 3); captions: one per image ("" = read it, see the module).
    on_progress(step, total, loss) at most every 2% of the steps; it may raise to stop the run."""
    if not 1 <= steps <= MAX_STEPS:
        raise StyleTrainingError(f"STEPS must be between 1 and {MAX_STEPS}, got {steps}")
    if len(captions) != len(images):
        raise StyleTrainingError(f"CAPTIONS must hold one caption per image: {len(captions)} for {len(images)}")
    torch.set_num_threads(min(MAX_THREADS, max(1, threads)))
    model = pipeline.model.requires_grad_(False)
    prompts = [
        caption.strip() or (read_caption(image) if read_caption else "") for caption, image in zip(captions, images)
    ]
    if pipeline.reads_phrasing:
        prompts = [pipeline.vocabulary.normalise(prompt) if prompt else "" for prompt in prompts]
    with torch.no_grad():
        context, context_mask, _, slot_vector = model.condition(*pipeline.encoder.encode(prompts))
    pixels = torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).float() / 127.5 - 1

    style = style_lora.new_style(model.unet, torch.Generator().manual_seed(seed))
    optimizer = torch.optim.AdamW(style_lora.parameters(style), lr=LEARNING_RATE, weight_decay=0.0)
    scheduler = training_scheduler()
    report_at = progress_steps(steps)
    batch = min(BATCH_SIZE, len(images))
    with style_lora.applied(model.unet, style):
        for step in range(steps):
            rng = np.random.default_rng((seed, step))
            rows = torch.from_numpy(np.sort(rng.choice(len(images), size=batch, replace=False)))
            generator = torch.Generator().manual_seed(int(rng.integers(2**62)))
            clean = pixels[rows]
            noise = torch.randn(clean.shape, generator=generator)
            timesteps = torch.randint(0, scheduler.config.num_train_timesteps, (batch,), generator=generator)
            target = scheduler.get_velocity(clean, noise, timesteps)
            prediction = model.denoise(
                scheduler.add_noise(clean, noise, timesteps),
                timesteps,
                context[rows],
                context_mask[rows],
                slot_vector[rows],
            )
            per_sample = (prediction - target).pow(2).mean(dim=(1, 2, 3))
            loss = (per_sample * min_snr_weight(scheduler, timesteps)).mean()
            for group in optimizer.param_groups:
                group["lr"] = LEARNING_RATE * min(1.0, (step + 1) / WARMUP_STEPS)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(style_lora.parameters(style), 1.0)
            optimizer.step()
            if on_progress is not None and step + 1 in report_at:
                on_progress(step + 1, steps, float(loss.item()))
    for tensor in style_lora.parameters(style):
        tensor.requires_grad_(False)
    return style


def describer_captions() -> ReadCaption:
    """The shipped describer's best suggestion for an image (imported here: it loads its weights)."""
    from describer.describe import ShippedDescriber

    describer = ShippedDescriber()

    def read(image: np.ndarray) -> str:
        suggestions = describer.describe(image)
        return suggestions[0] if suggestions else ""

    return read


def train_style_bytes(
    pipeline: TinyDiffusionPipeline,
    encoded_images: Sequence[bytes],
    captions: Sequence[str] | None,
    steps: int = DEFAULT_STEPS,
    seed: int = 0,
    read_caption: ReadCaption | None = None,
    on_progress: OnProgress | None = None,
    threads: int = MAX_THREADS,
) -> bytes:
    """The whole job as `style_train` serves it: encoded images in, the style's safetensors bytes out."""
    images = decode_images(encoded_images, pipeline.native)
    captions = list(captions) if captions else [""] * len(images)
    style = train_style(pipeline, images, captions, steps, seed, read_caption, on_progress, threads)
    extra = {"steps": str(steps), "seed": str(seed), "images": str(len(images))}
    return style_lora.to_bytes(style, pipeline.model, extra)
