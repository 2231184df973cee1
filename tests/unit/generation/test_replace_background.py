"""Replace background as a job kind, offline: registered and on the wire, the `edit` entitlement,
a prompt required, the canvas limits, and its two model calls: the `background` model's cut-out
decides the mask (everything not wholly opaque), then one masked txt2img call on the source."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from atelier.generation.v1 import generation_pb2
from services.generation.actions import ACTIONS
from services.generation.actions.replace_background import REPLACE_BACKGROUND
from services.generation.handlers import _spec_of
from services.generation.inference import ActionJob, InferenceRejected, Progress, Txt2ImgResult
from services.generation.requests import InvalidRequest, kind_from_proto, kind_to_proto

SOURCE_ID = "0b6a3c1e-5d2f-4a8b-9c7e-1f2a3b4c5d6e"


def params(prompt: str = "a beach at sunset") -> generation_pb2.GenerationParams:
    return generation_pb2.GenerationParams(
        kind=generation_pb2.JOB_KIND_REPLACE_BACKGROUND, source_image_id=SOURCE_ID, prompt=prompt
    )


def test_replace_background_is_a_registered_edit_kind_on_the_wire_with_its_prompt_in_the_spec() -> None:
    assert ACTIONS["replace_background"] is REPLACE_BACKGROUND
    assert kind_to_proto("replace_background") == generation_pb2.JOB_KIND_REPLACE_BACKGROUND == 5
    assert kind_from_proto(5) == "replace_background"
    assert REPLACE_BACKGROUND.entitlement == "edit"
    spec = _spec_of(generation_pb2.SubmitRequest(owner_id="alice", params=params("  a beach  ")), ACTIONS)
    assert spec.kind == "replace_background" and spec.options == {"prompt": "a beach"}
    assert REPLACE_BACKGROUND.prompt_of(spec.options) == "a beach"


def test_replace_background_needs_a_prompt_and_a_canvas_sized_image() -> None:
    with pytest.raises(InvalidRequest, match="prompt: must not be empty"):
        REPLACE_BACKGROUND.options_of(params("   "))
    assert REPLACE_BACKGROUND.result_size_with(512, 288, {"prompt": "x"}) == (512, 288)
    with pytest.raises(InvalidRequest, match="the image would be 2048x512 px; the canvas takes 64 to 1024"):
        REPLACE_BACKGROUND.result_size_with(2048, 512, {"prompt": "x"})


class CutOut:
    """The `background` model: opaque in a square, a soft (half) edge around it, transparent elsewhere;
    or opaque everywhere."""

    def __init__(self, opaque: bool = False) -> None:
        self.opaque = opaque

    async def infer(self, model_name, image, headers=None):
        assert model_name == "background"
        alpha = np.full(image.shape[:2], 255 if self.opaque else 0, np.uint8)
        if not self.opaque:
            alpha[15:45, 15:45] = 128
            alpha[16:44, 16:44] = 255
        return np.dstack([image, alpha])


class RecordingTxt2Img:
    def __init__(self) -> None:
        self.requests: list = []

    async def generate(self, request, on_progress, headers=None):
        self.requests.append(request)
        await on_progress(Progress(step=5, total=25, previews=[]))
        drawn = np.where(request.mask[..., None] > 0, 200, request.init_image).astype(np.uint8)
        return Txt2ImgResult(images=[drawn], seeds=[request.seed], native_size=(96, 64), steps=25)


def job(source: np.ndarray, cut_out: CutOut, txt2img: RecordingTxt2Img) -> ActionJob:
    async def on_progress(report: Progress) -> None:
        pass

    return ActionJob(
        source=source,
        prompt="a beach",
        seed=7,
        options={"prompt": "a beach"},
        headers={},
        image_models=cut_out,  # type: ignore[arg-type]
        txt2img=txt2img,  # type: ignore[arg-type]
        on_progress=on_progress,
    )


def test_the_object_is_kept_and_everything_not_wholly_opaque_is_drawn_to_the_prompt() -> None:
    source = np.random.default_rng(3).integers(0, 200, (64, 96, 3), dtype=np.uint8)
    model = RecordingTxt2Img()

    result = asyncio.run(REPLACE_BACKGROUND.perform(job(source, CutOut(), model)))

    [request] = model.requests
    object_only = np.zeros((64, 96), bool)
    object_only[16:44, 16:44] = True
    assert np.array_equal(request.init_image, source) and request.strength is None
    assert np.array_equal(request.mask > 0, ~object_only)  # the soft edge is redrawn too
    assert (request.prompt, request.seed, request.num_images, request.width, request.height) == (
        "a beach",
        7,
        1,
        96,
        64,
    )
    assert np.array_equal(result[object_only], source[object_only])


def test_an_image_that_is_all_object_fails_in_words_instead_of_drawing_nothing() -> None:
    model = RecordingTxt2Img()
    with pytest.raises(InferenceRejected, match="no background to replace"):
        asyncio.run(REPLACE_BACKGROUND.perform(job(np.zeros((64, 96, 3), np.uint8), CutOut(opaque=True), model)))
    assert not model.requests
