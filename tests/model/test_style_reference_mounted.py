"""The style reference's mounted-weights path: a Stable Diffusion directory (here a tiny random-weight
one, built offline) runs diffusers' img2img from the reference at the style's composition strength,
and the palette transfer moves the result's colours toward the reference's, as the worker does."""

import numpy as np

from imagemodel import evaluate, pipelines, style
from tests.support.stable_diffusion import random_stable_diffusion


def test_a_mounted_model_starts_from_the_reference_and_takes_its_palette() -> None:
    adapter = pipelines.StableDiffusionPipelineAdapter(random_stable_diffusion())
    reference = evaluate.remix_source("square", "yellow", "purple", "centre", size=64)
    strength = style.composition_strength(1.0)

    images = adapter.generate("a red circle", "", [1, 2], 5, 3.0, 32, 32, init_image=reference, strength=strength)
    styled = style.transfer_palette(images, reference, 1.0)

    assert images.shape == styled.shape == (2, 32, 32, 3) and styled.dtype == np.uint8
    for raw, moved in zip(images, styled, strict=True):
        assert style.palette_distance(moved, reference) < 0.5 * style.palette_distance(raw, reference)
