"""How the txt2img model serves several requests handed over at once (Triton's dynamic batcher),
without Triton: which run as one batch, and that each gets its own outcome."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

MODEL_VERSION_DIR = Path(__file__).resolve().parents[2] / "model_repository" / "txt2img" / "1"
sys.path.append(str(MODEL_VERSION_DIR))  # where Triton's stub finds the helpers too

from txt2img_backend.imagemodel_adapter import ImageModelPipeline  # noqa: E402
from txt2img_backend.pipelines import Generation, GenerationRequest, PipelineDefaults, generate_all  # noqa: E402
from txt2img_backend.procedural import ProceduralPipeline  # noqa: E402

DEFAULTS = PipelineDefaults(steps=25, guidance=1.5, width=256, height=256)


def request(prompt: str, seed: int, steps: int = 4, guidance: float = 1.5, init_image=None) -> GenerationRequest:
    return GenerationRequest(
        prompt=prompt,
        negative_prompt="",
        seeds=(seed, seed + 1),
        steps=steps,
        guidance=guidance,
        width=64,
        height=64,
        preview_every=1,
        init_image=init_image,
        strength=None if init_image is None else 0.5,
    )


class BatchingModel:
    """Stands in for an imagemodel pipeline that batches: records each call, fails on request."""

    preview_every = 5

    def __init__(self, fail_batches_with: str | None = None) -> None:
        self.batches: list[tuple[list[str], int, float, float | None]] = []
        self.alone: list[str] = []
        self.fail_batches_with = fail_batches_with

    def native_size(self, width: int, height: int) -> tuple[int, int]:
        return 32, 32

    def generate(self, prompt, negative_prompt, seeds, steps, guidance, width, height, on_preview=None):
        self.alone.append(prompt)
        return np.zeros((len(seeds), height, width, 3), np.uint8)

    def generate_batch(self, items, steps, guidance, strength=None):
        self.batches.append(([item.prompt for item in items], steps, guidance, strength))
        if self.fail_batches_with:
            raise RuntimeError(self.fail_batches_with)
        outcomes = []
        for number, item in enumerate(items):
            try:
                item.on_preview(1, steps, np.full((len(item.seeds), 8, 8, 3), number, np.uint8))
                outcomes.append(np.full((len(item.seeds), item.height, item.width, 3), number, np.uint8))
            except Exception as error:
                outcomes.append(error)
        return outcomes


def serve(pipeline, generations: list[Generation]) -> dict[int, object]:
    return dict(generate_all(pipeline, generations))


def test_requests_of_equal_steps_guidance_and_strength_run_as_one_batch() -> None:
    model = BatchingModel()
    seen = []
    generations = [
        Generation(request("a", 1), lambda step, total, render: seen.append(("a", render()[0, 0, 0, 0]))),
        Generation(request("b", 5, guidance=3.0), lambda *_: None),
        Generation(request("c", 9), lambda step, total, render: seen.append(("c", render()[0, 0, 0, 0]))),
        Generation(request("remix", 3, init_image=np.zeros((8, 8, 3), np.uint8)), lambda *_: None),
    ]

    outcomes = serve(ImageModelPipeline(model, DEFAULTS), generations)

    assert model.batches == [(["a", "c"], 4, 1.5, None), (["b"], 4, 3.0, None), (["remix"], 4, 1.5, 0.5)]
    assert model.alone == []  # image-to-image is the same loop: it batches too
    assert sorted(outcomes) == [0, 1, 2, 3]
    assert outcomes[0][0, 0, 0, 0] == 0 and outcomes[2][0, 0, 0, 0] == 1  # each its own rows
    assert seen == [("a", 0), ("c", 1)]  # and its own previews


def test_a_request_whose_previews_raise_fails_alone() -> None:
    def cancelled(step, total, render):
        raise LookupError("cancelled")

    generations = [
        Generation(request("a", 1), lambda *_: None),
        Generation(request("b", 2), cancelled),
        Generation(request("c", 3), lambda *_: None),
    ]

    outcomes = serve(ImageModelPipeline(BatchingModel(), DEFAULTS), generations)

    assert isinstance(outcomes[1], LookupError)
    assert outcomes[0].shape == outcomes[2].shape == (2, 64, 64, 3)


def test_a_broken_batch_reports_its_error_to_every_member() -> None:
    generations = [Generation(request(name, 1), lambda *_: None) for name in "ab"]

    outcomes = serve(ImageModelPipeline(BatchingModel(fail_batches_with="out of memory"), DEFAULTS), generations)

    assert [str(outcomes[index]) for index in (0, 1)] == ["out of memory"] * 2


def test_pipelines_that_cannot_batch_serve_each_request_alone_and_keep_going_after_a_failure() -> None:
    def cancelled(step, total, render):
        raise LookupError("cancelled")

    generations = [
        Generation(request("a red circle", 1), cancelled),
        Generation(request("a blue square", 2), lambda *_: None),
    ]

    outcomes = serve(ProceduralPipeline(), generations)

    assert isinstance(outcomes[0], LookupError)
    assert np.array_equal(
        outcomes[1],
        ProceduralPipeline().generate(request("a blue square", 2), on_preview=lambda *_: None),
    )
