"""Triton Python-backend entry point of the `upscale` model: one image in, the same image at 2x out.

Settings, the image check and per-request errors: serving/ (shared with background and describe).
"""

import sys
from pathlib import Path

# txt2img's deployment module (standard library only) puts the venv and the repository on sys.path: the
# Python-backend stub runs isolated and sees neither.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "txt2img" / "1"))
from txt2img_backend.deployment import make_dependencies_importable

make_dependencies_importable(Path(__file__).resolve().parent)

import triton_python_backend_utils as pb_utils  # noqa: E402

from serving.image_model import Answer, ImageModel, one_torch_thread  # noqa: E402
from serving.settings import ModelSettings  # noqa: E402
from upscaler import network  # noqa: E402


class TritonPythonModel(ImageModel):
    NAME = "upscale"
    PIPELINES = ("upscaler", "stable-diffusion")
    OUTPUT = "IMAGE"
    MAX_SIDE = 1024  # the output is at most 2048 px a side

    def load(self, pipeline: str, settings: ModelSettings) -> Answer:
        if pipeline == "stable-diffusion":
            from upscaler.mounted import StableDiffusionUpscaler

            weights_dir = settings.setting("weights_dir")
            mounted = StableDiffusionUpscaler(Path(weights_dir), steps=int(settings.setting("steps", "20")))
            pb_utils.Logger.log_info(f"upscale: serving 2x with Stable Diffusion's upscaler from {weights_dir}")
            return mounted.upscale
        weights = Path(settings.parameter("weights_file") or network.WEIGHTS_FILE)
        one_torch_thread()
        model = network.load(weights)
        pb_utils.Logger.log_info(f"upscale: serving 2x with {weights}")
        return lambda image: network.upscale(model, image)
