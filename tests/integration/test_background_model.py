"""The background model served by a real tritonserver: a world image comes back as RGBA at its own
size, transparent where the background was and opaque on the object, and bad images get a
per-request error while the model keeps serving."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from tritonclient.grpc import InferenceServerClient, InferInput
from tritonclient.utils import InferenceServerException

from imagemodel import world
from segmenter.scenes import render_mask

pytestmark = pytest.mark.integration


@pytest.fixture
def client(triton_url: str) -> Iterator[InferenceServerClient]:
    client = InferenceServerClient(triton_url)
    try:
        yield client
    finally:
        client.close()


def remove_background(client: InferenceServerClient, image: np.ndarray) -> np.ndarray:
    tensor = InferInput("IMAGE", list(image.shape), "UINT8")
    tensor.set_data_from_numpy(image)
    output = client.infer("background", [tensor]).as_numpy("IMAGE")
    assert output is not None
    return output


def test_a_world_image_comes_back_rgba_transparent_where_the_background_was(client: InferenceServerClient) -> None:
    # A seed neither training (1) nor the model card's evaluation (1000) drew from.
    scene = world.sample_scene(np.random.default_rng(20261207))
    image = world.render(scene, size=64)
    truth = render_mask(scene, 64)

    cut_out = remove_background(client, image)

    assert cut_out.shape == (64, 64, 4) and cut_out.dtype == np.uint8
    assert np.array_equal(cut_out[..., :3], image)
    alpha = cut_out[..., 3]
    assert np.mean(alpha[truth == 0] == 0) > 0.95
    assert np.mean(alpha[truth == 1] == 255) > 0.9


@pytest.mark.parametrize(("height", "width"), [(4, 32), (32, 2049)])
def test_an_image_outside_the_limits_is_refused_and_the_model_keeps_serving(
    client: InferenceServerClient, height: int, width: int
) -> None:
    with pytest.raises(InferenceServerException, match="8 to 2048 px a side"):
        remove_background(client, np.zeros((height, width, 3), np.uint8))

    assert remove_background(client, np.zeros((16, 24, 3), np.uint8)).shape == (16, 24, 4)
