"""Inpainting in the txt2img model, without Triton: MASK validation and the procedural pipeline's
composite (outside the mask, INIT_IMAGE exactly)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

MODEL_VERSION_DIR = Path(__file__).resolve().parents[3] / "model_repository" / "txt2img" / "1"
sys.path.append(str(MODEL_VERSION_DIR))  # where Triton's stub finds the helpers too

from txt2img_backend.pipelines import InvalidRequest, PipelineDefaults, parse_request  # noqa: E402
from txt2img_backend.procedural import ProceduralPipeline  # noqa: E402

from tests.support.txt2img_backend import generation_request  # noqa: E402

DEFAULTS = PipelineDefaults(steps=20, guidance=1.0, width=256, height=256)
INIT = np.full((64, 96, 3), (20, 200, 210), np.uint8)


def centre(height=64, width=96) -> np.ndarray:
    mask = np.zeros((height, width), np.uint8)
    mask[16:48, 24:72] = 255
    return mask


def reader(init_image=INIT, mask=None, strength=None):
    inputs = {"PROMPT": np.array([b"a red circle"], dtype=object), "SEED": np.array([1]), "NUM_IMAGES": np.array([1])}
    if init_image is not None:
        inputs["INIT_IMAGE"] = init_image
    if mask is not None:
        inputs["MASK"] = mask
    if strength is not None:
        inputs["STRENGTH"] = np.array([strength], dtype=np.float32)
    return inputs.get


def test_a_mask_makes_the_request_inpainting_over_the_whole_schedule() -> None:
    request = parse_request(reader(mask=centre()), DEFAULTS)
    assert request.mask is not None and request.mask.shape == (64, 96)
    assert request.strength is None and request.denoising_steps == 20


@pytest.mark.parametrize(
    ("inputs", "words"),
    [
        (reader(init_image=None, mask=centre()), "MASK applies only with an INIT_IMAGE"),
        (reader(mask=centre(32, 32)), "MASK must be INIT_IMAGE's size, 96x64, got 32x32"),
        (reader(mask=np.zeros((64, 96), np.uint8)), "MASK is empty"),
        (reader(mask=centre().astype(np.float32)), "MASK must be UINT8"),
        (reader(mask=centre(), strength=0.5), "STRENGTH does not apply with a MASK"),
    ],
)
def test_bad_masks_are_refused_in_words(inputs, words) -> None:
    with pytest.raises(InvalidRequest, match=words):
        parse_request(inputs, DEFAULTS)


def test_procedural_inpainting_keeps_every_pixel_outside_the_mask() -> None:
    mask = centre()
    request = generation_request("a red circle on a white background", [1], 4, 96, 64, init_image=INIT, mask=mask)
    [image] = ProceduralPipeline().generate(request, lambda step, total, render: None)
    assert np.array_equal(image[mask == 0], INIT[mask == 0])
    assert not np.array_equal(image[mask > 0], INIT[mask > 0])
