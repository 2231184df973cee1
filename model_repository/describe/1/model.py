"""Triton Python-backend entry point of the `describe` model: one image in, up to four prompt
suggestions out, best first.

Settings, the image check and per-request errors: serving/ (shared with upscale and background).
"""

import sys
from pathlib import Path

# txt2img's deployment module (standard library only) puts the venv and the repository on sys.path: the
# Python-backend stub runs isolated and sees neither.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "txt2img" / "1"))
from txt2img_backend.deployment import make_dependencies_importable

make_dependencies_importable(Path(__file__).resolve().parent)

import numpy as np  # noqa: E402
import triton_python_backend_utils as pb_utils  # noqa: E402

from describer import network  # noqa: E402
from describer.describe import ShippedDescriber  # noqa: E402
from serving.image_model import Answer, ImageModel, one_torch_thread  # noqa: E402
from serving.settings import ModelSettings  # noqa: E402


class TritonPythonModel(ImageModel):
    NAME = "describe"
    PIPELINES = ("describer", "blip")
    OUTPUT = "SUGGESTIONS"
    MAX_SIDE = 4096

    def load(self, pipeline: str, settings: ModelSettings) -> Answer:
        if pipeline == "blip":
            from describer.mounted import BlipDescriber

            weights_dir = settings.setting("weights_dir")
            describer = BlipDescriber(Path(weights_dir))
            pb_utils.Logger.log_info(f"describe: captioning with BLIP from {weights_dir}")
        else:
            weights = Path(settings.parameter("weights_file") or network.WEIGHTS_FILE)
            one_torch_thread()
            describer = ShippedDescriber(weights)
            pb_utils.Logger.log_info(f"describe: suggesting prompts with {weights}")
        return lambda image: np.array([text.encode("utf-8") for text in describer.describe(image)], dtype=np.object_)
