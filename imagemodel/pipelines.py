"""Text-to-image pipelines behind one interface, for the Triton `txt2img` model and for tools.

Interface (every pipeline)::

    pipeline = <Pipeline>.from_pretrained(weights_dir)
    images = pipeline.generate(
        prompt: str,                 # must not be empty
        negative_prompt: str,        # "" for none; used as the unconditional branch of guidance
        seeds: list[int],            # one image per seed; the same prompt and seed give the same image
        steps: int,                  # sampling steps, 1..MAX_STEPS
        guidance: float,             # classifier-free guidance scale; <= 1 disables guidance
        width: int, height: int,     # output size, 8..MAX_SIZE, multiples of 8
        on_preview=None,             # optional callable(step: int, total_steps: int, previews: ndarray)
        init_image=None,             # image-to-image: uint8 (h, w, 3), any size: resized as the model needs
        strength=None,               # with init_image: 0 < strength <= 1, the share of the schedule run again
        mask=None,                   # inpainting: (h, w) of init_image, nonzero = draw anew; no strength
    ) -> np.ndarray                  # (len(seeds), height, width, 3) uint8 RGB

    pipeline.native_size(width, height) -> (w, h)   # the size the model really drew at
    pipeline.preview_every                            # steps between preview callbacks

`on_preview` receives a cheap approximation every `preview_every` steps (uint8, (n, h', w', 3), at the
model's native or latent resolution, never a full decode). Invalid arguments raise `ValueError` with a
message fit for the user; the Triton model returns it as a per-request error.

Image-to-image (remix, SDEdit, Meng et al. 2021): `denoising_steps(steps, strength)` steps run, with
guidance as in text-to-image; previews count those steps. Tiny-diffusion reads strength as a noise
level: the init image is noised until (1 - strength) ** 4 of its signal is left (`remix_start_timestep`),
and the steps are spread from there down to the clean image. Low strength keeps the source's layout
and colours; strength 1 starts from (almost) pure noise. Each image depends only on (prompt, negative
prompt, its seed, init image, strength). Tiny-diffusion runs its text-to-image loop from there, Stable
Diffusion diffusers' img2img pipeline on the same components; the procedural pipeline blends.

Pipelines: `ProceduralPipeline` (renders the parsed prompt exactly, no weights), `TinyDiffusionPipeline`
(the project's own model, native 32x32 or for other aspect ratios 32 on the short side
(`native_shape`), upscaled for display) and `StableDiffusionPipelineAdapter`
(any diffusers Stable Diffusion 1.5 / SDXL-class directory, loaded offline). `load_pipeline(kind, dir)`
picks one by the names the Triton config uses: procedural | tiny-diffusion | stable-diffusion.

Inpainting (magic fill, extend; RePaint-style, Lugmayr et al. 2022): with init_image and a mask and
no strength, the text-to-image schedule runs from noise, and before every step the known pixels
(mask 0) are the init image noised to that step's level, pasted over the sample, so the model draws
the masked region to fit them. The result is composited at full size: outside the mask it is the
init image exactly (`composite`). Tiny-diffusion does it in its one loop; the procedural pipeline
composites its scene; Stable Diffusion uses diffusers' inpaint pipeline on the same components.

Wide and tall frames (`imagemodel.framing`): tiny-diffusion's text-to-image at a shape other than the
square runs twice over the same seeds: the square it was trained on, then the frame drawn around it
by inpainting, the square placed at the side the prompt asks for, so "on the left" in a 16:9 frame
is at the left, not a square's left offset from the centre of a wide frame.

`TinyDiffusionPipeline.generate_batch(items, steps, guidance, strength=None)` owns the tiny model's one
sampling loop (guided DDIM): it runs several callers' `generate` arguments (`BatchItem`s) as one loop,
for the Triton model's dynamic batching, each image bit for bit as its caller's `generate` alone gives
it; with a strength and init images it is image-to-image: the same loop started from the init images
noised to the strength's timestep.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image
from safetensors.torch import load_file

from imagemodel import magic_prompt, prompt_reader, world
from imagemodel.captions import Vocabulary, parse, world_vocabulary
from imagemodel.framing import FRAME_STRENGTH, Framing, PreviewCallback, TwoPassProgress, in_frame, square_offset
from imagemodel.model import (
    ModelConfig,
    TextEncoder,
    TextToImageModel,
    remix_scheduler,
    sampling_scheduler,
    to_uint8,
)
from imagemodel.prompt_reader import PromptReader, SlotReader

log = logging.getLogger("imagemodel.pipelines")

DEFAULT_STEPS = 25
# Held-out whole-prompt accuracy of the shipped weights: 90% at 1.0, 94% at 1.25, 70% at 1.5, 7% at 3.0
# (MODEL_CARD.md): the structured conditioning already binds the prompt; more guidance leaves the palette.
DEFAULT_GUIDANCE = 1.25
MAX_STEPS = 200
MAX_SIZE = 2048
MAX_IMAGES = 16
# Tiny-diffusion's UNet halves the picture twice (three blocks), so a size it samples at divides by 4.
NATIVE_MULTIPLE = 4
MAX_NATIVE_SIDE = 128


def validate(prompt: str, seeds: Sequence[int], steps: int, width: int, height: int) -> None:
    if not prompt or not prompt.strip():
        raise ValueError("prompt must not be empty")
    if not 1 <= len(seeds) <= MAX_IMAGES:
        raise ValueError(f"number of images must be between 1 and {MAX_IMAGES}")
    if not 1 <= steps <= MAX_STEPS:
        raise ValueError(f"steps must be between 1 and {MAX_STEPS}")
    for name, value in (("width", width), ("height", height)):
        if not 8 <= value <= MAX_SIZE or value % 8:
            raise ValueError(f"{name} must be a multiple of 8 between 8 and {MAX_SIZE}, got {value}")


def denoising_steps(steps: int, strength: float) -> int:
    """Image-to-image runs the last int(steps * strength) steps of the schedule (as diffusers counts
    them), at least one. (The epsilon keeps 0.29 * 100 at 29 steps despite binary floating point.)"""
    return max(1, min(steps, int(steps * strength + 1e-6)))


# Remix strength is a noise level: the init image is noised to the first timestep whose signal level
# sqrt(alpha_bar) is at most (1 - strength) ** REMIX_SIGNAL_POWER. The model redraws whatever signal is
# left (at 38% left, strength 0.6 with power 1, 3% of remixes followed the new prompt); power 4 leaves
# 2.6% at 0.6 (95% follow it) and 24% at 0.3, where the source still shows (MODEL_CARD.md).
REMIX_SIGNAL_POWER = 4.0


def remix_start_timestep(strength: float, alphas_cumprod: torch.Tensor) -> int:
    """The training timestep an image-to-image run starts from: where the source keeps
    (1 - strength) ** REMIX_SIGNAL_POWER of its signal (a noise level, not a share of the timesteps:
    the cosine schedule keeps 64% of the signal at 55% of the way in)."""
    signal = alphas_cumprod.sqrt()
    target = (1.0 - strength) ** REMIX_SIGNAL_POWER
    below = torch.nonzero(signal <= target + 1e-6)
    return int(below[0]) if len(below) else len(signal) - 1


def remix_schedule(count: int, strength: float) -> tuple[Any, torch.Tensor]:
    """A DDIM scheduler and the `count` timesteps an image-to-image run takes: evenly spaced from the
    strength's start timestep down to the clean image ("trailing" spacing ends at alpha_bar = 1)."""
    scheduler = remix_scheduler()
    start = remix_start_timestep(strength, scheduler.alphas_cumprod)
    total = max(count, round(count * scheduler.config.num_train_timesteps / (start + 1)))
    scheduler.set_timesteps(total)
    return scheduler, scheduler.timesteps[total - count :]


def validate_init(init_image: np.ndarray | None, strength: float | None) -> None:
    """Image-to-image's own arguments: both given, a uint8 RGB picture of any size and 0 < strength <= 1."""
    if init_image is None or strength is None:
        raise ValueError("image-to-image needs both an init image and a strength")
    if not isinstance(init_image, np.ndarray) or init_image.dtype != np.uint8:
        raise ValueError("the init image must be a uint8 array")
    if init_image.ndim != 3 or init_image.shape[2] != 3 or min(init_image.shape[:2]) < 1:
        raise ValueError(f"the init image must have shape (height, width, 3), got {init_image.shape}")
    if not (math.isfinite(strength) and 0.0 < strength <= 1.0):
        raise ValueError(f"strength must be above 0 and at most 1, got {strength}")


def validate_mask(mask: np.ndarray | None, init_image: np.ndarray | None, strength: float | None) -> None:
    """Inpainting's arguments: an init image, no strength (the whole schedule runs) and a mask of
    the init image's height and width with something to draw."""
    if init_image is None or strength is not None:
        raise ValueError("inpainting needs an init image and no strength")
    if not isinstance(mask, np.ndarray) or mask.ndim != 2:
        raise ValueError("the mask must be a (height, width) array")
    if mask.shape != init_image.shape[:2]:
        raise ValueError(
            f"the mask is {mask.shape[1]}x{mask.shape[0]} px; it must be the image's size,"
            f" {init_image.shape[1]}x{init_image.shape[0]}"
        )
    if not mask.any():
        raise ValueError("the mask is empty: paint the region to fill")


def resize_mask(mask: np.ndarray, width: int, height: int) -> np.ndarray:
    """A (h, w) mask -> bool (height, width): a pixel is to draw where any of the mask covers it."""
    fill = (mask > 0).astype(np.uint8) * 255
    if fill.shape != (height, width):
        fill = np.asarray(Image.fromarray(fill).resize((width, height), Image.Resampling.BOX))
    return fill > 0


def composite(images: np.ndarray, init_image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Inpainting's result (n, h, w, 3): the drawn images inside the mask, the init image (resized to
    the images' size when it differs) exactly outside it."""
    height, width = images.shape[1:3]
    known = resize_rgb(init_image, width, height)
    inside = (mask > 0) if mask.shape == (height, width) else resize_mask(mask, width, height)
    return np.where(inside[None, :, :, None], images, known[None]).astype(np.uint8)


def resize_rgb(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """uint8 (h, w, 3) -> (height, width, 3); area averaging when shrinking, bicubic when growing."""
    if image.shape[:2] == (height, width):
        return image
    shrinking = width < image.shape[1] and height < image.shape[0]
    resample = Image.Resampling.BOX if shrinking else Image.Resampling.BICUBIC
    return np.asarray(Image.fromarray(image).resize((width, height), resample))


def native_shape(native: int, width: int, height: int) -> tuple[int, int]:
    """The (width, height) a convolutional model trained at native x native samples at for a requested
    size: the trained side on the short side (shapes keep the scale they were trained at) and the long
    side the multiple of NATIVE_MULTIPLE nearest the requested aspect ratio (16:9 -> 56x32, 4:3 ->
    44x32), so the picture is composed at its shape, not a square stretched to it."""
    if width <= 0 or height <= 0 or width == height:
        return native, native

    def long_side(ratio: float) -> int:
        return min(MAX_NATIVE_SIDE, max(native, NATIVE_MULTIPLE * round(native * ratio / NATIVE_MULTIPLE)))

    if width > height:
        return long_side(width / height), native
    return native, long_side(height / width)


def upscale(images: np.ndarray, width: int, height: int) -> np.ndarray:
    """Resize for display; flat-coloured scenes stay crisp with bicubic filtering."""
    if images.shape[1:3] == (height, width):
        return images
    return np.stack([np.asarray(Image.fromarray(i).resize((width, height), Image.Resampling.BICUBIC)) for i in images])


# CPU BLAS multiplies a matrix of few rows with other kernels, summing in another order, than one of
# many rows: below this many rows a Linear's result for one row depends on how many rows come with it.
MIN_MATMUL_ROWS = 16


def pad_small_matmuls(module: torch.nn.Module) -> None:
    """Makes every Linear in module multiply at least MIN_MATMUL_ROWS rows (padding with zero rows it
    then drops), so that each image's result is bit for bit the same whatever batch it is in: the
    UNet's timestep and class embeddings have one row per image. Costs a few tiny matmuls. Changes
    module in place (inference only: the pipeline's model)."""
    for linear in module.modules():
        if isinstance(linear, torch.nn.Linear) and not getattr(linear, "pads_small_matmuls", False):
            # nn.Module's annotations admit neither: replacing forward and a plain flag are what this does.
            linear.forward = _padded_forward(linear.forward)  # type: ignore[method-assign,assignment]
            linear.pads_small_matmuls = True  # type: ignore[assignment]


def _padded_forward(forward: Callable[[torch.Tensor], torch.Tensor]) -> Callable[[torch.Tensor], torch.Tensor]:
    def padded(x: torch.Tensor) -> torch.Tensor:
        rows = x.numel() // x.shape[-1]
        if rows >= MIN_MATMUL_ROWS:
            return forward(x)
        flat = torch.cat([x.reshape(rows, x.shape[-1]), x.new_zeros(MIN_MATMUL_ROWS - rows, x.shape[-1])])
        out = forward(flat)
        return out[:rows].reshape(*x.shape[:-1], out.shape[-1])

    return padded


@dataclass(frozen=True)
class BatchItem:
    """One caller's share of `TinyDiffusionPipeline.generate_batch`: what `generate` takes besides
    steps and guidance, and for image-to-image the picture to start from (uint8 (h, w, 3), any size)."""

    prompt: str
    negative_prompt: str
    seeds: Sequence[int]
    width: int
    height: int
    on_preview: PreviewCallback | None = None
    init_image: np.ndarray | None = None
    # Inpainting: (h, w) of init_image, nonzero where the picture is drawn anew (module docstring).
    mask: np.ndarray | None = None
    # The second pass of a wide or tall text-to-image: the squares to draw the frame around (`framing`).
    frame: Framing | None = None


def _source(item: BatchItem) -> np.ndarray:
    """The picture an image-to-image item starts from (validated: present whenever strength is)."""
    if item.init_image is None:
        raise ValueError("image-to-image needs init_image")
    return item.init_image


def _settled(outcomes: list[np.ndarray | Exception | None]) -> list[np.ndarray | Exception]:
    """Every item's outcome, once each has its images or the exception that ended it."""
    settled = [outcome for outcome in outcomes if outcome is not None]
    if len(settled) != len(outcomes):
        raise RuntimeError("an item of the batch ended with neither images nor an exception")
    return settled


class Pipeline:
    """What every pipeline shares: `generate` as the module's interface describes it, checked here once,
    handed to the pipeline's `_generate` as one `BatchItem`."""

    preview_every = 5

    @classmethod
    def from_pretrained(cls, weights_dir: str | Path) -> Pipeline:
        raise NotImplementedError

    def generate(
        self,
        prompt: str,
        negative_prompt: str,
        seeds: Sequence[int],
        steps: int,
        guidance: float,
        width: int,
        height: int,
        on_preview: PreviewCallback | None = None,
        init_image: np.ndarray | None = None,
        strength: float | None = None,
        mask: np.ndarray | None = None,
    ) -> np.ndarray:
        validate(prompt, seeds, steps, width, height)
        if mask is not None:
            validate_mask(mask, init_image, strength)
        elif init_image is not None or strength is not None:
            validate_init(init_image, strength)
        item = BatchItem(prompt, negative_prompt, seeds, width, height, on_preview, init_image, mask)
        return self._generate(item, steps, guidance, strength)

    def _generate(self, item: BatchItem, steps: int, guidance: float, strength: float | None) -> np.ndarray:
        """Valid arguments; strength is None when item.init_image is, and when item.mask is not."""
        raise NotImplementedError

    def unknown_words(self, prompt: str) -> tuple[str, ...]:
        """The prompt's words this model never learned and so cannot draw; none for a model that
        reads any text."""
        return ()


class WorldPipeline(Pipeline):
    """A pipeline that draws only the procedural world, and knows the words it was made for."""

    vocabulary = Vocabulary(world_vocabulary())

    def unknown_words(self, prompt: str) -> tuple[str, ...]:
        return self.vocabulary.read(prompt).unknown


class ProceduralPipeline(WorldPipeline):
    """Renders the prompt's scene directly: a model-free reference and a fallback."""

    def __init__(self, native: int = 64):
        self.native = native

    @classmethod
    def from_pretrained(cls, weights_dir: str | Path | None = None) -> ProceduralPipeline:
        return cls()

    def native_size(self, width: int, height: int) -> tuple[int, int]:
        return self.native, self.native

    def _generate(self, item: BatchItem, steps: int, guidance: float, strength: float | None) -> np.ndarray:
        if item.mask is not None:  # inpainting: the prompt's scene inside the mask
            return composite(self._scenes(item, steps, item.on_preview), _source(item), item.mask)
        if strength is None:
            return self._scenes(item, steps, item.on_preview)
        # Image-to-image: (1 - strength) * init + strength * the prompt's rendered scene.
        scenes = self._scenes(item, steps, None)
        source = resize_rgb(_source(item), item.width, item.height).astype(np.float32)
        final = source * (1.0 - strength) + scenes.astype(np.float32) * strength
        total = denoising_steps(steps, strength)
        every = max(1, int(self.preview_every))
        if item.on_preview:
            noise = np.random.default_rng(item.seeds[0] & 0xFFFFFFFF).integers(0, 256, final.shape)
            start = source * (1.0 - strength) + noise * strength
            for step in range(every, total, every):
                blend = step / total
                item.on_preview(step, total, np.clip(blend * final + (1 - blend) * start, 0, 255).astype(np.uint8))
        return np.clip(np.rint(final), 0, 255).astype(np.uint8)

    def _scenes(self, item: BatchItem, steps: int, on_preview: PreviewCallback | None) -> np.ndarray:
        images = []
        for seed in item.seeds:
            spec = magic_prompt.complete_spec(parse(item.prompt), np.random.default_rng([seed & 0xFFFFFFFF, 7]))
            scene = world.Scene(
                tuple(
                    world.SceneObject(_filled(o.shape), _filled(o.colour), _filled(o.size), _filled(o.position))
                    for o in spec.objects
                ),
                _filled(spec.background),
                tuple(np.random.default_rng(seed & 0xFFFFFFFF).uniform(-1, 1, 3 * len(spec.objects))),
            )
            images.append(world.render(scene, self.native))
        final = np.stack(images)
        if on_preview:
            noise = np.random.default_rng(item.seeds[0] & 0xFFFFFFFF).integers(0, 256, final.shape)
            for step in range(self.preview_every, steps, self.preview_every):
                blend = step / steps
                on_preview(step, steps, (blend * final + (1 - blend) * noise).astype(np.uint8))
        return upscale(final, item.width, item.height)


def _filled(attribute: str | None) -> str:
    """An attribute magic_prompt.complete_spec filled (a scene has every one)."""
    if attribute is None:
        raise ValueError("the prompt's scene leaves an attribute open")
    return attribute


class TinyDiffusionPipeline(WorldPipeline):
    """The project's own model: MiniLM tokens -> adapter -> UNet, DDIM with classifier-free guidance."""

    # Guidance is applied only below this training timestep. At the noisiest steps the text already
    # fixes colours and layout; extrapolating there overshoots into saturated, wrong colours.
    guidance_max_timestep = 1000

    # Text-to-image at a wide or tall shape is composed in the trained square, then framed (`framing`).
    composes_in_square = True

    # The text encoder is given the prompt as the learned prompt reader reads it (the canonical caption
    # of what it asks for, in whatever words; slips mended); False: as typed (the evaluator's "before").
    reads_phrasing = True

    def __init__(self, model: TextToImageModel, encoder: TextEncoder, reader: SlotReader | None = None):
        self.model = model.eval()
        self.encoder = encoder
        self.native = model.config.sample_size
        self.prompt_reader = PromptReader(reader, encoder, self.vocabulary) if reader is not None else None
        pad_small_matmuls(self.model.unet)

    @classmethod
    def from_pretrained(cls, weights_dir: str | Path) -> TinyDiffusionPipeline:
        weights_dir = Path(weights_dir)
        config = json.loads((weights_dir / "config.json").read_text())
        fields: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in config["model"].items()}
        model = TextToImageModel(ModelConfig(**fields))
        state = {k: v.float() for k, v in load_file(str(weights_dir / "model.safetensors")).items()}
        model.load_state_dict(state)
        reader_file = weights_dir / prompt_reader.WEIGHTS_FILE
        return cls(model, TextEncoder(), prompt_reader.load(reader_file) if reader_file.exists() else None)

    def normalise(self, prompts: list[str]) -> list[str]:
        """What the text encoder is given for each prompt (see reads_phrasing)."""
        if not self.reads_phrasing:
            return prompts
        if self.prompt_reader is None:  # weights without a reader: the rules alone
            return [self.vocabulary.normalise(prompt) for prompt in prompts]
        return self.prompt_reader.normalise(prompts)

    def unknown_words(self, prompt: str) -> tuple[str, ...]:
        """Words the reader resolves to a world word ("enormous") are understood, so not reported."""
        if self.prompt_reader is None:
            return super().unknown_words(prompt)
        return self.prompt_reader.resolve(prompt).unknown

    def native_size(self, width: int, height: int) -> tuple[int, int]:
        return native_shape(self.native, width, height)

    def initial_noise(self, seeds: Sequence[int], width: int, height: int) -> torch.Tensor:
        """Per-seed noise at a native size, so an image depends on its seed alone and not on the batch
        around it."""
        shape = (1, 3, height, width)
        return torch.cat([torch.randn(shape, generator=torch.Generator().manual_seed(int(s))) for s in seeds])

    def _generate(self, item: BatchItem, steps: int, guidance: float, strength: float | None) -> np.ndarray:
        (images,) = self.generate_batch([item], steps, guidance, strength)
        if isinstance(images, Exception):
            raise images
        return images

    def generate_batch(
        self, items: Sequence[BatchItem], steps: int, guidance: float, strength: float | None = None
    ) -> list[np.ndarray | Exception]:
        """Several callers' generations as `_sample` runs them, the wide and tall text-to-image ones
        composed in the square first (`imagemodel.framing`) when composes_in_square."""
        framed = {index: item for index, item in enumerate(items) if strength is None and self._composes(item, steps)}
        if not framed:
            return self._sample(items, steps, guidance, strength)
        return self._compose_in_square(items, framed, steps, guidance)

    def _composes(self, item: BatchItem, steps: int) -> bool:
        """A valid text-to-image item at a shape other than the square, when the pipeline composes."""
        if not self.composes_in_square or item.init_image is not None or item.mask is not None:
            return False
        try:
            validate(item.prompt, item.seeds, steps, item.width, item.height)
        except ValueError:
            return False  # _sample reports it
        width, height = self.native_size(item.width, item.height)
        return width != height

    def _compose_in_square(
        self, items: Sequence[BatchItem], framed: dict[int, BatchItem], steps: int, guidance: float
    ) -> list[np.ndarray | Exception]:
        """The framed items' squares (in one loop with the other items), then their frames."""
        side, first_pass, offsets, progress = self.native, list(items), {}, {}
        for index, item in framed.items():
            width, height = self.native_size(item.width, item.height)
            offsets[index] = left, top = square_offset(self.places(item.prompt), side, width, height)
            progress[index] = TwoPassProgress(item.on_preview, steps, steps, denoising_steps(steps, FRAME_STRENGTH))
            shown = partial(in_frame, left=left, top=top, width=width, height=height)
            first_pass[index] = replace(item, width=side, height=side, on_preview=progress[index].first(shown))
        outcomes = self._sample(first_pass, steps, guidance, None)
        frames = {
            index: replace(
                item, on_preview=progress[index].second(), frame=self._framing(item, squares, offsets[index])
            )
            for index, item in framed.items()
            if not isinstance(squares := outcomes[index], Exception)
        }
        second = self._sample(list(frames.values()), steps, guidance, FRAME_STRENGTH)
        for index, outcome in zip(frames, second, strict=True):
            outcomes[index] = outcome
        return outcomes

    def _framing(self, item: BatchItem, squares: np.ndarray, planned: tuple[int, int]) -> Framing:
        return Framing.settled(squares, planned, *self.native_size(item.width, item.height))

    def places(self, prompt: str) -> list[str | None]:
        """The places the prompt asks its objects to be, as the network is given it."""
        return [obj.position for obj in parse(self.normalise([prompt])[0]).objects]

    @torch.no_grad()
    def _sample(
        self, items: Sequence[BatchItem], steps: int, guidance: float, strength: float | None = None
    ) -> list[np.ndarray | Exception]:
        """Several callers' generations with the same steps, guidance and strength, as one denoising loop.

        strength None: text-to-image from per-seed noise over all `steps`. A strength (0 < s <= 1):
        image-to-image, every item with an init_image: each seed's noise added to its item's init
        image (resized to the native size) at the strength's timestep, then
        `denoising_steps(steps, strength)` steps down to the clean image (`remix_schedule`), which
        previews count.

        Returns, per item, its images (as `generate` returns them) or the exception that ended it:
        an invalid item's ValueError, or what its on_preview raised (a cancelled caller), which drops
        that item's rows and leaves the others running. Every image is the one `generate` gives for
        its item alone: noise is per seed, each item's text is encoded and conditioned by itself as
        `generate` does, and the UNet computes batch rows independently.
        """
        outcomes: list[np.ndarray | Exception | None] = [None] * len(items)
        shapes = [self.native_size(item.width, item.height) for item in items]
        if len(set(shapes)) > 1:  # one loop samples one size: a loop per native size
            for shape in dict.fromkeys(shapes):
                members = [index for index, other in enumerate(shapes) if other == shape]
                batch = self._sample([items[index] for index in members], steps, guidance, strength)
                for index, outcome in zip(members, batch, strict=True):
                    outcomes[index] = outcome
            return _settled(outcomes)
        width, height = shapes[0] if shapes else (self.native, self.native)
        live = []
        for index, item in enumerate(items):
            try:
                validate(item.prompt, item.seeds, steps, item.width, item.height)
                if item.mask is not None:
                    validate_mask(item.mask, item.init_image, strength)
                elif item.frame is None and (strength is not None or item.init_image is not None):
                    validate_init(item.init_image, strength)
                live.append(index)
            except ValueError as error:
                outcomes[index] = error
        if not live:
            return _settled(outcomes)
        guided = guidance > 1.0
        conditions = [self._condition(items[index], guided) for index in live]
        # (context, mask, slot vector), each with one row per image: the prompts', then the negatives'.
        conditional = [torch.cat(parts) for parts in zip(*(c for c, _ in conditions))]
        both = [torch.cat([c, *u]) for c, *u in zip(conditional, *(u for _, u in conditions))] if guided else []
        sample = torch.cat([self.initial_noise(items[index].seeds, width, height) for index in live])
        known = self._known(items, live, width, height, sample)  # inpainting's known pixels, if any
        if strength is None:
            scheduler = sampling_scheduler()
            scheduler.set_timesteps(steps)
            timesteps = scheduler.timesteps
        else:
            scheduler, timesteps = remix_schedule(denoising_steps(steps, strength), strength)
            clean = torch.cat([self._clean(items[index], width, height) for index in live])
            sample = scheduler.add_noise(clean, sample, timesteps[:1].repeat(len(sample)))
        total = len(timesteps)
        for step, timestep in enumerate(timesteps, start=1):
            if known is not None:
                sample = known.paste(sample, scheduler, timestep)
            guide_now = guided and int(timestep) < self.guidance_max_timestep
            model_input = torch.cat([sample, sample]) if guide_now else sample
            output = self._denoise(model_input, int(timestep), both if guide_now else conditional)
            if guide_now:
                conditional_output, unconditional_output = output.chunk(2)
                output = unconditional_output + guidance * (conditional_output - unconditional_output)
            result = scheduler.step(output, timestep, sample, eta=0.0)
            sample = result.prev_sample
            if step % self.preview_every or step == total:
                continue
            predicted = result.pred_original_sample if known is None else known.paste_clean(result.pred_original_sample)
            stopped = self._send_previews(items, live, step, total, predicted, outcomes)
            if stopped:
                owners = [index for index in live for _ in items[index].seeds]
                live = [index for index in live if index not in stopped]
                if not live:
                    return _settled(outcomes)
                keep = torch.tensor([row for row, owner in enumerate(owners) if owner not in stopped])
                sample = sample[keep]
                conditional = [part[keep] for part in conditional]
                both = [part[torch.cat([keep, keep + len(owners)])] for part in both]
                known = known.rows(keep) if known is not None else None
        if known is not None:
            sample = known.paste_clean(sample)
        for index, images in zip(live, self._split(to_uint8(sample), items, live)):
            item = items[index]
            images = upscale(images, item.width, item.height)
            outcomes[index] = images if item.mask is None else composite(images, _source(item), item.mask)
        return _settled(outcomes)

    def _known(self, items: Sequence[BatchItem], live: list[int], width: int, height: int, noise: torch.Tensor):
        """The inpainting rows' known pixels at the native size (`KnownPixels`): a mask's, or a frame's
        around its squares; None when no live item has either (text-to-image and remix run exactly as
        without this)."""
        if all(items[index].mask is None and items[index].frame is None for index in live):
            return None
        clean, fill = [], []
        for index in live:
            item, count = items[index], len(items[index].seeds)
            if item.frame is not None:
                clean.append(self._clean(item, width, height))
                fill.append(item.frame.fill(width, height))
                continue
            if item.mask is None:  # a text-to-image row in the same loop: everything is drawn
                clean.append(torch.zeros(count, 3, height, width))
                fill.append(torch.ones(count, 1, height, width))
                continue
            clean.append(self._clean(item, width, height))
            native_mask = torch.tensor(resize_mask(item.mask, width, height), dtype=torch.float32)
            fill.append(native_mask.expand(count, 1, -1, -1))
        return KnownPixels(torch.cat(clean), torch.cat(fill), noise.clone())

    def _clean(self, item: BatchItem, width: int, height: int) -> torch.Tensor:
        """The item's init image at the native size in the model's [-1, 1] pixel space, one row per seed
        (a framed item's: its own per seed)."""
        if item.frame is not None:
            return item.frame.pixels(width, height)
        source = resize_rgb(_source(item), width, height)
        clean = torch.tensor(source, dtype=torch.float32).permute(2, 0, 1).div(127.5).sub(1.0)
        return clean.unsqueeze(0).expand(len(item.seeds), -1, -1, -1)

    def _denoise(self, model_input: torch.Tensor, timestep: int, context: list[torch.Tensor]) -> torch.Tensor:
        """The UNet's output for model_input; a single row goes through as two (the second a copy), since
        oneDNN convolves one image with other kernels than a batch (see also MIN_MATMUL_ROWS)."""
        rows = model_input.shape[0]
        if rows == 1:
            model_input, context = torch.cat([model_input] * 2), [torch.cat([part] * 2) for part in context]
        output = self.model.denoise(model_input, torch.full((model_input.shape[0],), timestep), *context)
        return output[:rows]

    def _condition(self, item: BatchItem, guided: bool):
        """One item's (conditional, unconditional) (context, mask, slot vector) rows, encoded in one
        call as `generate` always has: the encoder pads per call, so this keeps them bit for bit."""
        count = len(item.seeds)
        prompts = [item.prompt] * count + ([item.negative_prompt or ""] * count if guided else [])
        prompts = self.normalise(prompts)
        context, context_mask, _, slot_vector = self.model.condition(*self.encoder.encode(prompts))
        parts = (context, context_mask, slot_vector)
        return [part[:count] for part in parts], [part[count:] for part in parts]

    def _send_previews(self, items, live, step, steps, predicted: torch.Tensor, outcomes) -> set[int]:
        """Hands each live item its previews; returns the items whose on_preview raised."""
        if not any(items[index].on_preview for index in live):
            return set()
        stopped = set()
        for index, previews in zip(live, self._split(to_uint8(predicted), items, live)):
            if items[index].on_preview is None:
                continue
            try:
                items[index].on_preview(step, steps, previews)
            except Exception as error:  # this caller is done (e.g. it cancelled); the others go on
                outcomes[index] = error
                stopped.add(index)
        return stopped

    @staticmethod
    def _split(rows: np.ndarray, items: Sequence[BatchItem], live: list[int]) -> list[np.ndarray]:
        """Batch rows -> one array per live item, in order."""
        return np.split(rows, np.cumsum([len(items[index].seeds) for index in live])[:-1])


@dataclass(frozen=True)
class KnownPixels:
    """Inpainting's known region in the sampling loop, one row per image: the init image in the
    model's pixel space (`clean`), where to draw (`fill`, 1 = draw, 0 = known) and the row's own
    noise, with which the known pixels are re-noised to each step's level."""

    clean: torch.Tensor
    fill: torch.Tensor
    noise: torch.Tensor

    def paste(self, sample: torch.Tensor, scheduler: Any, timestep: torch.Tensor) -> torch.Tensor:
        """The sample with its known pixels replaced by the init image noised to `timestep`."""
        noised = scheduler.add_noise(self.clean, self.noise, timestep.reshape(1).repeat(len(sample)))
        return self.fill * sample + (1.0 - self.fill) * noised

    def paste_clean(self, predicted: torch.Tensor) -> torch.Tensor:
        return self.fill * predicted + (1.0 - self.fill) * self.clean

    def rows(self, keep: torch.Tensor) -> KnownPixels:
        return KnownPixels(self.clean[keep], self.fill[keep], self.noise[keep])


# Linear map from SD latents to RGB: a standard cheap preview that skips the VAE decoder.
SD_LATENT_RGB = torch.tensor(
    [[0.3512, 0.2297, 0.3227], [0.3250, 0.4974, 0.2350], [-0.2829, 0.1762, 0.2721], [-0.2120, -0.2616, -0.7177]]
)


def latents_to_preview(latents: torch.Tensor) -> np.ndarray:
    rgb = torch.einsum("nchw,cr->nhwr", latents.float().cpu()[:, :4], SD_LATENT_RGB)
    return ((rgb.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).numpy()


def step_previews(on_preview: PreviewCallback | None, every: int, total: int):
    """diffusers' callback_on_step_end: a latent preview every `every` of `total` steps (none at the last)."""

    def on_step_end(pipe, step, timestep, tensors):
        done = step + 1
        if on_preview and done % every == 0 and done < total:
            on_preview(done, total, latents_to_preview(tensors["latents"]))
        return {}

    return on_step_end


class StableDiffusionPipelineAdapter(Pipeline):
    """A diffusers Stable Diffusion (1.5 or SDXL-class) directory behind the same interface."""

    def __init__(self, pipeline):
        self.pipeline = pipeline
        self.pipeline.set_progress_bar_config(disable=True)
        self._img2img = None
        self._inpaint = None

    @classmethod
    def from_pretrained(cls, weights_dir: str | Path, device: str | None = None) -> StableDiffusionPipelineAdapter:
        from diffusers import DiffusionPipeline

        device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        dtype = torch.float16 if device.startswith("cuda") else torch.float32
        pipeline = DiffusionPipeline.from_pretrained(
            str(weights_dir),
            torch_dtype=dtype,
            local_files_only=True,
            safety_checker=None,
            requires_safety_checker=False,
        )
        return cls(pipeline.to(device))

    def native_size(self, width: int, height: int) -> tuple[int, int]:
        return width, height

    @torch.no_grad()
    def _generate(self, item: BatchItem, steps: int, guidance: float, strength: float | None) -> np.ndarray:
        if item.mask is not None:
            return self._fill(item, steps, guidance)
        if strength is not None:
            return self._remix(item, steps, guidance, strength)
        prompt, negative_prompt, seeds, on_preview = item.prompt, item.negative_prompt, item.seeds, item.on_preview
        device = self.pipeline.device
        generators = [torch.Generator(device=device).manual_seed(int(s)) for s in seeds]

        on_step_end = step_previews(on_preview, self.preview_every, steps)
        result = self.pipeline(
            prompt=[prompt] * len(seeds),
            negative_prompt=[negative_prompt] * len(seeds) if negative_prompt else None,
            num_inference_steps=steps,
            guidance_scale=guidance,
            width=item.width,
            height=item.height,
            generator=generators,
            output_type="np",
            callback_on_step_end=on_step_end,
            callback_on_step_end_tensor_inputs=["latents"],
        )
        return (np.clip(result.images, 0, 1) * 255).round().astype(np.uint8)

    def _derived_pipeline(self, sd_kind, sdxl_kind):
        """A diffusers pipeline of another task built from this pipeline's own components (no second
        copy of the weights): sdxl_kind for an SDXL-class pipeline, sd_kind otherwise."""
        from diffusers import StableDiffusionXLPipeline

        kind = sdxl_kind if isinstance(self.pipeline, StableDiffusionXLPipeline) else sd_kind
        derived = kind.from_pipe(self.pipeline)
        derived.set_progress_bar_config(disable=True)
        return derived

    def _img2img_pipeline(self):
        """diffusers' img2img pipeline on this pipeline's components (StableDiffusionImg2ImgPipeline, or
        StableDiffusionXLImg2ImgPipeline for SDXL-class)."""
        if self._img2img is None:
            from diffusers import StableDiffusionImg2ImgPipeline, StableDiffusionXLImg2ImgPipeline

            self._img2img = self._derived_pipeline(StableDiffusionImg2ImgPipeline, StableDiffusionXLImg2ImgPipeline)
        return self._img2img

    def _inpaint_pipeline(self):
        """diffusers' inpaint pipeline on this pipeline's components (StableDiffusionInpaintPipeline, or
        the SDXL one): a dedicated inpainting UNet (9 input channels) or a plain one, which diffusers
        then inpaints by pasting the noised known latents at every step, as tiny-diffusion does."""
        if self._inpaint is None:
            from diffusers import StableDiffusionInpaintPipeline, StableDiffusionXLInpaintPipeline

            self._inpaint = self._derived_pipeline(StableDiffusionInpaintPipeline, StableDiffusionXLInpaintPipeline)
        return self._inpaint

    def _fill(self, item: BatchItem, steps: int, guidance: float) -> np.ndarray:
        if item.mask is None:
            raise ValueError("inpainting needs a mask")
        pipeline = self._inpaint_pipeline()
        source = Image.fromarray(resize_rgb(_source(item), item.width, item.height))
        mask = Image.fromarray(resize_mask(item.mask, item.width, item.height).astype(np.uint8) * 255)
        device = pipeline.device
        generators = [torch.Generator(device=device).manual_seed(int(s)) for s in item.seeds]
        on_step_end = step_previews(item.on_preview, self.preview_every, steps)
        result = pipeline(
            prompt=[item.prompt] * len(item.seeds),
            negative_prompt=[item.negative_prompt] * len(item.seeds) if item.negative_prompt else None,
            image=[source] * len(item.seeds),
            mask_image=[mask] * len(item.seeds),
            strength=1.0,
            num_inference_steps=steps,
            guidance_scale=guidance,
            width=item.width,
            height=item.height,
            generator=generators,
            output_type="np",
            callback_on_step_end=on_step_end,
            callback_on_step_end_tensor_inputs=["latents"],
        )
        images = upscale((np.clip(result.images, 0, 1) * 255).round().astype(np.uint8), item.width, item.height)
        return composite(images, _source(item), item.mask)

    def _remix(self, item: BatchItem, steps: int, guidance: float, strength: float) -> np.ndarray:
        prompt, negative_prompt, seeds, on_preview = item.prompt, item.negative_prompt, item.seeds, item.on_preview
        pipeline = self._img2img_pipeline()
        total = denoising_steps(steps, strength)
        # diffusers runs int(steps * strength) steps and refuses zero: ask for exactly `total`.
        effective_strength = min(1.0, (total + 1e-3) / steps)
        source = Image.fromarray(resize_rgb(_source(item), item.width, item.height))
        device = pipeline.device
        generators = [torch.Generator(device=device).manual_seed(int(s)) for s in seeds]
        every = max(1, int(self.preview_every))

        on_step_end = step_previews(on_preview, every, total)
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
        return upscale(images, item.width, item.height)


PIPELINES: dict[str, type[Pipeline]] = {
    "procedural": ProceduralPipeline,
    "tiny-diffusion": TinyDiffusionPipeline,
    "stable-diffusion": StableDiffusionPipelineAdapter,
}
DEFAULT_WEIGHTS = Path(__file__).parent / "weights"


def load_pipeline(kind: str, weights_dir: str | Path | None = None, device: str | None = None):
    """Build the pipeline a Triton config names; tiny-diffusion defaults to the shipped weights.
    device: the Triton instance's GPU ("cuda:1"), or None for CUDA when available; Stable Diffusion runs
    there (fp16 on a GPU), the other pipelines are small enough for the CPU."""
    if kind not in PIPELINES:
        raise ValueError(f"unknown pipeline {kind!r}; expected one of {sorted(PIPELINES)}")
    if kind == "stable-diffusion":
        if not weights_dir:
            raise ValueError("stable-diffusion needs a weights directory")
        return StableDiffusionPipelineAdapter.from_pretrained(weights_dir, device=device)
    return PIPELINES[kind].from_pretrained(weights_dir or DEFAULT_WEIGHTS)
