"""The style_train model and txt2img's STYLE_WEIGHTS on a real tritonserver serving the shipped
tiny-diffusion: training streams progress then the style's bytes; txt2img draws otherwise with them,
the same every time; a bad image is refused naming its index, and bad style bytes are refused."""

from __future__ import annotations

import io
import queue
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from tritonclient.grpc import InferenceServerClient, InferInput
from tritonclient.utils import InferenceServerException

from imagemodel import world
from tests.support.tiny_diffusion_triton import MODEL_REPOSITORY
from tools.devstack import TritonServer, free_ports, txt2img_repository

pytestmark = pytest.mark.integration

STEPS = 3
PROMPT = "a red circle on a blue background"


@pytest.fixture(scope="module")
def triton(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root: Path = tmp_path_factory.mktemp("triton-style")
    repository = txt2img_repository(MODEL_REPOSITORY, root / "models", dynamic_batching=True)
    (repository / "style_train").symlink_to(MODEL_REPOSITORY / "style_train", target_is_directory=True)
    server = TritonServer(repository, *free_ports(3), root / "data", pipeline="tiny-diffusion")
    server.start()
    try:
        yield server.grpc_url
    finally:
        server.stop()


def encoded(image: np.ndarray, kind: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, kind)
    return buffer.getvalue()


def strings(name: str, values: list[bytes]) -> InferInput:
    tensor = InferInput(name, [len(values)], "BYTES")
    tensor.set_data_from_numpy(np.array(values, dtype=np.object_))
    return tensor


def scalar(name: str, value, datatype: str, dtype, batched: bool = False) -> InferInput:
    shape = [1, 1] if batched else [1]
    tensor = InferInput(name, shape, datatype)
    tensor.set_data_from_numpy(np.array(value, dtype=dtype).reshape(shape))
    return tensor


def stream(url: str, model: str, inputs: list[InferInput]) -> list[dict[str, np.ndarray]]:
    """Every response of one decoupled request, up to the final one; raises the error response."""
    client = InferenceServerClient(url)
    responses: queue.Queue = queue.Queue()
    client.start_stream(callback=lambda result, error: responses.put((result, error)))
    try:
        client.async_stream_infer(model, inputs, enable_empty_final_response=True)
        answers = []
        while True:
            result, error = responses.get(timeout=600)
            if error is not None:
                raise error
            final = result.get_response().parameters.get("triton_final_response")
            outputs = {output.name: result.as_numpy(output.name) for output in result.get_response().outputs}
            if outputs:
                answers.append(outputs)
            if final is not None and final.bool_param:
                return answers
    finally:
        client.stop_stream()
        client.close()


def train(url: str, images: list[bytes], seed: int = 1) -> list[dict[str, np.ndarray]]:
    return stream(
        url,
        "style_train",
        [
            strings("IMAGES", images),
            strings("CAPTIONS", [b"a circle", b""] * (len(images) // 2) + [b""] * (len(images) % 2)),
            scalar("STEPS", [STEPS], "INT32", np.int32),
            scalar("SEED", [seed], "INT64", np.int64),
        ],
    )


def generate(url: str, style: bytes | None, seed: int = 5) -> np.ndarray:
    inputs = [
        scalar("PROMPT", [PROMPT.encode()], "BYTES", np.object_, batched=True),
        scalar("SEED", [seed], "INT64", np.int64, batched=True),
        scalar("NUM_IMAGES", [1], "INT32", np.int32, batched=True),
        scalar("STEPS", [4], "INT32", np.int32, batched=True),
    ]
    if style is not None:
        inputs += [
            scalar("STYLE_WEIGHTS", [style], "BYTES", np.object_, batched=True),
            scalar("STYLE_SCALE", [1.5], "FP32", np.float32, batched=True),
        ]
    responses = stream(url, "txt2img", inputs)
    final = [r for r in responses if r["KIND"].reshape(-1)[0] == b"final"]
    assert len(final) == 1
    return final[0]["IMAGES"]


def test_a_style_trains_streaming_progress_and_then_styles_generations(triton: str) -> None:
    rng = np.random.default_rng(20261207)
    images = [
        encoded(world.render(world.sample_scene(rng), 48), kind) for kind in ("PNG", "JPEG", "WEBP", "PNG", "PNG")
    ]

    responses = train(triton, images)

    kinds = [r["KIND"][0] for r in responses]
    assert kinds == [b"progress"] * (STEPS - 1) + [b"weights"], kinds
    assert [int(r["STEP"][0]) for r in responses] == list(range(1, STEPS + 1))
    assert all(int(r["TOTAL"][0]) == STEPS for r in responses)
    assert all(np.isfinite(r["LOSS"][0]) for r in responses[:-1])
    style = bytes(responses[-1]["WEIGHTS"][0])
    assert 0 < len(style) < 2_000_000

    plain = generate(triton, None)
    styled = generate(triton, style)
    assert not np.array_equal(styled, plain)
    assert np.array_equal(generate(triton, style), styled)

    with pytest.raises(InferenceServerException, match=r"IMAGES\[2\] is not a readable"):
        train(triton, [images[0], images[1], b"not an image"])
    with pytest.raises(InferenceServerException, match="STYLE_WEIGHTS"):
        generate(triton, b"not a style")
