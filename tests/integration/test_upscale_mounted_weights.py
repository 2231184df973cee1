"""The upscale model's mounted-weights path through a real tritonserver: a Stable Diffusion upscaler
directory (tiny, random weights, built offline) chosen by the environment, as a GPU deployment
would mount one (the session's mounted-weights Triton, tests/integration/conftest.py); the answer
is exactly 2x, and bad images still get a per-request error."""

from __future__ import annotations

import numpy as np
import pytest
from tritonclient.grpc import InferenceServerClient, InferInput
from tritonclient.utils import InferenceServerException

from upscaler import network

pytestmark = pytest.mark.integration


def upscale(url: str, image: np.ndarray) -> np.ndarray:
    client = InferenceServerClient(url)
    try:
        tensor = InferInput("IMAGE", list(image.shape), "UINT8")
        tensor.set_data_from_numpy(image)
        output = client.infer("upscale", [tensor]).as_numpy("IMAGE")
    finally:
        client.close()
    assert output is not None
    return output


def test_a_mounted_stable_diffusion_upscaler_answers_exactly_2x(mounted_weights_triton: str) -> None:
    image = np.random.default_rng(7).integers(0, 256, (16, 24, 3), dtype=np.uint8)

    upscaled = upscale(mounted_weights_triton, image)

    assert upscaled.shape == (32, 48, 3) and upscaled.dtype == np.uint8
    # Served by the mounted pipeline (random weights), not the shipped network.
    shipped = network.upscale(network.load(), image)
    assert np.abs(upscaled.astype(float) - shipped.astype(float)).mean() > 10
    with pytest.raises(InferenceServerException, match="8 to 1024 px a side"):
        upscale(mounted_weights_triton, np.zeros((4, 32, 3), np.uint8))
