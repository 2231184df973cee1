"""The upscale model served by a real tritonserver: a world image comes back at exactly 2x, sharper
than Lanczos, and bad images get a per-request error while the model keeps serving."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from PIL import Image
from tritonclient.grpc import InferenceServerClient, InferInput
from tritonclient.utils import InferenceServerException

from imagemodel import world
from upscaler.metrics import psnr
from upscaler.pairs import shrink

pytestmark = pytest.mark.integration


@pytest.fixture
def client(triton_url: str) -> Iterator[InferenceServerClient]:
    client = InferenceServerClient(triton_url)
    try:
        yield client
    finally:
        client.close()


def upscale(client: InferenceServerClient, image: np.ndarray) -> np.ndarray:
    tensor = InferInput("IMAGE", list(image.shape), "UINT8")
    tensor.set_data_from_numpy(image)
    result = client.infer("upscale", [tensor])
    output = result.as_numpy("IMAGE")
    assert output is not None
    return output


def test_a_world_image_comes_back_at_2x_sharper_than_lanczos(client: InferenceServerClient) -> None:
    # A seed neither training (1) nor the model card's evaluation (1000) drew from.
    scene = world.sample_scene(np.random.default_rng(20261206), two_object_probability=1.0)
    high = world.render(scene, size=96)
    low = shrink(high)[:, :40]  # not square: width and height must each double

    upscaled = upscale(client, low)

    assert upscaled.shape == (48 * 2, 40 * 2, 3) and upscaled.dtype == np.uint8
    lanczos = np.asarray(Image.fromarray(low).resize((80, 96), Image.Resampling.LANCZOS))
    assert psnr(high[:, :80], upscaled) > psnr(high[:, :80], lanczos) + 0.5


@pytest.mark.parametrize(("height", "width"), [(4, 32), (32, 1025)])
def test_an_image_outside_the_limits_is_refused_and_the_model_keeps_serving(
    client: InferenceServerClient, height: int, width: int
) -> None:
    with pytest.raises(InferenceServerException, match="8 to 1024 px a side"):
        upscale(client, np.zeros((height, width, 3), np.uint8))

    assert upscale(client, np.zeros((16, 16, 3), np.uint8)).shape == (32, 32, 3)
