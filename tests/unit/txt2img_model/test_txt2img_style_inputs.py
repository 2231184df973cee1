"""txt2img's STYLE_WEIGHTS and STYLE_SCALE as the model parses them, without Triton."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

MODEL_VERSION_DIR = Path(__file__).resolve().parents[3] / "model_repository" / "txt2img" / "1"
sys.path.append(str(MODEL_VERSION_DIR))  # where Triton's stub finds the helpers too

from txt2img_backend.pipelines import (  # noqa: E402
    DEFAULT_STYLE_SCALE,
    MAX_STYLE_BYTES,
    InvalidRequest,
    PipelineDefaults,
    parse_request,
)

DEFAULTS = PipelineDefaults(steps=20, guidance=1.0, width=256, height=256)


def reader(**inputs):
    def read(name: str):
        if name not in inputs:
            return None
        value = inputs[name]
        if isinstance(value, (str, bytes)):
            return np.array([value.encode() if isinstance(value, str) else value], dtype=object)
        return np.array([value])

    return read


def parse(**style):
    return parse_request(reader(PROMPT="a red circle", SEED=1, NUM_IMAGES=1, **style), DEFAULTS)


def test_style_weights_and_scale_are_read_and_a_scale_alone_is_ignored() -> None:
    assert (parse().style_weights, parse().style_scale) == (None, DEFAULT_STYLE_SCALE)
    assert parse(STYLE_SCALE=np.float32(0.5)).style_weights is None
    styled = parse(STYLE_WEIGHTS=b"\x00style", STYLE_SCALE=np.float32(0.5))
    assert (styled.style_weights, styled.style_scale) == (b"\x00style", 0.5)


@pytest.mark.parametrize(
    ("style", "message"),
    [
        ({"STYLE_WEIGHTS": b""}, "STYLE_WEIGHTS is empty"),
        ({"STYLE_WEIGHTS": b"x" * (MAX_STYLE_BYTES + 1)}, "larger than"),
        ({"STYLE_WEIGHTS": b"x", "STYLE_SCALE": np.float32(1.6)}, "STYLE_SCALE must be between 0 and 1.5"),
        ({"STYLE_WEIGHTS": b"x", "STYLE_SCALE": np.float32("nan")}, "STYLE_SCALE"),
    ],
)
def test_bad_style_inputs_are_invalid_requests(style, message) -> None:
    with pytest.raises(InvalidRequest, match=message):
        parse(**style)
