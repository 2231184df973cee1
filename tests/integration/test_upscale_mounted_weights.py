"""The upscale model's mounted-weights path through a real tritonserver: a Stable Diffusion upscaler
directory (tiny, random weights, built offline) chosen by the environment, as a GPU deployment
would mount one; the answer is exactly 2x, and bad images still get a per-request error."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from tritonclient.grpc import InferenceServerClient, InferInput
from tritonclient.utils import InferenceServerException

from tests.conftest import MODEL_REPOSITORY
from tests.support.stable_diffusion import random_stable_diffusion_upscaler
from tools.devstack import TritonServer, free_ports
from upscaler import network

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def mounted_triton(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("mounted-upscaler")
    weights = root / "weights"
    random_stable_diffusion_upscaler().save_pretrained(str(weights))
    http_port, grpc_port, metrics_port = free_ports(3)
    server = TritonServer(
        MODEL_REPOSITORY,
        http_port,
        grpc_port,
        metrics_port,
        Path(root) / "triton",
        pipeline="procedural",
        extra_env={
            "ATELIER_UPSCALE_PIPELINE": "stable-diffusion",
            "ATELIER_UPSCALE_WEIGHTS_DIR": str(weights),
            "ATELIER_UPSCALE_STEPS": "2",
        },
    )
    server.start()
    try:
        yield server.grpc_url
    finally:
        server.stop()


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


def test_a_mounted_stable_diffusion_upscaler_answers_exactly_2x(mounted_triton: str) -> None:
    image = np.random.default_rng(7).integers(0, 256, (16, 24, 3), dtype=np.uint8)

    upscaled = upscale(mounted_triton, image)

    assert upscaled.shape == (32, 48, 3) and upscaled.dtype == np.uint8
    # Served by the mounted pipeline (random weights), not the shipped network.
    shipped = network.upscale(network.load(), image)
    assert np.abs(upscaled.astype(float) - shipped.astype(float)).mean() > 10
    with pytest.raises(InferenceServerException, match="8 to 1024 px a side"):
        upscale(mounted_triton, np.zeros((4, 32, 3), np.uint8))
