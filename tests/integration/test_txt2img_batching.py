"""Triton's dynamic batcher in front of the txt2img model, on a real tritonserver: requests that queue
up together run as one batch of the trained tiny-diffusion model, and each still gets exactly the
images and previews it gets alone, its own error, and its own cancellation. And the generation
worker's client follows a redeploy that switches batching on."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from services.generation.inference import (
    InferenceRejected,
    InferenceUnavailable,
    Progress,
    TritonTxt2Img,
    Txt2ImgRequest,
    Txt2ImgResult,
)
from tests.support.tiny_diffusion_triton import MODEL_REPOSITORY
from tests.support.tiny_diffusion_triton import tiny_diffusion_triton as running_tiny_diffusion
from tools.devstack import TritonServer, free_ports, txt2img_repository

pytestmark = pytest.mark.integration


class StopWatching(Exception):
    """Raised from on_progress: the client gives up on the generation, which cancels it in Triton."""


@pytest.fixture(scope="module")
def batching_triton(tmp_path_factory) -> Iterator[TritonServer]:
    with running_tiny_diffusion(tmp_path_factory.mktemp("triton-batching"), dynamic_batching=True) as server:
        yield server


async def generate(
    model: TritonTxt2Img, request: Txt2ImgRequest, stop_at_first_preview: bool = False
) -> tuple[list[Progress], Txt2ImgResult]:
    progress: list[Progress] = []

    async def record(update: Progress) -> None:
        if stop_at_first_preview:
            raise StopWatching()
        progress.append(update)

    return progress, await model.generate(request, record)


async def batch_sizes_after(server: TritonServer, before: dict[int, int], size: int) -> dict[int, int]:
    """The batches executed since `before`, once one of `size` shows (Triton records a batch just
    after execute() returns, so just after its last response)."""
    for _ in range(50):
        now = server.executed_batches()
        executed = {n: now[n] - before.get(n, 0) for n in now if now[n] > before.get(n, 0)}
        if size in executed:
            break
        await asyncio.sleep(0.1)
    return executed


async def test_requests_batched_together_each_get_the_images_and_previews_they_get_alone(
    batching_triton: TritonServer,
) -> None:
    # Triton batches only requests that send the same inputs: these all set steps, size and previews.
    def request(
        prompt: str, seed: int, num_images: int, steps: int = 6, width: int = 256, height: int = 256, **more
    ) -> Txt2ImgRequest:
        return Txt2ImgRequest(
            prompt=prompt,
            seed=seed,
            num_images=num_images,
            steps=steps,
            width=width,
            height=height,
            preview_every=more.pop("preview_every", 2),
            **more,
        )

    red = request("a red circle on a blue background", 3, 2)
    star = request("a green star in the top left", 40, 1, width=128, height=96, negative_prompt="yellow")
    invalid = request("a blue square", 1, 1, steps=151)
    cancelled = request("a white triangle", 8, 2, preview_every=1)
    async with TritonTxt2Img(batching_triton.grpc_url) as model:
        busy = asyncio.Event()

        async def on_blocker_progress(_: Progress) -> None:
            busy.set()

        blocker = asyncio.create_task(
            model.generate(
                Txt2ImgRequest(prompt="a grey square", seed=0, num_images=1, steps=10, preview_every=1),
                on_blocker_progress,
            )
        )
        await asyncio.wait_for(busy.wait(), timeout=120)
        before = batching_triton.executed_batches()
        # The model is busy with the blocker: these four queue up and come to execute() as one batch.
        together = await asyncio.gather(
            generate(model, red),
            generate(model, star),
            generate(model, invalid),
            generate(model, cancelled, stop_at_first_preview=True),
            return_exceptions=True,
        )
        await blocker
        executed = await batch_sizes_after(batching_triton, before, 4)

        alone = [await generate(model, red), await generate(model, star)]

    assert executed == {1: 1, 4: 1}  # the blocker, then all four at once
    assert isinstance(together[2], InferenceRejected) and "STEPS must be between" in str(together[2])
    assert isinstance(together[3], StopWatching)
    for (batched_progress, batched), (alone_progress, alone_result) in zip(together[:2], alone, strict=True):
        assert batched.seeds == alone_result.seeds and batched.native_size == alone_result.native_size
        assert len(batched.images) == len(alone_result.images)
        for image, expected in zip(batched.images, alone_result.images, strict=True):
            assert np.array_equal(image, expected)
        assert [(p.step, p.total) for p in batched_progress] == [(p.step, p.total) for p in alone_progress]
        for update, expected in zip(batched_progress, alone_progress, strict=True):
            assert all(np.array_equal(a, b) for a, b in zip(update.previews, expected.previews, strict=True))
    assert [image.shape for image in alone[1][1].images] == [(96, 128, 3)]


async def test_steps_left_unset_run_the_models_own_default_and_set_steps_are_honoured(
    batching_triton: TritonServer,
) -> None:
    from imagemodel.pipelines import DEFAULT_STEPS  # the one place tiny-diffusion's default lives

    async with TritonTxt2Img(batching_triton.grpc_url) as model:
        default_progress, default = await generate(
            model, Txt2ImgRequest(prompt="a red circle", seed=1, num_images=1, width=64, height=64, preview_every=5)
        )
        set_progress, set_steps = await generate(
            model,
            Txt2ImgRequest(prompt="a red circle", seed=1, num_images=1, steps=6, width=64, height=64, preview_every=5),
        )

    assert DEFAULT_STEPS == 25  # what MODEL_CARD.md evaluated
    assert default.steps == DEFAULT_STEPS
    assert [(p.step, p.total) for p in default_progress] == [(5, 25), (10, 25), (15, 25), (20, 25)]
    assert set_steps.steps == 6 and [(p.step, p.total) for p in set_progress] == [(5, 6)]


async def test_the_client_follows_a_redeploy_that_switches_batching_on(tmp_path: Path) -> None:
    ports = free_ports(3)
    plain = TritonServer(
        txt2img_repository(MODEL_REPOSITORY, tmp_path / "plain", dynamic_batching=False),
        *ports,
        tmp_path / "plain-data",
        pipeline="procedural",
    )
    batching = TritonServer(
        txt2img_repository(MODEL_REPOSITORY, tmp_path / "batching", dynamic_batching=True),
        *ports,
        tmp_path / "batching-data",
        pipeline="procedural",
    )
    request = Txt2ImgRequest(prompt="a pink dot", seed=1, num_images=2)
    model = TritonTxt2Img(plain.grpc_url, timeout_s=30)
    try:
        plain.start()
        _, before = await generate(model, request)
        plain.stop()
        batching.start()
        for _ in range(50):  # as the worker does: retry while the channel reconnects
            try:
                _, after = await generate(model, request)
                break
            except InferenceUnavailable:
                await asyncio.sleep(0.2)
        else:
            pytest.fail("the client never reached the redeployed model")
    finally:
        await model.close()
        plain.stop()
        batching.stop()

    assert all(np.array_equal(a, b) for a, b in zip(before.images, after.images, strict=True))
