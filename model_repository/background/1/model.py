"""Triton Python-backend entry point of the `background` model: one RGB image in, the same image as
RGBA out, alpha 0 where its background was.

Each request is answered on its own: an image outside the size limits gets an INVALID_ARG error
response and the others in the same call are still served.
"""

import sys
from pathlib import Path

# txt2img's deployment module (standard library only) puts the venv and the repository on sys.path: the
# Python-backend stub runs isolated and sees neither.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "txt2img" / "1"))
from txt2img_backend.deployment import make_dependencies_importable

make_dependencies_importable(Path(__file__).resolve().parent)

import json  # noqa: E402
import os  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import triton_python_backend_utils as pb_utils  # noqa: E402

from segmenter import network  # noqa: E402

# The deployment's environment overrides the config's parameters (as txt2img's does).
PIPELINE_ENV = "ATELIER_BACKGROUND_PIPELINE"
WEIGHTS_DIR_ENV = "ATELIER_BACKGROUND_WEIGHTS_DIR"

MIN_SIDE = 8
MAX_SIDE = 2048


def check_image(image: np.ndarray) -> None:
    """Raises ValueError, with words for the caller, when the image cannot be cut out."""
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"IMAGE must be UINT8 [height, width, 3], got {image.dtype} {list(image.shape)}")
    height, width = image.shape[:2]
    if not (MIN_SIDE <= height <= MAX_SIDE and MIN_SIDE <= width <= MAX_SIDE):
        raise ValueError(f"IMAGE must be {MIN_SIDE} to {MAX_SIDE} px a side, got {width}x{height}")


class TritonPythonModel:
    def initialize(self, args):
        config = json.loads(args["model_config"])
        parameters = {key: value.get("string_value", "") for key, value in config.get("parameters", {}).items()}
        pipeline = os.environ.get(PIPELINE_ENV) or parameters.get("pipeline") or "segmenter"
        if pipeline == "torchscript":
            from segmenter.mounted import TorchScriptSegmenter

            weights_dir = os.environ.get(WEIGHTS_DIR_ENV) or parameters.get("weights_dir") or ""
            mounted = TorchScriptSegmenter(Path(weights_dir))
            self._remove = mounted.remove_background
            pb_utils.Logger.log_info(f"background: serving a TorchScript network from {weights_dir}")
            return
        if pipeline != "segmenter":
            raise ValueError(f"background: unknown pipeline {pipeline!r}; segmenter or torchscript")
        weights = Path(parameters.get("weights_file") or network.WEIGHTS_FILE)
        # One thread per instance: Triton runs instances side by side and the network is small.
        torch.set_num_threads(1)
        model = network.load(weights)
        self._remove = lambda image: network.remove_background(model, image)
        pb_utils.Logger.log_info(f"background: serving the segmenter with {weights}")

    def execute(self, requests):
        responses = []
        for request in requests:
            try:
                image = pb_utils.get_input_tensor_by_name(request, "IMAGE").as_numpy()
                check_image(image)
                cut_out = self._remove(image)
            except ValueError as error:
                responses.append(
                    pb_utils.InferenceResponse(error=pb_utils.TritonError(str(error), pb_utils.TritonError.INVALID_ARG))
                )
                continue
            responses.append(pb_utils.InferenceResponse(output_tensors=[pb_utils.Tensor("IMAGE", cut_out)]))
        return responses
