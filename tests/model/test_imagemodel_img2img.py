"""Image-to-image (remix) over every imagemodel pipeline: low strength stays near the init image, previews
count only the steps really run, each seed reproducible, bad inputs refused with ValueError."""

import numpy as np
import pytest

from imagemodel import pipelines
from imagemodel.pipelines import denoising_steps
from tests.support.imaging import mean_abs_difference, two_halves
from tests.support.stable_diffusion import random_stable_diffusion


@pytest.mark.parametrize(
    ("steps", "strength", "expected"), [(25, 0.2, 5), (25, 1.0, 25), (20, 0.01, 1), (3, 0.5, 1), (100, 0.29, 29)]
)
def test_only_the_last_strength_share_of_the_steps_runs(steps, strength, expected) -> None:
    assert denoising_steps(steps, strength) == expected


def test_procedural_remix_blends_the_init_image_into_the_prompt() -> None:
    pipeline = pipelines.load_pipeline("procedural")
    init = two_halves()
    low = pipeline.generate("a red circle", "", [1], 10, 3.0, 64, 64, init_image=init, strength=0.2)
    high = pipeline.generate("a red circle", "", [1], 10, 3.0, 64, 64, init_image=init, strength=1.0)
    plain = pipeline.generate("a red circle", "", [1], 10, 3.0, 64, 64)

    assert mean_abs_difference(low[0], init) * 3 < mean_abs_difference(high[0], init)
    assert np.array_equal(high, plain)  # strength 1 keeps nothing of the init image


@pytest.mark.parametrize(
    ("init", "strength"),
    [
        (two_halves(), 0.0),
        (two_halves(), 1.5),
        (two_halves(), float("nan")),
        (two_halves()[..., :2], 0.5),
        (two_halves().astype(np.float32), 0.5),
        (None, 0.5),
        (two_halves(), None),
    ],
)
def test_bad_init_images_and_strengths_raise_value_errors(init, strength) -> None:
    with pytest.raises(ValueError):
        pipelines.load_pipeline("procedural").generate(
            "a red star", "", [1], 10, 3.0, 64, 64, init_image=init, strength=strength
        )


def tiny_stable_diffusion() -> pipelines.StableDiffusionPipelineAdapter:
    """A randomly initialised SD 1.5-shaped pipeline (no download): checks wiring, not quality."""
    return pipelines.StableDiffusionPipelineAdapter(random_stable_diffusion())


def test_stable_diffusion_remix_runs_diffusers_img2img_on_the_same_components() -> None:
    adapter = tiny_stable_diffusion()
    adapter.preview_every = 1
    previews = []

    def remix(seeds, strength=0.5):
        return adapter.generate(
            "a red star",
            "",
            seeds,
            8,
            3.0,
            32,
            24,
            on_preview=lambda step, total, batch: previews.append((step, total)),
            init_image=two_halves(40, 40),
            strength=strength,
        )

    images = remix([1, 2])
    steps_seen = list(previews)
    once = remix([2])
    remix([1], strength=0.01)  # under one step's share: still one step, never diffusers' refusal

    assert images.shape == (2, 24, 32, 3) and images.dtype == np.uint8
    assert steps_seen == [(k, 4) for k in range(1, 4)]
    assert np.array_equal(once[0], images[1])
    # The img2img pipeline shares the text-to-image pipeline's modules: no second copy of the weights.
    assert adapter._img2img_pipeline().unet is adapter.pipeline.unet


@pytest.mark.parametrize(("strength", "most_signal_kept"), [(0.6, 0.07), (0.8, 0.002), (1.0, 0.001)])
def test_a_remix_from_strength_0_6_starts_where_little_of_the_source_is_left(strength, most_signal_kept) -> None:
    # A share of the cosine schedule's timesteps (0.6 -> t=550) would keep 64% of the source's signal,
    # and the model redraws the source instead of the prompt.
    scheduler, timesteps = pipelines.remix_schedule(denoising_steps(20, strength), strength)
    assert float(scheduler.alphas_cumprod[int(timesteps[0])].sqrt()) <= most_signal_kept


@pytest.mark.parametrize("strength", [0.05, 0.2, 0.3, 0.6, 0.95, 1.0])
def test_a_remix_runs_its_steps_from_near_its_start_down_to_the_clean_image(strength) -> None:
    count = denoising_steps(20, strength)
    scheduler, timesteps = pipelines.remix_schedule(count, strength)
    spacing = scheduler.config.num_train_timesteps // scheduler.num_inference_steps
    start = pipelines.remix_start_timestep(strength, scheduler.alphas_cumprod)
    assert len(timesteps) == count and list(timesteps) == sorted(timesteps, reverse=True)
    assert abs(int(timesteps[0]) - start) < spacing
    assert int(timesteps[-1]) - spacing <= 0  # the last step lands on the clean image (alpha_bar >= 0.9999)
