"""TinyDiffusionPipeline.generate_batch: several callers in one denoising loop, each image identical to
its caller's generation alone, each caller's previews, errors and cancellation its own."""

import numpy as np
import pytest
import torch

from imagemodel import pipelines
from imagemodel.model import ModelConfig, TextEncoder, TextToImageModel
from imagemodel.pipelines import BatchItem
from tests.support.imaging import two_halves

STEPS = 6


@pytest.fixture(scope="module")
def small_model() -> pipelines.TinyDiffusionPipeline:
    torch.manual_seed(1)
    model = TextToImageModel(ModelConfig(block_out_channels=(8, 16, 16), layers_per_block=1, adapter_width=32))
    return pipelines.TinyDiffusionPipeline(model, TextEncoder())


class Recorder:
    def __init__(self, stop_at: int | None = None) -> None:
        self.previews: list[tuple[int, int, np.ndarray]] = []
        self.stop_at = stop_at

    def __call__(self, step: int, total: int, previews: np.ndarray) -> None:
        if self.stop_at is not None and step >= self.stop_at:  # its first preview from stop_at on
            raise CallerStopped(step)
        self.previews.append((step, total, previews))


class CallerStopped(Exception):
    """What a caller's on_preview raises to stop (the Triton model raises GenerationCancelled)."""


def items_of_three(recorders: list[Recorder]) -> list[BatchItem]:
    return [
        BatchItem("a red circle on a blue background", "", [1, 2], 64, 64, recorders[0]),
        BatchItem("a green star in the top left", "yellow things", [40], 96, 48, recorders[1]),
        BatchItem("a small purple square", "a big blue circle on white", [7], 32, 32, recorders[2]),
    ]


@pytest.mark.parametrize("guidance", [1.0, 3.0])
def test_each_caller_gets_exactly_the_images_and_previews_it_gets_alone(small_model, guidance) -> None:
    recorders = [Recorder() for _ in range(3)]

    batched = small_model.generate_batch(items_of_three(recorders), STEPS, guidance)

    for item, images, recorder in zip(items_of_three([Recorder() for _ in range(3)]), batched, recorders):
        alone_previews = []
        alone = small_model.generate(
            item.prompt,
            item.negative_prompt,
            item.seeds,
            STEPS,
            guidance,
            item.width,
            item.height,
            on_preview=lambda *call, previews=alone_previews: previews.append(call),
        )
        assert images.shape == (len(item.seeds), item.height, item.width, 3)
        assert np.array_equal(images, alone)
        # A wide caller's two passes (the square's 6 steps, then the frame's 3: imagemodel.framing)
        # preview as one run of STEPS: the square's step 5 is the run's 5 * 6 // 9 = 3.
        expected = [(5, STEPS)] if item.width == item.height else [(3, STEPS)]
        assert [(s, t) for s, t, _ in recorder.previews] == [(s, t) for s, t, _ in alone_previews] == expected
        for (_, _, got), (_, _, expected) in zip(recorder.previews, alone_previews):
            assert np.array_equal(got, expected)


def test_an_invalid_caller_gets_its_error_and_the_others_their_images(small_model) -> None:
    items = items_of_three([None, None, None])
    items[1] = BatchItem("   ", "", [40], 96, 48)

    outcomes = small_model.generate_batch(items, STEPS, 3.0)

    assert isinstance(outcomes[1], ValueError) and "prompt must not be empty" in str(outcomes[1])
    assert np.array_equal(outcomes[0], small_model.generate(items[0].prompt, "", [1, 2], STEPS, 3.0, 64, 64))
    assert outcomes[2].shape == (1, 32, 32, 3)


def test_a_caller_that_stops_leaves_the_loop_and_the_others_finish_unchanged(small_model) -> None:
    small_model.preview_every = 1
    try:
        recorders = [Recorder(), Recorder(stop_at=3), Recorder()]
        outcomes = small_model.generate_batch(items_of_three(recorders), STEPS, 3.0)
        alone = [
            small_model.generate(item.prompt, item.negative_prompt, item.seeds, STEPS, 3.0, item.width, item.height)
            for item in items_of_three([None] * 3)
        ]
    finally:
        small_model.preview_every = pipelines.TinyDiffusionPipeline.preview_every

    assert isinstance(outcomes[1], CallerStopped)
    assert [step for step, _, _ in recorders[1].previews] == [1, 2]
    assert [step for step, _, _ in recorders[0].previews] == list(range(1, STEPS))
    assert np.array_equal(outcomes[0], alone[0]) and np.array_equal(outcomes[2], alone[2])


def test_when_every_caller_stops_each_gets_its_own_exception(small_model) -> None:
    recorders = [Recorder(stop_at=3) for _ in range(3)]

    outcomes = small_model.generate_batch(items_of_three(recorders), STEPS, 1.0)

    assert all(isinstance(outcome, CallerStopped) for outcome in outcomes)
    assert len({id(outcome) for outcome in outcomes}) == 3


def test_padded_matmuls_give_every_row_the_same_result_whatever_the_row_count() -> None:
    torch.manual_seed(0)
    linear = torch.nn.Linear(512, 128)  # a shape whose rows BLAS sums differently below 16 rows
    pipelines.pad_small_matmuls(linear)
    x = torch.randn(40, 512)

    with torch.no_grad():
        whole = linear(x)
        assert all(torch.equal(linear(x[:rows]), whole[:rows]) for rows in range(1, 40))
        assert torch.equal(linear(x[:3].reshape(3, 1, 512)), whole[:3].reshape(3, 1, 128))


@pytest.mark.parametrize("guidance", [1.0, 3.0])
def test_remixes_run_the_same_loop_from_their_noised_init_images_each_as_alone(small_model, guidance) -> None:
    """Image-to-image is the text-to-image loop started at the strength's timestep: remixes batch
    like text-to-image, and previews count only the steps run."""
    recorders = [Recorder(), Recorder()]
    items = [
        BatchItem("a red circle", "", [1, 2], 64, 64, recorders[0], init_image=two_halves(48, 40)),
        BatchItem("a green star", "blue", [9], 32, 32, recorders[1], init_image=two_halves(16, 16)),
    ]
    small_model.preview_every = 1
    try:
        batched = small_model.generate_batch(items, 10, guidance, strength=0.5)
        alone = [
            small_model.generate(
                item.prompt,
                item.negative_prompt,
                item.seeds,
                10,
                guidance,
                item.width,
                item.height,
                init_image=item.init_image,
                strength=0.5,
            )
            for item in items
        ]
        plain = small_model.generate("a red circle", "", [1, 2], 10, guidance, 64, 64)
    finally:
        small_model.preview_every = pipelines.TinyDiffusionPipeline.preview_every

    assert all(np.array_equal(b, a) for b, a in zip(batched, alone, strict=True))
    assert [(step, total) for step, total, _ in recorders[0].previews] == [(k, 5) for k in range(1, 5)]
    assert not np.array_equal(batched[0], plain)  # it did start from the init image


def test_a_remix_without_its_init_image_is_refused_alone(small_model) -> None:
    items = [
        BatchItem("a red circle", "", [1], 64, 64, init_image=two_halves(32, 32)),
        BatchItem("a red circle", "", [2], 64, 64),
    ]

    outcomes = small_model.generate_batch(items, STEPS, 3.0, strength=0.5)

    assert outcomes[0].shape == (1, 64, 64, 3)
    assert isinstance(outcomes[1], ValueError) and "init image" in str(outcomes[1])
