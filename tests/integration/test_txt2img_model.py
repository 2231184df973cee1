"""The txt2img model served by a real tritonserver, through the client the generation worker uses."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from services.generation.inference import (
    InferenceRejected,
    InferenceUnavailable,
    Progress,
    TritonTxt2Img,
    Txt2ImgRequest,
    Txt2ImgResult,
)
from tools.devstack import TritonServer, free_port

pytestmark = pytest.mark.integration

MODEL_REPOSITORY = Path(__file__).resolve().parents[2] / "model_repository"
RED_CIRCLE_ON_BLUE = "a red circle on a blue background"
TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


@pytest.fixture
async def model(triton_url: str) -> AsyncIterator[TritonTxt2Img]:
    client = TritonTxt2Img(triton_url)
    try:
        yield client
    finally:
        await client.close()


async def generate(model: TritonTxt2Img, request: Txt2ImgRequest) -> tuple[list[Progress], Txt2ImgResult]:
    progress: list[Progress] = []

    async def record(update: Progress) -> None:
        progress.append(update)

    result = await model.generate(request, record, headers={"traceparent": TRACEPARENT})
    return progress, result


async def test_the_model_reports_ready(model: TritonTxt2Img) -> None:
    assert await model.ready()


async def test_progress_with_rising_steps_comes_before_the_final_images(model: TritonTxt2Img) -> None:
    request = Txt2ImgRequest(prompt=RED_CIRCLE_ON_BLUE, seed=7, num_images=4, steps=20, preview_every=5)

    progress, result = await generate(model, request)

    assert [p.step for p in progress] == [5, 10, 15]
    assert all(p.total == 20 for p in progress)
    for update in progress:
        assert len(update.previews) == 4
        for preview in update.previews:
            assert preview.dtype == np.uint8 and preview.shape[2] == 3
            assert max(preview.shape[:2]) <= 32
    assert len(result.images) == 4
    assert all(image.shape == (256, 256, 3) and image.dtype == np.uint8 for image in result.images)
    assert result.seeds == [7, 8, 9, 10]
    assert result.native_size == (256, 256)


async def test_previews_move_from_noise_towards_the_final_image(model: TritonTxt2Img) -> None:
    request = Txt2ImgRequest(prompt=RED_CIRCLE_ON_BLUE, seed=3, num_images=1, steps=30, preview_every=3)

    progress, result = await generate(model, request)

    final_small = shrink(result.images[0], progress[0].previews[0].shape[:2])
    distances = [mean_abs_difference(p.previews[0], final_small) for p in progress]
    assert distances == sorted(distances, reverse=True)
    assert distances[0] > 3 * distances[-1]


async def test_images_have_the_requested_count_and_size(model: TritonTxt2Img) -> None:
    request = Txt2ImgRequest(prompt="a green star", seed=1, num_images=2, width=320, height=192, preview_every=0)

    progress, result = await generate(model, request)

    assert progress == []
    assert [image.shape for image in result.images] == [(192, 320, 3)] * 2


async def test_the_same_prompt_and_seed_give_the_same_images(model: TritonTxt2Img) -> None:
    request = Txt2ImgRequest(prompt="a yellow triangle on a purple background", seed=42, num_images=3)

    _, first = await generate(model, request)
    _, again = await generate(model, request)
    _, other_seed = await generate(model, Txt2ImgRequest(prompt=request.prompt, seed=43, num_images=1))

    for a, b in zip(first.images, again.images, strict=True):
        assert np.array_equal(a, b)
    assert not np.array_equal(first.images[0], first.images[1])
    # Each image's seed regenerates it on its own.
    assert np.array_equal(other_seed.images[0], first.images[1])


async def test_a_red_circle_on_a_blue_background_is_drawn_as_asked(model: TritonTxt2Img) -> None:
    _, result = await generate(model, Txt2ImgRequest(prompt=RED_CIRCLE_ON_BLUE, seed=11, num_images=4))

    for image in result.images:
        pixels = image.astype(int)
        border = np.concatenate(
            [
                pixels[:8].reshape(-1, 3),
                pixels[-8:].reshape(-1, 3),
                pixels[:, :8].reshape(-1, 3),
                pixels[:, -8:].reshape(-1, 3),
            ]
        )
        blue = (border[:, 2] > 150) & (border[:, 0] < 100) & (border[:, 1] < 130)
        assert blue.mean() > 0.9
        red, green, blue_channel = pixels[112:144, 112:144].reshape(-1, 3).mean(axis=0)
        assert red > 150 and green < 90 and blue_channel < 90


async def test_a_remix_at_low_strength_stays_much_closer_to_the_init_image(model: TritonTxt2Img) -> None:
    _, source = await generate(
        model, Txt2ImgRequest(prompt=RED_CIRCLE_ON_BLUE, seed=11, num_images=1, width=192, height=128, preview_every=0)
    )
    init = source.images[0]

    async def remix(strength: float):
        return await generate(
            model,
            Txt2ImgRequest(
                prompt="a yellow triangle on a purple background",
                seed=5,
                num_images=2,
                steps=20,
                preview_every=1,
                init_image=init,
                strength=strength,
            ),
        )

    low_progress, low = await remix(0.2)
    _, high = await remix(1.0)

    # Any init size: the images come at the requested (default) size.
    assert [image.shape for image in low.images] == [(256, 256, 3)] * 2
    assert low.seeds == [5, 6]
    # Only int(20 * 0.2) = 4 steps run, and previews count those.
    assert [(p.step, p.total) for p in low_progress] == [(1, 4), (2, 4), (3, 4)]
    init_shown = np.asarray(Image.fromarray(init).resize((256, 256)))
    near = mean_abs_difference(low.images[0], init_shown)
    far = mean_abs_difference(high.images[0], init_shown)
    assert near * 3 < far, (near, far)


SOURCE_PIXELS = np.full((64, 64, 3), 128, np.uint8)


@pytest.mark.parametrize(
    ("bad_request", "message"),
    [
        (
            Txt2ImgRequest(prompt="a red circle", seed=1, init_image=SOURCE_PIXELS, strength=1.5),
            "STRENGTH must be above 0 and at most 1",
        ),
        (
            Txt2ImgRequest(prompt="a red circle", seed=1, init_image=SOURCE_PIXELS, strength=0.0),
            "STRENGTH must be above 0 and at most 1",
        ),
        (Txt2ImgRequest(prompt="a red circle", seed=1, strength=0.5), "STRENGTH applies only to image-to-image"),
        (
            Txt2ImgRequest(prompt="a red circle", seed=1, init_image=np.zeros((4, 64, 3), np.uint8)),
            "INIT_IMAGE sides must be between",
        ),
    ],
)
async def test_a_bad_remix_is_rejected_clearly_and_the_model_keeps_serving(
    model: TritonTxt2Img, bad_request: Txt2ImgRequest, message: str
) -> None:
    with pytest.raises(InferenceRejected, match=message):
        await generate(model, bad_request)

    _, result = await generate(
        model, Txt2ImgRequest(prompt="a blue square", seed=5, num_images=1, init_image=SOURCE_PIXELS)
    )
    assert len(result.images) == 1


async def test_an_init_image_of_the_wrong_shape_is_refused_by_triton(model: TritonTxt2Img, triton_url: str) -> None:
    """Sent past our client's own check: Triton refuses it against the config's [-1, -1, 3]."""
    import tritonclient.grpc as grpcclient
    from tritonclient.utils import InferenceServerException

    client = grpcclient.InferenceServerClient(triton_url)
    batched = client.get_model_config("txt2img").config.max_batch_size > 0  # then every tensor leads with [1]

    def tensor(name, datatype, values):
        values = values[np.newaxis] if batched else values
        item = grpcclient.InferInput(name, list(values.shape), datatype)
        item.set_data_from_numpy(values)
        return item

    inputs = [
        tensor("PROMPT", "BYTES", np.array([b"a red circle"], dtype=np.object_)),
        tensor("SEED", "INT64", np.array([1], dtype=np.int64)),
        tensor("NUM_IMAGES", "INT32", np.array([1], dtype=np.int32)),
        tensor("INIT_IMAGE", "UINT8", np.zeros((64, 64, 4), np.uint8)),
    ]
    errors = []
    try:
        client.start_stream(callback=lambda result, error: errors.append(error))
        client.async_stream_infer("txt2img", inputs)
    except InferenceServerException as error:
        errors.append(error)
    finally:
        client.stop_stream()
        client.close()

    assert errors and errors[0] is not None
    assert "unexpected shape for input 'INIT_IMAGE'" in errors[0].message()
    _, result = await generate(model, Txt2ImgRequest(prompt="a blue square", seed=5, num_images=1))
    assert len(result.images) == 1


@pytest.mark.parametrize(
    ("bad_request", "message"),
    [
        (Txt2ImgRequest(prompt="   ", seed=1), "PROMPT is empty"),
        (Txt2ImgRequest(prompt="a red circle", seed=1, num_images=0), "NUM_IMAGES must be between 1 and 8"),
        (Txt2ImgRequest(prompt="a red circle", seed=1, num_images=9), "NUM_IMAGES must be between 1 and 8"),
        (Txt2ImgRequest(prompt="a red circle", seed=1, width=7), "WIDTH must be a multiple of 8"),
        (Txt2ImgRequest(prompt="a red circle", seed=1, steps=151), "STEPS must be between 1 and"),
        (Txt2ImgRequest(prompt="a red circle", seed=-1), "SEED must be between 0 and"),
    ],
)
async def test_a_bad_request_is_rejected_clearly_and_the_model_keeps_serving(
    model: TritonTxt2Img, bad_request: Txt2ImgRequest, message: str
) -> None:
    with pytest.raises(InferenceRejected, match=message):
        await generate(model, bad_request)

    _, result = await generate(model, Txt2ImgRequest(prompt="a blue square", seed=5, num_images=1))
    assert len(result.images) == 1


async def test_a_stopped_server_is_reported_unavailable(tmp_path: Path) -> None:
    server = TritonServer(
        MODEL_REPOSITORY, free_port(), free_port(), free_port(), tmp_path / "triton", pipeline="procedural"
    )
    server.start()
    model = TritonTxt2Img(server.grpc_url, timeout_s=10)
    try:
        _, result = await generate(model, Txt2ImgRequest(prompt="a pink dot", seed=1, num_images=1))
        assert len(result.images) == 1

        server.stop()

        assert not await model.ready()
        with pytest.raises(InferenceUnavailable):
            await generate(model, Txt2ImgRequest(prompt="a pink dot", seed=1, num_images=1))
    finally:
        server.stop()
        await model.close()


def shrink(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    height, width = size
    return np.asarray(Image.fromarray(image).resize((width, height), Image.BOX))


def mean_abs_difference(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(float) - b.astype(float)).mean())
