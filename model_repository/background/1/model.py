"""Triton Python-backend entry point of the `background` model: one RGB image in, the same image as
RGBA out, alpha 0 where its background was.

Settings, the image check and per-request errors: serving/ (shared with upscale and describe).
"""

import sys
from pathlib import Path

# txt2img's deployment module (standard library only) puts the venv and the repository on sys.path: the
# Python-backend stub runs isolated and sees neither.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "txt2img" / "1"))
from txt2img_backend.deployment import make_dependencies_importable

make_dependencies_importable(Path(__file__).resolve().parent)

import triton_python_backend_utils as pb_utils  # noqa: E402

from segmenter import network  # noqa: E402
from serving.image_model import Answer, ImageModel, one_torch_thread  # noqa: E402
from serving.settings import ModelSettings  # noqa: E402


class TritonPythonModel(ImageModel):
    NAME = "background"
    PIPELINES = ("segmenter", "torchscript")
    OUTPUT = "IMAGE"
    MAX_SIDE = 2048

    def load(self, pipeline: str, settings: ModelSettings) -> Answer:
        if pipeline == "torchscript":
            from segmenter.mounted import TorchScriptSegmenter

            weights_dir = settings.setting("weights_dir")
            mounted = TorchScriptSegmenter(Path(weights_dir))
            pb_utils.Logger.log_info(f"background: serving a TorchScript network from {weights_dir}")
            return mounted.remove_background
        weights = Path(settings.parameter("weights_file") or network.WEIGHTS_FILE)
        one_torch_thread()
        model = network.load(weights)
        pb_utils.Logger.log_info(f"background: serving the segmenter with {weights}")
        return lambda image: network.remove_background(model, image)
