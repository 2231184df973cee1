"""Image-to-image (remix) in the txt2img model, without Triton: INIT_IMAGE / STRENGTH validation and the
procedural pipeline's remix."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

MODEL_VERSION_DIR = Path(__file__).resolve().parents[3] / "model_repository" / "txt2img" / "1"
sys.path.append(str(MODEL_VERSION_DIR))  # where Triton's stub finds the helpers too

from txt2img_backend.deployment import read_string_parameters  # noqa: E402
from txt2img_backend.pipelines import (  # noqa: E402
    DEFAULT_STRENGTH,
    InvalidRequest,
    PipelineDefaults,
    parse_request,
)
from txt2img_backend.procedural import ProceduralPipeline  # noqa: E402

from tests.support.txt2img_backend import generation_request  # noqa: E402

DEFAULTS = PipelineDefaults(steps=20, guidance=1.0, width=256, height=256)


def halves(width=96, height=64) -> np.ndarray:
    """A source no prompt draws: orange left half, cyan right half."""
    image = np.zeros((height, width, 3), np.uint8)
    image[:, : width // 2] = (250, 140, 20)
    image[:, width // 2 :] = (20, 200, 210)
    return image


def reader(init_image=None, strength=None, **scalars):
    """As Triton delivers inputs: arrays, None when omitted."""
    inputs = {"PROMPT": np.array([b"a red circle"], dtype=object), "SEED": np.array([1]), "NUM_IMAGES": np.array([2])}
    inputs.update({name: np.array([value]) for name, value in scalars.items()})
    if init_image is not None:
        inputs["INIT_IMAGE"] = init_image
    if strength is not None:
        inputs["STRENGTH"] = np.array([strength], dtype=np.float32)
    return inputs.get


def mean_abs_difference(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(float) - b.astype(float)).mean())


def test_without_an_init_image_the_request_is_text_to_image() -> None:
    params = parse_request(reader(), DEFAULTS)

    assert params.init_image is None and params.strength is None
    assert params.denoising_steps == params.steps == 20


def test_an_init_image_alone_takes_the_default_strength() -> None:
    params = parse_request(reader(init_image=halves()), DEFAULTS)

    assert params.init_image.shape == (64, 96, 3)
    assert params.strength == DEFAULT_STRENGTH == 0.6
    assert params.denoising_steps == 12


def test_strength_sets_how_many_steps_run() -> None:
    assert parse_request(reader(init_image=halves(), strength=0.25), DEFAULTS).denoising_steps == 5
    assert parse_request(reader(init_image=halves(), strength=1.0), DEFAULTS).denoising_steps == 20
    assert parse_request(reader(init_image=halves(), strength=0.001), DEFAULTS).denoising_steps == 1


@pytest.mark.parametrize(
    ("init_image", "strength", "message"),
    [
        (None, 0.5, "STRENGTH applies only to image-to-image"),
        (halves(), 0.0, "STRENGTH must be above 0 and at most 1, got 0.0"),
        (halves(), -0.2, "STRENGTH must be above 0 and at most 1"),
        (halves(), 1.01, "STRENGTH must be above 0 and at most 1"),
        (halves(), float("nan"), "STRENGTH must be above 0 and at most 1"),
        (halves(), float("inf"), "STRENGTH must be above 0 and at most 1"),
        (halves().astype(np.float32), 0.5, "INIT_IMAGE must be UINT8"),
        (np.zeros((64, 64, 4), np.uint8), 0.5, r"INIT_IMAGE must have shape \[height, width, 3\]"),
        (np.zeros((64, 64), np.uint8), 0.5, r"got \[64, 64\]"),
        (np.zeros((1, 64, 64, 3), np.uint8), 0.5, r"got \[1, 64, 64, 3\]"),
        (np.zeros((4, 64, 3), np.uint8), 0.5, "INIT_IMAGE sides must be between 8 and 2048 pixels, got 64x4"),
        (np.zeros((8, 4096, 3), np.uint8), 0.5, "got 4096x8"),
    ],
)
def test_bad_init_images_and_strengths_are_refused_with_what_to_change(init_image, strength, message) -> None:
    with pytest.raises(InvalidRequest, match=message):
        parse_request(reader(init_image=init_image, strength=strength), DEFAULTS)


def test_a_strength_of_more_than_one_value_is_refused() -> None:
    inputs = reader(init_image=halves())
    with pytest.raises(InvalidRequest, match="STRENGTH must hold exactly one value"):
        parse_request(lambda name: np.array([0.2, 0.3], np.float32) if name == "STRENGTH" else inputs(name), DEFAULTS)


def test_procedural_remix_keeps_the_source_at_low_strength_and_counts_only_the_steps_run() -> None:
    pipeline = ProceduralPipeline()
    source = halves()
    steps_seen, first_previews = [], []

    def on_step(step, total, render):
        steps_seen.append((step, total))
        if step == 1:
            first_previews.append(render())

    def remix(strength, seeds=(4,)):
        return pipeline.generate(
            generation_request(
                "a green star on a purple background", seeds, 20, 128, 96, init_image=source, strength=strength
            ),
            on_step,
        )

    low = remix(0.2, seeds=(4, 5))
    low_steps = list(steps_seen)
    high = remix(1.0)
    plain = pipeline.generate(
        generation_request("a green star on a purple background", [4], 20, 128, 96), lambda *_: None
    )

    source_shown = np.asarray(Image.fromarray(source).resize((128, 96)))
    assert low.shape == (2, 96, 128, 3) and low.dtype == np.uint8
    assert low_steps == [(k, 4) for k in range(1, 5)]
    near, far = mean_abs_difference(low[0], source_shown), mean_abs_difference(high[0], source_shown)
    assert near * 3 < far
    assert np.array_equal(high[0], plain[0])  # strength 1 draws the prompt alone
    assert not np.array_equal(low[0], low[1])
    # The path starts near the source (blended with noise), not from pure noise.
    small_source = source_shown[::4, ::4].astype(float)
    assert mean_abs_difference(first_previews[0][0], small_source) < 40


def test_the_config_declares_the_optional_remix_inputs() -> None:
    config = (MODEL_VERSION_DIR.parent / "config.pbtxt").read_text()

    # allow_ragged_batch: under dynamic batching, requests with init images of different sizes (or none)
    # still batch; the Python backend reads each request's tensors on their own.
    assert (
        '{ name: "INIT_IMAGE" data_type: TYPE_UINT8 dims: [ -1, -1, 3 ] optional: true allow_ragged_batch: true }'
        in config
    )
    assert '{ name: "STRENGTH" data_type: TYPE_FP32 dims: [ 1 ] optional: true }' in config
    assert read_string_parameters(MODEL_VERSION_DIR.parent / "config.pbtxt")["pipeline"] == "tiny-diffusion"
