"""A Stable Diffusion pipeline saved to a directory loads offline and runs there, previews on the way
(a randomly initialised SD 1.5-shaped pipeline: it checks wiring, not quality)."""

from pathlib import Path

import numpy as np
import pytest

from imagemodel import pipelines
from tests.support.imaging import generate_with_previews
from tests.support.stable_diffusion import random_stable_diffusion


@pytest.fixture(scope="module")
def tiny_stable_diffusion_dir(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("tiny-sd") / "pipeline"
    random_stable_diffusion().save_pretrained(directory)
    return directory


def test_stable_diffusion_directory_loads_offline_and_streams_previews(tiny_stable_diffusion_dir) -> None:
    pipeline = pipelines.load_pipeline("stable-diffusion", tiny_stable_diffusion_dir)
    # 6 steps: one preview (at 5) as with 10, in 60% of the time.
    images, previews = generate_with_previews(pipeline, [1, 2, 3], steps=6)
    assert images.shape == (3, 48, 64, 3) and images.dtype == np.uint8
    assert [step for step, _, _ in previews] == [5]
    assert previews[0][2].shape[0] == 3 and previews[0][2].dtype == np.uint8
    again, _ = generate_with_previews(pipeline, [1, 2, 3], steps=6)
    assert np.array_equal(images, again)
