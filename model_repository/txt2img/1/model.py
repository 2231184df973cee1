"""Triton Python-backend entry point of the decoupled txt2img model.

Per request: "progress" responses (small previews) every PREVIEW_EVERY steps, then one "final"
response with the full images and the COMPLETE_FINAL flag; or one error response, after which the
model goes on serving. With INIT_IMAGE (and optionally STRENGTH) the request is image-to-image.
"""

from pathlib import Path

from txt2img_backend.site_paths import make_dependencies_importable

make_dependencies_importable(Path(__file__).resolve().parent)

import json  # noqa: E402  (everything below needs the paths set above)
import os  # noqa: E402

import numpy as np  # noqa: E402
import triton_python_backend_utils as pb_utils  # noqa: E402

from txt2img_backend.images import resize_batch, shrink_to_fit  # noqa: E402
from txt2img_backend.pipelines import PREVIEW_MAX_SIDE, RenderPreview, build_pipeline  # noqa: E402
from txt2img_backend.request import GenerationParams, InvalidRequest, parse_request  # noqa: E402

DEFAULT_PIPELINE = "procedural"


PIPELINE_ENV = "ATELIER_TXT2IMG_PIPELINE"


class GenerationCancelled(Exception):
    """The client cancelled the request; nobody is left to receive the images."""


class TritonPythonModel:
    def initialize(self, args):
        config = json.loads(args["model_config"])
        if not pb_utils.using_decoupled_model_transaction_policy(config):
            raise pb_utils.TritonModelException(
                "txt2img streams progress: set model_transaction_policy { decoupled: true }"
            )
        parameters = {
            key: value.get("string_value", "")
            for key, value in config.get("parameters", {}).items()
        }
        # The environment overrides the config so one model repository serves every deployment
        # (tests pin the fast procedural pipeline; GPU pods choose stable-diffusion).
        name = os.environ.get(PIPELINE_ENV) or parameters.get("pipeline") or DEFAULT_PIPELINE
        self._pipeline = build_pipeline(name, parameters)
        pb_utils.Logger.log_info(f"txt2img: serving with the {name!r} pipeline")

    def execute(self, requests):
        for request in requests:
            self._serve(request)
        return None  # decoupled: every response went through the request's sender

    def finalize(self):
        self._pipeline = None

    def _serve(self, request) -> None:
        sender = request.get_response_sender()
        try:
            params = parse_request(lambda name: _read_input(request, name), self._pipeline.defaults)
            images = self._pipeline.generate(
                params.prompt,
                params.negative_prompt,
                params.seeds,
                params.steps,
                params.guidance,
                params.width,
                params.height,
                on_preview=_preview_streamer(sender, params),
                init_image=params.init_image,
                strength=params.strength,
            )
            native_size = self._pipeline.native_size(params.width, params.height)
            response = _final_response(images, native_size, params)
        except InvalidRequest as exc:
            _finish(sender, _error_response(str(exc), pb_utils.TritonError.INVALID_ARG))
        except GenerationCancelled:
            _finish(sender, None)
        except Exception as exc:  # a broken request must never take the model down
            pb_utils.Logger.log_error(f"txt2img: generation failed: {exc!r}")
            _finish(sender, _error_response(f"generation failed: {exc}", pb_utils.TritonError.INTERNAL))
        else:
            _finish(sender, response)


def _read_input(request, name: str):
    tensor = pb_utils.get_input_tensor_by_name(request, name)
    return None if tensor is None else tensor.as_numpy()


def _preview_streamer(sender, params: GenerationParams):
    def on_step(step: int, total: int, render: RenderPreview) -> None:
        if sender.is_cancelled():
            raise GenerationCancelled()
        every = params.preview_every
        if every and step % every == 0 and step < total:
            previews = shrink_to_fit(render(), PREVIEW_MAX_SIDE)
            sender.send(_response("progress", step, total, previews, params.seeds))

    return on_step


def _final_response(images: np.ndarray, native_size: tuple[int, int], params: GenerationParams):
    images = resize_batch(images, params.width, params.height)
    steps = params.denoising_steps  # what the previews counted: fewer for image-to-image
    return _response("final", steps, steps, images, params.seeds, native_size=native_size)


def _response(kind: str, step: int, total: int, images: np.ndarray, seeds, native_size=None):
    tensors = [
        pb_utils.Tensor("KIND", np.array([kind.encode()], dtype=np.object_)),
        pb_utils.Tensor("STEP", np.array([step], dtype=np.int32)),
        pb_utils.Tensor("TOTAL", np.array([total], dtype=np.int32)),
        pb_utils.Tensor("IMAGES", np.ascontiguousarray(images, dtype=np.uint8)),
        pb_utils.Tensor("SEEDS", np.array(seeds, dtype=np.int64)),
    ]
    if native_size is not None:
        tensors.append(pb_utils.Tensor("NATIVE_SIZE", np.array(native_size, dtype=np.int32)))
    return pb_utils.InferenceResponse(output_tensors=tensors)


def _error_response(message: str, code):
    return pb_utils.InferenceResponse(error=pb_utils.TritonError(message, code))


def _finish(sender, response) -> None:
    flags = pb_utils.TRITONSERVER_RESPONSE_COMPLETE_FINAL
    try:
        if response is None:
            sender.send(flags=flags)
        else:
            sender.send(response, flags=flags)
    except Exception as exc:  # the client may be gone; the request is over either way
        pb_utils.Logger.log_warn(f"txt2img: could not send the last response: {exc!r}")
