"""Inpainting (magic fill, extend) over the imagemodel pipelines: the masked region follows the
prompt as the evaluator reads it, every pixel outside the mask is the init image's, the known pixels
steer what is drawn (the background carries on), one loop with text-to-image, bad masks refused.
A handful of images at few steps: the figures over many are bench/bench_canvas.py's."""

import numpy as np
import pytest

from imagemodel import evaluate, pipelines
from imagemodel.pipelines import BatchItem
from tests.support.stable_diffusion import random_stable_diffusion

STEPS = 12
SOURCE = evaluate.remix_source("circle", "red", "white", "centre", size=256)


def centre_mask(size: int = 256) -> np.ndarray:
    mask = np.zeros((size, size), dtype=np.uint8)
    mask[size // 8 : -size // 8, size // 8 : -size // 8] = 255
    return mask


@pytest.fixture(scope="module")
def tiny() -> pipelines.TinyDiffusionPipeline:
    pipeline = pipelines.load_pipeline("tiny-diffusion")
    assert isinstance(pipeline, pipelines.TinyDiffusionPipeline)
    return pipeline


def test_fill_draws_the_prompt_in_the_mask_keeps_the_rest_and_carries_the_background_on(tiny) -> None:
    mask = centre_mask()
    inside = (slice(32, -32), slice(32, -32))
    previews = []
    # No background named: the known pixels (white around the region) decide it.
    filled = tiny.generate(
        "a green star",
        "",
        [3, 4],
        STEPS,
        pipelines.DEFAULT_GUIDANCE,
        256,
        256,
        on_preview=lambda step, total, batch: previews.append(batch),
        init_image=SOURCE,
        mask=mask,
    )

    assert filled.shape == (2, 256, 256, 3)
    assert np.array_equal(filled[:, mask == 0], np.broadcast_to(SOURCE[mask == 0], filled[:, mask == 0].shape))
    readings = [evaluate.measure(evaluate.at_evaluation_scale(image[inside])) for image in filled]
    assert [(m.shape, m.colour, m.background) for m in readings] == [("star", "green", "white")] * 2
    assert previews, "a fill sends previews while it iterates"


def test_extend_keeps_the_original_at_its_offset_and_draws_the_new_strip(tiny) -> None:
    canvas = np.pad(SOURCE, ((0, 0), (128, 0), (0, 0)), mode="edge")
    mask = np.zeros(canvas.shape[:2], dtype=np.uint8)
    mask[:, :128] = 255
    [extended] = tiny.generate(
        "a red circle on a white background", "", [5], STEPS, 1.25, 384, 256, init_image=canvas, mask=mask
    )

    assert extended.shape == (256, 384, 3)
    assert np.array_equal(extended[:, 128:], SOURCE)
    # The new strip continues the scene's white background (its mean far nearer white than black).
    assert extended[:, :96].mean() > 200


def test_a_fill_batched_with_a_text_to_image_item_is_what_each_gives_alone(tiny) -> None:
    mask = centre_mask()
    items = [
        BatchItem("a blue square", "", [7], 256, 256, init_image=SOURCE, mask=mask),
        BatchItem("a yellow triangle on a black background", "", [8], 256, 256),
    ]
    together = tiny.generate_batch(items, 4, 1.25)
    alone = [tiny.generate_batch([item], 4, 1.25)[0] for item in items]

    for pair in zip(together, alone, strict=True):
        assert all(isinstance(images, np.ndarray) for images in pair)
        assert np.array_equal(*pair)


def test_procedural_fill_composites_the_scene_into_the_mask() -> None:
    mask = centre_mask()
    [filled] = pipelines.load_pipeline("procedural").generate(
        "a blue square on a yellow background", "", [1], 4, 1.0, 256, 256, init_image=SOURCE, mask=mask
    )
    assert np.array_equal(filled[mask == 0], SOURCE[mask == 0])
    assert not np.array_equal(filled[mask > 0], SOURCE[mask > 0])


@pytest.mark.parametrize(
    ("init", "mask", "strength"),
    [
        (SOURCE, np.zeros((256, 256), np.uint8), None),  # nothing to draw
        (SOURCE, centre_mask(128), None),  # another size
        (SOURCE, centre_mask()[..., None], None),  # not (h, w)
        (None, centre_mask(), None),  # no picture to draw into
        (SOURCE, centre_mask(), 0.5),  # inpainting runs the whole schedule
    ],
)
def test_bad_masks_raise_value_errors(init, mask, strength) -> None:
    with pytest.raises(ValueError):
        pipelines.load_pipeline("procedural").generate(
            "a red star", "", [1], 4, 1.0, 256, 256, init_image=init, mask=mask, strength=strength
        )


def test_a_mounted_stable_diffusion_directory_fills_with_diffusers_inpainting_on_the_same_components(
    tmp_path,
) -> None:
    random_stable_diffusion().save_pretrained(tmp_path / "pipeline")  # random weights, built offline
    adapter = pipelines.load_pipeline("stable-diffusion", tmp_path / "pipeline", device="cpu")
    assert isinstance(adapter, pipelines.StableDiffusionPipelineAdapter)
    init = evaluate.remix_source("circle", "red", "white", "centre", size=32)
    mask = np.zeros((32, 32), np.uint8)
    mask[8:24, 8:24] = 255

    [filled] = adapter.generate("a red star", "", [1], 4, 3.0, 32, 32, init_image=init, mask=mask)

    assert filled.shape == (32, 32, 3)
    assert np.array_equal(filled[mask == 0], init[mask == 0])
    assert adapter._inpaint_pipeline().unet is adapter.pipeline.unet
