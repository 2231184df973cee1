"""What the image-taking Triton models share (serving/): their settings and the image check. The
answering of each request on its own is checked through a real Triton (tests/integration/
test_upscale_model.py, test_background_model.py, test_describe_model.py)."""

import json

import numpy as np
import pytest

from serving.images import check_image
from serving.settings import ModelSettings


def settings(parameters: dict[str, str], environ: dict[str, str]) -> ModelSettings:
    config = {"parameters": {key: {"string_value": value} for key, value in parameters.items()}}
    return ModelSettings.of({"model_config": json.dumps(config)}, "upscale", environ)


def test_the_environment_wins_over_the_config_and_the_default_comes_last() -> None:
    chosen = settings({"pipeline": "upscaler", "steps": "20"}, {"ATELIER_UPSCALE_PIPELINE": "stable-diffusion"})
    assert chosen.setting("pipeline") == "stable-diffusion"
    assert chosen.setting("steps", "5") == "20"
    assert chosen.setting("weights_dir", "none") == "none"
    assert settings({"pipeline": ""}, {"ATELIER_UPSCALE_PIPELINE": ""}).setting("pipeline", "upscaler") == "upscaler"


def test_a_config_only_parameter_ignores_the_environment() -> None:
    chosen = settings({"weights_file": "a.safetensors"}, {"ATELIER_UPSCALE_WEIGHTS_FILE": "b.safetensors"})
    assert chosen.parameter("weights_file") == "a.safetensors"


@pytest.mark.parametrize(
    ("image", "words"),
    [
        (np.zeros((16, 16, 3), np.float32), "IMAGE must be UINT8 [height, width, 3], got float32 [16, 16, 3]"),
        (np.zeros((16, 16), np.uint8), "IMAGE must be UINT8 [height, width, 3], got uint8 [16, 16]"),
        (np.zeros((16, 16, 4), np.uint8), "got uint8 [16, 16, 4]"),
        (np.zeros((7, 16, 3), np.uint8), "IMAGE must be 8 to 32 px a side, got 16x7"),
        (np.zeros((16, 33, 3), np.uint8), "IMAGE must be 8 to 32 px a side, got 33x16"),
    ],
)
def test_an_image_the_model_cannot_take_is_refused_in_words(image: np.ndarray, words: str) -> None:
    with pytest.raises(ValueError, match=words.replace("[", r"\[").replace("]", r"\]")):
        check_image(image, 8, 32)
    check_image(np.zeros((8, 32, 3), np.uint8), 8, 32)
