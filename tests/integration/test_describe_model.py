"""The describe model served by a real tritonserver: a world image comes back as up to four ranked
prompt suggestions the evaluator agrees with; a bad image gets a per-request error while the model
keeps serving; and the mounted-weights path (a tiny random BLIP built offline, chosen by the
environment as a GPU deployment would mount one) answers through the same model name."""

from __future__ import annotations

import numpy as np
import pytest
from tritonclient.grpc import InferenceServerClient, InferInput
from tritonclient.utils import InferenceServerException

from describer import standin
from describer.describe import ShippedDescriber
from imagemodel import captions, world
from imagemodel.evaluate import measure, score
from tests.support.blip import WORDS

pytestmark = pytest.mark.integration


def describe(url: str, image: np.ndarray) -> list[str]:
    client = InferenceServerClient(url)
    try:
        tensor = InferInput("IMAGE", list(image.shape), "UINT8")
        tensor.set_data_from_numpy(image)
        output = client.infer("describe", [tensor]).as_numpy("SUGGESTIONS")
    finally:
        client.close()
    assert output is not None and output.ndim == 1
    return [value.decode("utf-8") for value in output]


def test_a_world_image_is_described_as_the_evaluator_reads_it_and_bad_images_are_refused(triton_url: str) -> None:
    # A seed neither training (1) nor the model card (1000) drew from; a generated and an upscaled size.
    rng = np.random.default_rng(20261207)
    for side in (512, 1024):
        scene = world.sample_scene(rng, two_object_probability=0.0)

        suggestions = describe(triton_url, world.render(scene, side))

        assert 1 <= len(suggestions) <= 4 and len(set(suggestions)) == len(suggestions), suggestions
        assert score(measure(world.render(scene, 32)), captions.parse(suggestions[0]))["whole"], (scene, suggestions)

    for bad in (np.zeros((4, 32, 3), np.uint8), np.zeros((32, 4097, 3), np.uint8)):
        with pytest.raises(InferenceServerException, match="8 to 4096 px a side"):
            describe(triton_url, bad)
    assert describe(triton_url, np.zeros((16, 16, 3), np.uint8))


def test_a_wide_image_is_read_as_the_describer_reads_it_in_process(triton_url: str) -> None:
    # A 16:9 image goes through Triton's describe whole: its shapes are read in squares of its short side.
    image = standin.answer("a yellow circle on the left on a purple background", 20261207, 512, 288)

    suggestions = describe(triton_url, image)

    assert suggestions == ShippedDescriber().describe(image)
    read = captions.parse(suggestions[0])
    assert [(o.shape, o.colour, o.position) for o in read.objects] == [("circle", "yellow", "left")], suggestions
    assert read.background == "purple"


def test_a_mounted_blip_model_answers_up_to_four_captions(mounted_weights_triton: str) -> None:
    image = world.render(world.sample_scene(np.random.default_rng(7), two_object_probability=0.0), 64)

    suggestions = describe(mounted_weights_triton, image)

    assert 1 <= len(suggestions) <= 4 and len(set(suggestions)) == len(suggestions), suggestions
    # Served by the random BLIP (words of its tiny vocabulary), not the shipped describer.
    assert suggestions != ShippedDescriber().describe(image)
    assert all(set(text.split()) <= set(WORDS) for text in suggestions), suggestions
    with pytest.raises(InferenceServerException, match="8 to 4096 px a side"):
        describe(mounted_weights_triton, np.zeros((4, 32, 3), np.uint8))
