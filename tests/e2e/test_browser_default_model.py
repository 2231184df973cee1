"""The product's promise, end to end on the model it ships: a person types "a red circle on a blue
background" in the studio and gets four images of a red circle on a blue background.

Unlike the other end-to-end tests (which pin Triton to the exact procedural pipeline), this platform's
Triton serves model_repository/ as shipped, so the worker draws with the trained tiny-diffusion model.
The images the browser shows are fetched as the browser fetched them, shrunk back to the model's
native 32x32 and read by the independent analytic evaluator (imagemodel/evaluate.py)."""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from imagemodel import evaluate
from imagemodel.captions import parse
from tests.e2e.browser import generate_in_studio, new_page, shot, sign_up_here
from tests.e2e.conftest import Platform, running_platform
from tools.devstack import TritonServer, free_port

pytestmark = pytest.mark.e2e

MODEL_REPOSITORY = Path(__file__).resolve().parents[2] / "model_repository"
NATIVE_SIZE = 32


@pytest.fixture(scope="module")
def shipped_model_platform(postgres_url, object_store) -> Iterator[Platform]:
    with tempfile.TemporaryDirectory(prefix="atelier-triton-shipped-") as data_dir:
        triton = TritonServer(MODEL_REPOSITORY, free_port(), free_port(), free_port(), Path(data_dir))
        triton.start()
        try:
            with running_platform(postgres_url, object_store, triton.grpc_url) as platform:
                yield platform
        finally:
            triton.stop()


def test_typing_a_red_circle_on_a_blue_background_gives_four_of_them(shipped_model_platform, browser, tmp_path) -> None:
    prompt = "a red circle on a blue background"
    page = new_page(browser)
    page.goto(shipped_model_platform.url)
    sign_up_here(page, "model")

    finals = generate_in_studio(page, prompt)
    shot(page, tmp_path, "default_model_red_circle")
    assert page.locator("#model-notice").is_hidden()  # every word is one the model draws

    sources = [finals.nth(i).get_attribute("src") for i in range(4)]
    images = [page.request.get(shipped_model_platform.url + src) for src in sources]
    assert all(reply.ok for reply in images)
    pictures = [np.asarray(Image.open(io.BytesIO(reply.body())).convert("RGB")) for reply in images]
    assert len({picture.tobytes() for picture in pictures}) == 4, "four seeds must give four different images"
    spec = parse(prompt)
    for index, picture in enumerate(pictures):
        native = np.asarray(Image.fromarray(picture).resize((NATIVE_SIZE, NATIVE_SIZE), Image.BOX))
        measurement = evaluate.measure(native)
        verdict = evaluate.score(measurement, spec)
        assert verdict["shape"] and verdict["colour"] and verdict["background"], (index, measurement)


def test_a_prompt_the_model_cannot_draw_still_generates_and_says_so(shipped_model_platform, browser, tmp_path) -> None:
    page = new_page(browser)
    page.goto(shipped_model_platform.url)
    sign_up_here(page, "astronaut")

    finals = generate_in_studio(page, "a cat astronaut")
    shot(page, tmp_path, "default_model_out_of_world")

    assert finals.count() == 4
    notice = page.locator("#model-notice")
    assert notice.is_visible()
    text = notice.inner_text()
    assert "“cat”" in text and "“astronaut”" in text, text
    assert "simple shapes" in text and "Stable Diffusion" in text, text
