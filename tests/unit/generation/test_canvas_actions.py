"""Magic fill and extend as job kinds, offline: what each takes from the submission (prompt, mask,
direction and size), the refusals in words (a mask of another size or not an image, an extend past
the limit), the canvas each hands the model (the source unchanged at its offset) and the one
txt2img call with INIT_IMAGE and MASK."""

from __future__ import annotations

import asyncio
import io

import numpy as np
import pytest
from PIL import Image

from atelier.generation.v1 import generation_pb2
from services.generation.actions import ACTIONS
from services.generation.actions.canvas import decode_mask
from services.generation.actions.extend import EXTEND
from services.generation.actions.fill import FILL
from services.generation.handlers import _spec_of
from services.generation.inference import ActionJob, Progress, Txt2ImgResult
from services.generation.requests import InvalidRequest

SOURCE_ID = "0b6a3c1e-5d2f-4a8b-9c7e-1f2a3b4c5d6e"


def png(mask: np.ndarray, mode: str = "L") -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(mask).convert(mode).save(buffer, format="PNG")
    return buffer.getvalue()


def square_mask(width=96, height=64) -> np.ndarray:
    mask = np.zeros((height, width), np.uint8)
    mask[8:40, 16:48] = 255
    return mask


def fill_params(**fields) -> generation_pb2.GenerationParams:
    fields = {"prompt": "a green star", "mask_png": png(square_mask()), **fields}
    return generation_pb2.GenerationParams(kind=generation_pb2.JOB_KIND_FILL, source_image_id=SOURCE_ID, **fields)


def test_fill_and_extend_are_registered_job_kinds_with_their_options_in_the_spec() -> None:
    assert ACTIONS["fill"] is FILL and ACTIONS["extend"] is EXTEND
    spec = _spec_of(generation_pb2.SubmitRequest(owner_id="alice", params=fill_params()), ACTIONS)
    assert spec.kind == "fill" and spec.options["prompt"] == "a green star"
    assert np.array_equal(decode_mask(spec.options["mask_png"]), square_mask())
    assert FILL.prompt_of(spec.options) == "a green star"


def test_a_transparent_canvas_mask_counts_its_opaque_white_strokes() -> None:
    rgba = np.zeros((64, 96, 4), np.uint8)
    rgba[8:40, 16:48] = 255  # painted: opaque white; the rest transparent black
    options = FILL.options_of(fill_params(mask_png=png(rgba, "RGBA")))
    assert np.array_equal(decode_mask(options["mask_png"]), square_mask())


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"prompt": "  "}, "prompt: must not be empty"),
        ({"mask_png": b""}, "mask: is missing"),
        ({"mask_png": b"not a png at all"}, "mask: is not an image"),
        ({"mask_png": png(np.zeros((64, 96), np.uint8))}, "mask: is empty"),
    ],
)
def test_fill_refuses_what_cannot_be_filled_in_words(fields, words) -> None:
    with pytest.raises(InvalidRequest, match=words):
        FILL.options_of(fill_params(**fields))


def test_a_mask_of_another_size_than_the_image_is_refused() -> None:
    options = FILL.options_of(fill_params())
    assert FILL.result_size_with(96, 64, options) == (96, 64)
    with pytest.raises(InvalidRequest, match="mask: is 96x64 px; it must be the image's size, 512x512"):
        FILL.result_size_with(512, 512, options)


def extend_options(direction: str, pixels: int = 0) -> dict:
    params = generation_pb2.GenerationParams(extend_direction=direction, extend_pixels=pixels)
    return EXTEND.options_of(params)


@pytest.mark.parametrize(
    ("direction", "pixels", "size"),
    [("right", 0, (768, 512)), ("left", 512, (1024, 512)), ("up", 64, (512, 576)), ("down", 0, (512, 768))],
)
def test_extend_grows_one_side_by_up_to_the_image_side(direction, pixels, size) -> None:
    assert EXTEND.result_size_with(512, 512, extend_options(direction, pixels)) == size


@pytest.mark.parametrize(
    ("direction", "pixels", "source", "words"),
    [
        ("right", 520, (512, 512), "pixels: 520 px is beyond the limit"),
        ("down", 0, (1024, 1024), "the extended image would be 1024x1536 px"),
    ],
)
def test_an_extend_beyond_the_limit_is_refused(direction, pixels, source, words) -> None:
    with pytest.raises(InvalidRequest, match=words):
        EXTEND.result_size_with(*source, extend_options(direction, pixels))


@pytest.mark.parametrize(("direction", "pixels"), [("sideways", 0), ("right", 12), ("right", -8)])
def test_extend_refuses_unknown_directions_and_odd_sizes(direction, pixels) -> None:
    with pytest.raises(InvalidRequest):
        extend_options(direction, pixels)


@pytest.mark.parametrize(
    ("direction", "offset"), [("right", (0, 0)), ("left", (0, 32)), ("down", (0, 0)), ("up", (32, 0))]
)
def test_the_extend_canvas_holds_the_source_unchanged_at_its_offset(direction, offset) -> None:
    source = np.random.default_rng(1).integers(0, 256, (64, 96, 3), dtype=np.uint8)
    canvas, mask = EXTEND.canvas(source, extend_options(direction, 32))
    top, left = offset
    assert np.array_equal(canvas[top : top + 64, left : left + 96], source)
    assert not mask[top : top + 64, left : left + 96].any()
    assert mask.sum() == 255 * 32 * (64 if direction in ("left", "right") else 96)


class RecordingTxt2Img:
    def __init__(self) -> None:
        self.requests = []

    async def generate(self, request, on_progress, headers=None):
        self.requests.append(request)
        await on_progress(Progress(step=5, total=25, previews=[]))
        pixels = np.zeros((request.height, request.width, 3), np.uint8)
        return Txt2ImgResult(images=[pixels], seeds=[request.seed], native_size=(32, 32), steps=25)


def test_a_canvas_job_asks_txt2img_once_with_the_canvas_and_its_mask_and_reports_progress() -> None:
    model, progress = RecordingTxt2Img(), []

    async def on_progress(report: Progress) -> None:
        progress.append(report.step)

    source = np.zeros((64, 96, 3), np.uint8)
    job = ActionJob(
        source=source,
        prompt="a red circle",
        seed=7,
        options=extend_options("left", 32),
        headers={},
        image_models=None,  # type: ignore[arg-type]  # a canvas action calls txt2img only
        txt2img=model,  # type: ignore[arg-type]
        on_progress=on_progress,
    )
    result = asyncio.run(EXTEND.perform(job))

    [request] = model.requests
    assert result.shape == (64, 128, 3) and progress == [5]
    assert (request.prompt, request.seed, request.num_images, request.width, request.height) == (
        "a red circle",
        7,
        1,
        128,
        64,
    )
    assert request.init_image.shape == (64, 128, 3) and request.mask.shape == (64, 128) and request.strength is None
