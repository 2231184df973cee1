"""The Triton model's adapter over imagemodel's pipelines: previews every step, remix, and tiny-diffusion
served at the defaults its shipped weights were evaluated at (imagemodel's pipelines import torch, seconds
alone: so here rather than in tests/unit)."""

import sys
from pathlib import Path

MODEL_VERSION_DIR = Path(__file__).resolve().parents[2] / "model_repository" / "txt2img" / "1"
sys.path.append(str(MODEL_VERSION_DIR))  # where Triton's stub finds the helpers too

import numpy as np  # noqa: E402
from txt2img_backend import imagemodel_adapter  # noqa: E402
from txt2img_backend.pipelines import Generation, PipelineDefaults  # noqa: E402

from imagemodel import pipelines  # noqa: E402
from tests.support.imaging import two_halves  # noqa: E402
from tests.support.txt2img_backend import generation_request  # noqa: E402

DEFAULTS = PipelineDefaults(steps=20, guidance=1.0, width=256, height=256)


def test_imagemodel_pipelines_stream_a_preview_every_step_through_the_adapter() -> None:
    adapter = imagemodel_adapter.ImageModelPipeline(pipelines.ProceduralPipeline(), DEFAULTS)
    steps_seen = []

    def on_step(step, total, render):
        steps_seen.append((step, total, render().shape))

    images = adapter.generate(generation_request("a red circle", (3, 4), 6, 128, 128), on_step)

    assert images.shape == (2, 128, 128, 3)
    assert adapter.native_size(128, 128) == (64, 64)
    assert [s[:2] for s in steps_seen] == [(k, 6) for k in range(1, 6)]
    assert all(shape[0] == 2 and shape[3] == 3 for _, _, shape in steps_seen)


def test_imagemodel_pipelines_remix_through_the_adapter() -> None:
    adapter = imagemodel_adapter.ImageModelPipeline(pipelines.ProceduralPipeline(), DEFAULTS)
    steps_seen = []
    images = adapter.generate(
        generation_request("a red circle", (3,), 10, 64, 64, init_image=two_halves(96, 64), strength=0.5),
        lambda step, total, render: steps_seen.append((step, total)),
    )
    plain = adapter.generate(generation_request("a red circle", (3,), 10, 64, 64), lambda *_: None)

    assert images.shape == (1, 64, 64, 3)
    assert steps_seen == [(k, 5) for k in range(1, 5)]
    assert not np.array_equal(images, plain)


def test_tiny_diffusions_defaults_are_the_ones_its_weights_were_evaluated_at() -> None:
    defaults = imagemodel_adapter.load("tiny-diffusion", {}).defaults

    assert (defaults.steps, defaults.guidance) == (pipelines.DEFAULT_STEPS, pipelines.DEFAULT_GUIDANCE) == (25, 1.25)


def test_the_adapter_passes_on_the_words_the_built_in_model_cannot_draw() -> None:
    adapter = imagemodel_adapter.ImageModelPipeline(pipelines.ProceduralPipeline(), DEFAULTS)
    assert adapter.unknown_words("a cat astronaut on a red background") == ("cat", "astronaut")
    assert adapter.unknown_words("a red circle on a blue background") == ()


def test_inpainting_requests_reach_the_pipelines_with_their_mask_alone_and_batched() -> None:
    init = two_halves(64, 64)
    mask = np.zeros((64, 64), np.uint8)
    mask[16:48, 16:48] = 255
    request = generation_request("a red circle", (3,), 2, 64, 64, init_image=init, mask=mask)
    procedural = imagemodel_adapter.ImageModelPipeline(pipelines.ProceduralPipeline(), DEFAULTS)
    tiny = imagemodel_adapter.ImageModelPipeline(pipelines.load_pipeline("tiny-diffusion"), DEFAULTS)
    generations = [
        Generation(request, lambda *_: None),
        Generation(generation_request("a blue star", (4,), 2, 64, 64), lambda *_: None),
    ]

    [alone] = procedural.generate(request, lambda *_: None)
    batched = dict(tiny.generate_batch(generations))

    assert np.array_equal(alone[mask == 0], init[mask == 0])
    assert np.array_equal(batched[0][0][mask == 0], init[mask == 0])  # one loop with the text-to-image request
    assert not np.array_equal(batched[1][0][mask == 0], init[mask == 0])
