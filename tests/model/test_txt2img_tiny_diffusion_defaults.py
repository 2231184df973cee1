"""The Triton model serves tiny-diffusion at the defaults its shipped weights were evaluated at (loading
them takes torch and diffusers: seconds, so here rather than in tests/unit)."""

import sys
from pathlib import Path

MODEL_VERSION_DIR = Path(__file__).resolve().parents[2] / "model_repository" / "txt2img" / "1"
sys.path.append(str(MODEL_VERSION_DIR))  # where Triton's stub finds the helpers too

from txt2img_backend import imagemodel_adapter  # noqa: E402

from imagemodel import pipelines  # noqa: E402


def test_tiny_diffusions_defaults_are_the_ones_its_weights_were_evaluated_at() -> None:
    defaults = imagemodel_adapter.load("tiny-diffusion", {}).defaults

    assert (defaults.steps, defaults.guidance) == (pipelines.DEFAULT_STEPS, pipelines.DEFAULT_GUIDANCE) == (25, 1.25)
