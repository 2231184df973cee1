"""Remix through a real tritonserver serving the shipped tiny-diffusion model: at the strengths the UI
offers from 0.6 up, the remix draws the new prompt (read back by the analytic evaluator), whatever the
source; at low strength the source still shows. Sources and prompts differ in shape, colour,
background and position, so no single tuned example carries the figure.

A sample: every source x prompt pair, one seed each (16 remixes a strength). The model card's figures
(64 a strength) come from `python -m imagemodel.evaluate --remix 0.3,0.6,0.8,1 --steps 20`; on this
sample the evaluator reads 15/16 remixes as their new prompt at 0.6 and at 0.9, and 12/16 low-strength
remixes stay near their source (the test's computation run in-process on the pipeline Triton serves,
same seeds, 512 px and back to 32): the thresholds leave two images of margin."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from PIL import Image

from imagemodel.captions import parse
from imagemodel.evaluate import (
    ASPECT_SIZES,
    REMIX_PROMPTS,
    REMIX_SOURCES,
    ROUND,
    at_evaluation_scale,
    measure,
    remix_seed,
    remix_source,
    score,
)
from services.generation.inference import TritonTxt2Img, Txt2ImgRequest
from tests.support.tiny_diffusion_triton import tiny_diffusion_triton as running_tiny_diffusion
from tools.devstack import TritonServer

pytestmark = pytest.mark.integration

SEEDS_PER_PAIR = 1
STEPS = 20  # the generation service's default


@pytest.fixture(scope="module")
def tiny_diffusion_triton(tmp_path_factory) -> Iterator[TritonServer]:
    with running_tiny_diffusion(tmp_path_factory.mktemp("triton-remix"), dynamic_batching=False) as server:
        yield server


async def draw(
    model: TritonTxt2Img, prompt: str, seed: int, strength: float | None, init=None, count: int = SEEDS_PER_PAIR
) -> list[np.ndarray]:
    request = Txt2ImgRequest(
        prompt=prompt,
        seed=seed,
        num_images=count,
        steps=STEPS,
        width=512,  # the service's 1:1 size
        height=512,
        preview_every=0,
        init_image=init,
        strength=strength,
    )

    async def ignore(_) -> None:
        return None

    images = (await model.generate(request, ignore)).images
    return [native(image) for image in images]


def native(image: np.ndarray) -> np.ndarray:
    """The served 512x512 image back at the model's 32x32, where the evaluator reads it."""
    return np.asarray(Image.fromarray(image).resize((32, 32), Image.Resampling.BOX))


@pytest.mark.timeout(900)  # 16 images through Triton: minutes when other work shares the 2 cores
@pytest.mark.parametrize("strength", [0.6, 0.9])
async def test_a_remix_at_the_ui_strengths_from_0_6_draws_the_new_prompt(tiny_diffusion_triton, strength) -> None:
    followed = []
    async with TritonTxt2Img(tiny_diffusion_triton.grpc_url) as model:
        for s, source in enumerate(REMIX_SOURCES):
            for p, prompt in enumerate(REMIX_PROMPTS):
                images = await draw(model, prompt, remix_seed(s, p), strength, remix_source(*source))
                followed += [score(measure(image), parse(prompt))["whole"] for image in images]
    assert len(followed) == len(REMIX_SOURCES) * len(REMIX_PROMPTS) * SEEDS_PER_PAIR
    assert np.mean(followed) >= 0.8, f"{np.mean(followed):.0%} of remixes at strength {strength} follow the prompt"


@pytest.mark.timeout(900)
async def test_a_remix_at_low_strength_keeps_the_sources_composition(tiny_diffusion_triton) -> None:
    nearer = []
    async with TritonTxt2Img(tiny_diffusion_triton.grpc_url) as model:
        for s, source in enumerate(REMIX_SOURCES):
            init = remix_source(*source)
            shown = native(init)
            for p, prompt in enumerate(REMIX_PROMPTS):
                seed = remix_seed(s, p)
                remixes = await draw(model, prompt, seed, 0.3, init)
                fresh = await draw(model, prompt, seed, None)
                for remix, plain in zip(remixes, fresh, strict=True):
                    near = np.abs(remix.astype(float) - shown).mean()
                    far = np.abs(plain.astype(float) - shown).mean()
                    nearer.append(near < 0.6 * far)
    # The evaluator measures 72% over 4 seeds (MODEL_CARD.md), 12/16 on this sample; at 0.6 and above, 0%.
    assert np.mean(nearer) >= 0.6, f"only {np.mean(nearer):.0%} of low-strength remixes stay near their source"


@pytest.mark.timeout(600)
async def test_a_16_9_request_is_sampled_wide_and_its_circles_stay_round(tiny_diffusion_triton) -> None:
    width, height = ASPECT_SIZES["16:9"]
    request = Txt2ImgRequest(
        prompt="a large red circle on a blue background",
        seed=1,
        num_images=4,
        steps=STEPS,
        width=width,
        height=height,
        preview_every=0,
    )

    async def ignore(_) -> None:
        return None

    async with TritonTxt2Img(tiny_diffusion_triton.grpc_url) as model:
        result = await model.generate(request, ignore)
    assert tuple(result.native_size) == (56, 32)
    assert all(image.shape == (height, width, 3) for image in result.images)
    readings = [measure(at_evaluation_scale(image)) for image in result.images]
    round_circles = [r for r in readings if r.shape == "circle" and ROUND[0] <= r.aspect <= ROUND[1]]
    assert len(round_circles) >= 3, readings
