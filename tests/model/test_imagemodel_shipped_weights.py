"""The shipped tiny-diffusion weights run end to end: a batch changes no bit of any caller's image,
and a low-strength remix stays near its init image (seconds each: the fast checks of the same
code with a small random model are beside it, in test_imagemodel_pipelines.py and its siblings)."""

import numpy as np
import pytest
import torch

from imagemodel import pipelines
from imagemodel.pipelines import BatchItem
from tests.support.imaging import mean_abs_difference, two_halves

SHIPPED_WEIGHTS = pipelines.DEFAULT_WEIGHTS / "model.safetensors"


def test_with_the_shipped_weights_a_batch_changes_no_bit_of_an_image() -> None:
    """Below MIN_MATMUL_ROWS rows, CPU BLAS sums the UNet's per-image embeddings in another order: without
    pad_small_matmuls an image's floats (and, now and then, a pixel) depended on the batch around it."""
    shipped = pipelines.load_pipeline("tiny-diffusion")
    red = BatchItem("a red circle on a blue background", "", [3, 4], 256, 256)
    star = BatchItem("a green star in the top left", "yellow", [40], 128, 96)
    single = BatchItem("a white triangle", "", [8], 64, 64)

    batched = shipped.generate_batch([red, star, single], 6, 1.0)
    guided = shipped.generate_batch([red, star], 6, 1.5)

    for item, images in zip([red, star, single], batched):
        alone = shipped.generate(item.prompt, item.negative_prompt, item.seeds, 6, 1.0, item.width, item.height)
        assert np.array_equal(images, alone)
    assert np.array_equal(guided[0], shipped.generate(red.prompt, "", red.seeds, 6, 1.5, 256, 256))
    # The floats themselves, where the difference used to start: the UNet's rows, 2 to 12 at a time.
    (context, mask, slots), _ = shipped._condition(BatchItem("a blue square", "", list(range(12)), 64, 64), False)
    noisy = torch.randn(12, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        whole = shipped.model.denoise(noisy, torch.full((12,), 700), context, mask, slots)
        for rows in (2, 3, 5, 8):
            part = shipped.model.denoise(
                noisy[:rows], torch.full((rows,), 700), context[:rows], mask[:rows], slots[:rows]
            )
            assert torch.equal(part, whole[:rows]), rows


@pytest.mark.skipif(not SHIPPED_WEIGHTS.exists(), reason=f"no shipped weights at {SHIPPED_WEIGHTS} (train them first)")
def test_tiny_diffusion_with_the_shipped_weights_stays_near_the_init_image_at_low_strength() -> None:
    pipeline = pipelines.load_pipeline("tiny-diffusion")
    pipeline.preview_every = 1
    init = two_halves(48, 40)  # any size: resized to the native 32x32
    previews = []

    def remix(strength, seeds):
        return pipeline.generate(
            "a purple star on a white background",
            "",
            seeds,
            30,
            pipelines.DEFAULT_GUIDANCE,
            64,
            64,
            on_preview=lambda step, total, batch: previews.append((step, total, batch.shape)),
            init_image=init,
            strength=strength,
        )

    low = remix(0.1, [5, 6])
    steps_seen = [(step, total) for step, total, _ in previews]
    high = remix(1.0, [5])

    init_shown = pipelines.upscale(np.stack([init]), 64, 64)[0]
    assert low.shape == (2, 64, 64, 3) and low.dtype == np.uint8
    assert steps_seen == [(1, 3), (2, 3)]  # int(30 * 0.1) steps; previews before the last
    assert all(shape == (2, 32, 32, 3) for _, _, shape in previews[:2])
    near, far = mean_abs_difference(low[0], init_shown), mean_abs_difference(high[0], init_shown)
    # Strength is a noise level (0.1 keeps 66% of the signal): an init no prompt draws, two flat halves,
    # is still pulled some way towards the prompt.
    assert near < 40, near
    assert near * 2.5 < far, (near, far)
    assert not np.array_equal(low[0], low[1])  # each seed its own image
