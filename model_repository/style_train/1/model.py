"""Triton Python-backend entry point of the decoupled `style_train` model (config.pbtxt says the
contract): per request, "progress" responses while a style of the default model trains, then one
"weights" response with the style's safetensors bytes; or one error response, after which the model
goes on serving. Requests train one after another (training uses the model's threads in full)."""

import sys
from pathlib import Path

# txt2img's deployment module (standard library only) puts the venv and the repository on sys.path: the
# Python-backend stub runs isolated and sees neither.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "txt2img" / "1"))
from txt2img_backend.deployment import make_dependencies_importable, settle

make_dependencies_importable(Path(__file__).resolve().parent)

import json  # noqa: E402
import os  # noqa: E402

import numpy as np  # noqa: E402
import triton_python_backend_utils as pb_utils  # noqa: E402
from txt2img_backend.decoupled import finish  # noqa: E402


class TrainingCancelled(Exception):
    """The client cancelled the request; nobody is left to receive the style."""


class TritonPythonModel:
    def initialize(self, args):
        config = json.loads(args["model_config"])
        if not pb_utils.using_decoupled_model_transaction_policy(config):
            raise pb_utils.TritonModelException("style_train streams progress: set model_transaction_policy decoupled")
        parameters = {key: value.get("string_value", "") for key, value in config.get("parameters", {}).items()}
        self._deployment = settle(parameters, os.environ, args)
        self._threads = int(parameters.get("threads") or 1)
        self._pipeline = None
        self._read_caption = None

    def execute(self, requests):
        for request in requests:
            sender = request.get_response_sender()
            try:
                response = self._train(request, sender)
            except TrainingCancelled:
                response = None
            except Exception as exc:
                response = _failure_response(exc)
            finish(sender, response, "style_train")
        return None

    def _train(self, request, sender):
        from imagemodel.style_train import StyleTrainingError, train_style_bytes

        if self._deployment.pipeline == "stable-diffusion":
            raise StyleTrainingError("custom styles of a mounted Stable Diffusion model are not supported yet")
        images = _strings(request, "IMAGES")
        if not images:
            raise StyleTrainingError("IMAGES is empty: send 1 or more encoded images")
        captions = [text.decode("utf-8", "replace") for text in _strings(request, "CAPTIONS")]
        if captions and len(captions) != len(images):
            raise StyleTrainingError(f"CAPTIONS must hold one caption per image: {len(captions)} for {len(images)}")
        steps = _scalar(request, "STEPS")
        seed = _scalar(request, "SEED")
        pipeline, read_caption = self._loaded()

        def on_progress(step: int, total: int, loss: float) -> None:
            if sender.is_cancelled():
                raise TrainingCancelled()
            if step < total:
                sender.send(_response("progress", step, total, loss))

        from imagemodel.style_train import DEFAULT_STEPS

        total = DEFAULT_STEPS if steps is None else int(steps)
        weights = train_style_bytes(
            pipeline,
            images,
            captions or None,
            steps=total,
            seed=0 if seed is None else int(seed),
            read_caption=read_caption,
            on_progress=on_progress,
            threads=self._threads,
        )
        return _response("weights", total, total, 0.0, weights)

    def _loaded(self):
        """The default model and the describer, loaded at the first request."""
        if self._pipeline is None:
            from imagemodel.pipelines import load_pipeline
            from imagemodel.style_train import describer_captions

            weights_dir = (
                self._deployment.parameters.get("weights_dir")
                if self._deployment.pipeline == "tiny-diffusion"
                else None
            )
            self._pipeline = load_pipeline("tiny-diffusion", weights_dir or None)
            self._read_caption = describer_captions()
            pb_utils.Logger.log_info(
                f"style_train: training styles of tiny-diffusion ({weights_dir or 'shipped weights'})"
            )
        return self._pipeline, self._read_caption

    def finalize(self):
        self._pipeline = None


def _strings(request, name: str) -> list[bytes]:
    tensor = pb_utils.get_input_tensor_by_name(request, name)
    if tensor is None:
        return []
    return [bytes(value) if not isinstance(value, str) else value.encode() for value in tensor.as_numpy().reshape(-1)]


def _scalar(request, name: str):
    tensor = pb_utils.get_input_tensor_by_name(request, name)
    if tensor is None:
        return None
    array = tensor.as_numpy().reshape(-1)
    if array.size != 1:
        raise ValueError(f"{name} must hold exactly one value, got {array.size}")
    return array[0]


def _response(kind: str, step: int, total: int, loss: float, weights: bytes = b""):
    outputs = {
        "KIND": np.array([kind.encode()], dtype=np.object_),
        "STEP": np.array([step], dtype=np.int32),
        "TOTAL": np.array([total], dtype=np.int32),
        "LOSS": np.array([loss], dtype=np.float32),
        "WEIGHTS": np.array([weights], dtype=np.object_),
    }
    return pb_utils.InferenceResponse(output_tensors=[pb_utils.Tensor(name, value) for name, value in outputs.items()])


def _failure_response(exc: Exception):
    """Bad input is the caller's to fix (ValueError, StyleTrainingError among them); the rest is ours."""
    if isinstance(exc, ValueError):
        return pb_utils.InferenceResponse(error=pb_utils.TritonError(str(exc), pb_utils.TritonError.INVALID_ARG))
    pb_utils.Logger.log_error(f"style_train: training failed: {exc!r}")
    return pb_utils.InferenceResponse(
        error=pb_utils.TritonError(f"style training failed: {exc}", pb_utils.TritonError.INTERNAL)
    )
