"""Validation of a remix: source_image_id and strength."""

import numpy as np
import pytest

from services.generation.inference import InferenceRejected, Txt2ImgRequest, _encode
from services.generation.requests import DEFAULT_STRENGTH, InvalidRequest, denoising_steps, validate
from services.generation.worker import decode_png, encode_png

SOURCE = "0b5d1f0e-6a41-4a3e-9b4c-1d2e3f405162"


def test_a_plain_generation_has_no_source_and_no_strength():
    spec = validate(prompt="x")
    assert (spec.source_image_id, spec.strength) == ("", None)


def test_a_remix_takes_the_default_strength_and_a_canonical_source_id():
    spec = validate(prompt="x", source_image_id=f" {SOURCE.upper()} ")
    assert spec.source_image_id == SOURCE
    assert spec.strength == DEFAULT_STRENGTH == 0.6


def test_a_float32_strength_is_kept_as_the_user_meant_it():
    assert validate(prompt="x", source_image_id=SOURCE, strength=float(np.float32(0.2))).strength == 0.2
    assert validate(prompt="x", source_image_id=SOURCE, strength=1.0).strength == 1.0


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"source_image_id": SOURCE, "strength": -0.1}, "strength", "above 0 and at most 1"),
        ({"source_image_id": SOURCE, "strength": 1.5}, "strength", "above 0 and at most 1"),
        ({"source_image_id": SOURCE, "strength": float("nan")}, "strength", "above 0 and at most 1"),
        ({"source_image_id": SOURCE, "strength": float("inf")}, "strength", "above 0 and at most 1"),
        ({"strength": 0.5}, "strength", "only to a remix"),
        ({"source_image_id": "../etc/passwd"}, "source_image_id", "image id"),
    ],
)
def test_bad_remix_fields_are_named(fields, field, words):
    with pytest.raises(InvalidRequest) as caught:
        validate(prompt="x", **fields)
    assert caught.value.field == field
    assert words in str(caught.value)


def test_progress_counts_the_steps_a_remix_runs():
    assert denoising_steps(20, None) == 20
    assert denoising_steps(20, 0.6) == 12
    assert denoising_steps(20, 0.01) == 1
    assert denoising_steps(0, 0.6) == denoising_steps(0, None) == 0  # the model's default: not known yet


def test_the_client_sends_init_image_and_strength_to_triton():
    pixels = np.zeros((24, 40, 3), np.uint8)
    inputs = {i.name(): i for i in _encode(Txt2ImgRequest(prompt="p", seed=1, init_image=pixels, strength=0.25))}

    assert inputs["INIT_IMAGE"].datatype() == "UINT8" and inputs["INIT_IMAGE"].shape() == [24, 40, 3]
    assert inputs["STRENGTH"].datatype() == "FP32" and inputs["STRENGTH"].shape() == [1]
    assert "INIT_IMAGE" not in {i.name() for i in _encode(Txt2ImgRequest(prompt="p", seed=1))}
    with pytest.raises(InferenceRejected, match="init_image must be uint8"):
        _encode(Txt2ImgRequest(prompt="p", seed=1, init_image=pixels.astype(np.float32)))


def test_stored_pngs_decode_to_the_pixels_the_model_takes():
    pixels = np.random.default_rng(0).integers(0, 256, (16, 24, 3), dtype=np.uint8)
    assert np.array_equal(decode_png(encode_png(pixels)), pixels)
