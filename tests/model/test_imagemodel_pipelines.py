"""Every pipeline answers the Triton model's interface: n images of the asked size, previews on the way,
clear errors for bad requests, the same image for the same seed."""

import numpy as np
import pytest
import torch

from imagemodel import pipelines
from imagemodel.model import ModelConfig, TextEncoder, TextToImageModel
from tests.support.imaging import generate_with_previews


@pytest.fixture(scope="module")
def tiny_diffusion() -> pipelines.TinyDiffusionPipeline:
    torch.manual_seed(0)
    model = TextToImageModel(ModelConfig(block_out_channels=(8, 16, 16), layers_per_block=1, adapter_width=32))
    return pipelines.TinyDiffusionPipeline(model, TextEncoder())


def test_tiny_diffusion_gives_each_seed_its_own_reproducible_image(tiny_diffusion) -> None:
    images, previews = generate_with_previews(tiny_diffusion, [1, 2, 3, 4], width=128, height=128)
    assert images.shape == (4, 128, 128, 3) and images.dtype == np.uint8
    assert tiny_diffusion.native_size(128, 128) == (32, 32)
    assert [(step, total) for step, total, _ in previews] == [(5, 10)]
    assert previews[0][2].shape == (4, 32, 32, 3)
    assert len({image.tobytes() for image in images}) == 4
    alone, _ = generate_with_previews(tiny_diffusion, [3], width=128, height=128)
    assert np.array_equal(alone[0], images[2])


def test_procedural_pipeline_draws_the_prompt() -> None:
    pipeline = pipelines.load_pipeline("procedural")
    images, previews = generate_with_previews(pipeline, [5, 6])
    assert images.shape == (2, 48, 64, 3) and previews


@pytest.mark.parametrize(
    "prompt, seeds, steps, width, height",
    [
        ("", [1], 10, 64, 64),
        ("a red star", [1], 10, 60, 64),
        ("a red star", [1], 0, 64, 64),
        ("a red star", [], 10, 64, 64),
        ("a red star", [1], 10, 64, 4096),
    ],
)
def test_bad_requests_raise_value_errors(prompt, seeds, steps, width, height) -> None:
    with pytest.raises(ValueError):
        pipelines.load_pipeline("procedural").generate(prompt, "", seeds, steps, 3.0, width, height)


def test_unknown_pipeline_kind_is_refused() -> None:
    with pytest.raises(ValueError):
        pipelines.load_pipeline("dall-e")


def test_text_encoder_cache_overflow_still_returns_every_prompt() -> None:
    encoder = TextEncoder(cache_size=3)
    encoder.encode(["", "a red star"])
    states, masks = encoder.encode(["", "a blue box", "a green disc"])
    assert states.shape[0] == 3 and masks[:, 0].tolist() == [1, 1, 1]
