"""A custom style of the shipped model (imagemodel/style_lora.py, style_train.py): it trains a few
steps deterministically, survives its bytes, changes what the model draws only while applied, is
refused on other weights, and the Triton adapter never samples two styles in one batch."""

from __future__ import annotations

import dataclasses
import io
import sys
from pathlib import Path

MODEL_VERSION_DIR = Path(__file__).resolve().parents[2] / "model_repository" / "txt2img" / "1"
sys.path.append(str(MODEL_VERSION_DIR))  # where Triton's stub finds the helpers too

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402
from txt2img_backend import imagemodel_adapter  # noqa: E402
from txt2img_backend.pipelines import Generation, InvalidRequest, PipelineDefaults  # noqa: E402

from imagemodel import pipelines, style_lora, style_train, world  # noqa: E402
from imagemodel.model import TextToImageModel  # noqa: E402
from imagemodel.pipelines import TinyDiffusionPipeline, load_pipeline  # noqa: E402
from tests.support.txt2img_backend import generation_request  # noqa: E402

STEPS = 4
PROMPT = "a red circle on a blue background"


def pastel(image: np.ndarray) -> np.ndarray:
    return (image.astype(np.float32) * 0.4 + 255 * 0.6).astype(np.uint8)


def encoded(image: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def pipeline() -> TinyDiffusionPipeline:
    loaded = load_pipeline("tiny-diffusion")
    assert isinstance(loaded, TinyDiffusionPipeline)
    return loaded


@pytest.fixture(scope="module")
def images() -> list[bytes]:
    rng = np.random.default_rng(5)
    return [encoded(pastel(world.render(world.sample_scene(rng), 48))) for _ in range(5)]


@pytest.fixture(scope="module")
def style_bytes(pipeline: TinyDiffusionPipeline, images: list[bytes]) -> bytes:
    return train(pipeline, images, seed=3)


@pytest.fixture(scope="module")
def other_style_bytes(pipeline: TinyDiffusionPipeline, images: list[bytes]) -> bytes:
    return train(pipeline, images, seed=4)


def train(pipeline: TinyDiffusionPipeline, images: list[bytes], seed: int, on_progress=None) -> bytes:
    captions = ["a circle"] * len(images)
    return style_train.train_style_bytes(pipeline, images, captions, STEPS, seed, on_progress=on_progress, threads=1)


def draw(pipeline: TinyDiffusionPipeline) -> np.ndarray:
    return pipeline.generate(PROMPT, "", [11], 3, 1.25, 32, 32)


def test_training_is_deterministic_small_reports_progress_and_names_its_base(
    pipeline: TinyDiffusionPipeline, images: list[bytes], style_bytes: bytes, other_style_bytes: bytes
) -> None:
    progress: list[tuple[int, int, float]] = []

    again = train(pipeline, images, seed=3, on_progress=lambda *report: progress.append(report))

    assert again == style_bytes
    assert other_style_bytes != style_bytes
    assert len(style_bytes) < 2_000_000
    assert [(step, total) for step, total, _ in progress] == [(step, STEPS) for step in range(1, STEPS + 1)]
    assert all(np.isfinite(loss) for *_, loss in progress)
    metadata = style_lora.read_metadata(style_bytes)
    assert metadata["base_model"] == "tiny-diffusion"
    assert metadata["base_fingerprint"] == style_lora.model_fingerprint(pipeline.model)
    assert style_train.progress_steps(1000) == set(range(20, 1001, 20))


def test_a_style_changes_the_images_only_while_applied_and_round_trips(
    pipeline: TinyDiffusionPipeline, style_bytes: bytes
) -> None:
    before = draw(pipeline)
    style = style_lora.from_bytes(style_bytes, pipeline.model)
    extra = {key: style.metadata[key] for key in ("steps", "seed", "images")}
    assert style_lora.to_bytes(style, pipeline.model, extra) == style_bytes

    with style_lora.applied(pipeline.model.unet, style, 1.5):
        styled = draw(pipeline)
    with style_lora.applied(pipeline.model.unet, style, 1.5):
        styled_again = draw(pipeline)
    with style_lora.applied(pipeline.model.unet, style, 0.0):
        unscaled = draw(pipeline)

    assert not np.array_equal(styled, before)
    assert np.array_equal(styled, styled_again)
    assert np.array_equal(unscaled, before)
    assert np.array_equal(draw(pipeline), before)  # the hooks are gone


def test_a_style_of_other_weights_or_no_style_at_all_is_refused(
    pipeline: TinyDiffusionPipeline, style_bytes: bytes
) -> None:
    other = TextToImageModel(pipeline.model.config)
    other.load_state_dict(pipeline.model.state_dict())
    with torch.no_grad():
        next(other.unet.parameters()).add_(1e-3)

    with pytest.raises(style_lora.StyleError, match="trained on another base model"):
        style_lora.from_bytes(style_bytes, other)
    with pytest.raises(style_lora.StyleError, match="not a safetensors file"):
        style_lora.from_bytes(b"not a style", pipeline.model)
    with pytest.raises(style_train.StyleTrainingError, match=r"IMAGES\[1\] is not a readable"):
        style_train.decode_images([encoded(np.zeros((8, 8, 3), np.uint8)), b"\x89PNG broken"], 32)
    with pytest.raises(style_train.StyleTrainingError, match="1 to 64 images"):
        style_train.decode_images([], 32)


def test_the_triton_adapter_never_samples_two_styles_in_one_batch(
    pipeline: TinyDiffusionPipeline, style_bytes: bytes, other_style_bytes: bytes
) -> None:
    adapter = imagemodel_adapter.ImageModelPipeline(pipeline, PipelineDefaults(3, 1.0, 32, 32))
    plain = generation_request(PROMPT, (11,), 3, 32, 32)
    requests = [
        plain,
        dataclasses.replace(plain, style_weights=style_bytes, style_scale=1.5),
        dataclasses.replace(plain, style_weights=other_style_bytes, style_scale=1.5),
        dataclasses.replace(plain, style_weights=style_bytes, style_scale=1.0),
    ]

    def alone(request) -> np.ndarray:
        return adapter.generate(request, lambda *_: None)

    together = dict(adapter.generate_batch([Generation(request, lambda *_: None) for request in requests]))

    outcomes = [together[index] for index in range(len(requests))]
    assert all(isinstance(outcome, np.ndarray) for outcome in outcomes), outcomes
    for request, outcome in zip(requests, outcomes):
        assert np.array_equal(outcome, alone(request))
    assert len({outcome.tobytes() for outcome in outcomes}) == len(requests)

    broken = dict(
        adapter.generate_batch([Generation(dataclasses.replace(plain, style_weights=b"junk"), lambda *_: None)])
    )
    assert isinstance(broken[0], InvalidRequest) and "STYLE_WEIGHTS" in str(broken[0])
    procedural = imagemodel_adapter.ImageModelPipeline(pipelines.ProceduralPipeline(), PipelineDefaults(3, 1.0, 32, 32))
    with pytest.raises(InvalidRequest, match="draws no custom styles"):
        procedural.generate(dataclasses.replace(plain, style_weights=style_bytes), lambda *_: None)
