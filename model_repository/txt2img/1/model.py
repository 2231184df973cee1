"""Triton Python-backend entry point of the decoupled txt2img model.

Per request: "progress" responses (small previews) every PREVIEW_EVERY steps, then one "final"
response with the full images and the COMPLETE_FINAL flag; or one error response, after which the
model goes on serving. With INIT_IMAGE (and optionally STRENGTH) the request is image-to-image.

With dynamic batching on (config.pbtxt: max_batch_size > 0 and dynamic_batching), Triton hands
execute() the requests that queued up meanwhile, and the pipeline may run them as one batch
(`pipelines.generate_all`); each still gets its own previews, final images or error, and is
cancelled on its own. Every tensor then carries Triton's leading batch dimension, always 1 here:
one request is one generation, however many images it asks for.
"""

from pathlib import Path

from txt2img_backend.deployment import make_dependencies_importable, settle

make_dependencies_importable(Path(__file__).resolve().parent)

import functools  # noqa: E402  (everything below needs the paths set above)
import json  # noqa: E402
import os  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import triton_python_backend_utils as pb_utils  # noqa: E402
from txt2img_backend.decoupled import finish  # noqa: E402
from txt2img_backend.pipelines import (  # noqa: E402
    PREVIEW_MAX_SIDE,
    Generation,
    GenerationRequest,
    InvalidRequest,
    Pipeline,
    RenderPreview,
    generate_all,
    parse_request,
    resize_batch,
    shrink_to_fit,
)

PIPELINES = ("procedural", "tiny-diffusion", "stable-diffusion")
# Seconds each batch waits, without any response, before it runs: stands in for a request queued
# behind others on a busy GPU (tests of the worker's heartbeats, drain and outages). 0: none.
HOLD_ENV = "ATELIER_TXT2IMG_HOLD_S"


def build_pipeline(name: str, parameters: dict[str, str]) -> Pipeline:
    """parameters: the model config's string parameters, for pipeline-specific settings. Imports the
    chosen pipeline only, so `procedural` never pays for importing torch."""
    if name == "procedural":
        from txt2img_backend.procedural import ProceduralPipeline

        return ProceduralPipeline()
    if name in PIPELINES:
        from txt2img_backend import imagemodel_adapter

        return imagemodel_adapter.load(name, parameters)
    raise ValueError(f"unknown pipeline {name!r}; known pipelines: {', '.join(sorted(PIPELINES))}")


class GenerationCancelled(Exception):
    """The client cancelled the request; nobody is left to receive the images."""


class TritonPythonModel:
    def initialize(self, args):
        config = json.loads(args["model_config"])
        if not pb_utils.using_decoupled_model_transaction_policy(config):
            raise pb_utils.TritonModelException(
                "txt2img streams progress: set model_transaction_policy { decoupled: true }"
            )
        parameters = {key: value.get("string_value", "") for key, value in config.get("parameters", {}).items()}
        # The environment overrides the config so one model repository serves every deployment
        # (tests pin the fast procedural pipeline; the gpu overlay chooses stable-diffusion and its weights).
        deployment = settle(parameters, os.environ, args)
        name = deployment.pipeline
        self._pipeline = build_pipeline(name, deployment.parameters)
        self._hold_s = float(os.environ.get(HOLD_ENV) or 0)
        # A batching config gives every input and output a leading batch dimension.
        self._batched = int(config.get("max_batch_size", 0)) > 0
        batching = "on" if self._batched and "dynamic_batching" in config else "off"
        pb_utils.Logger.log_info(
            f"txt2img: serving with the {name!r} pipeline on {deployment.device or 'the device it picks'}, "
            f"dynamic batching {batching}"
        )

    def execute(self, requests):
        if self._hold_s:
            time.sleep(self._hold_s)
        senders, generations = [], []
        for request in requests:
            sender = request.get_response_sender()
            try:
                parsed = parse_request(functools.partial(self._read_input, request), self._pipeline.defaults)
                if parsed.style_weights is not None and not getattr(self._pipeline, "takes_styles", False):
                    raise InvalidRequest("this deployment's pipeline draws no custom styles (tiny-diffusion does)")
            except Exception as exc:
                finish(sender, _failure_response(exc), "txt2img")
                continue
            senders.append(sender)
            generations.append(Generation(parsed, _preview_streamer(sender, parsed, self._batched)))
        for index, outcome in generate_all(self._pipeline, generations):
            self._answer(senders[index], generations[index].request, outcome)
        return None  # decoupled: every response went through the request's sender

    def finalize(self):
        del self._pipeline  # frees the model's memory at unload

    def _read_input(self, request, name: str):
        tensor = pb_utils.get_input_tensor_by_name(request, name)
        if tensor is None:
            return None
        array = tensor.as_numpy()
        if not self._batched:
            return array
        if array.shape[0] != 1:
            raise InvalidRequest(f"{name}: one generation per request (batch size 1), got a batch of {array.shape[0]}")
        return array[0]

    def _answer(self, sender, request: GenerationRequest, outcome) -> None:
        if isinstance(outcome, GenerationCancelled):
            finish(sender, None, "txt2img")
        elif isinstance(outcome, Exception):
            finish(sender, _failure_response(outcome), "txt2img")
        else:
            try:
                native_size = self._pipeline.native_size(request.width, request.height)
                unknown = _unknown_words(self._pipeline, request.prompt)
                response = _final_response(outcome, native_size, unknown, request, self._batched)
            except Exception as exc:
                response = _failure_response(exc)
            finish(sender, response, "txt2img")


def _preview_streamer(sender, request: GenerationRequest, batched: bool):
    def on_step(step: int, total: int, render: RenderPreview) -> None:
        if sender.is_cancelled():
            raise GenerationCancelled()
        every = request.preview_every
        if every and step % every == 0 and step < total:
            previews = shrink_to_fit(render(), PREVIEW_MAX_SIDE)
            sender.send(_response("progress", step, total, previews, request.seeds, batched=batched))

    return on_step


def _unknown_words(pipeline: Pipeline, prompt: str) -> tuple[str, ...]:
    """What the pipeline says it cannot draw; a pipeline that does not say reads any text."""
    unknown_words = getattr(pipeline, "unknown_words", None)
    return tuple(unknown_words(prompt)) if unknown_words is not None else ()


def _final_response(
    images: np.ndarray,
    native_size: tuple[int, int],
    unknown_words: tuple[str, ...],
    request: GenerationRequest,
    batched: bool,
):
    images = resize_batch(images, request.width, request.height)
    steps = request.denoising_steps  # what the previews counted: fewer for image-to-image
    return _response(
        "final",
        steps,
        steps,
        images,
        request.seeds,
        native_size=native_size,
        unknown_words=unknown_words,
        batched=batched,
    )


def _response(
    kind: str, step: int, total: int, images: np.ndarray, seeds, native_size=None, unknown_words=None, batched=False
):
    outputs = {
        "KIND": np.array([kind.encode()], dtype=np.object_),
        "STEP": np.array([step], dtype=np.int32),
        "TOTAL": np.array([total], dtype=np.int32),
        "IMAGES": np.ascontiguousarray(images, dtype=np.uint8),
        "SEEDS": np.array(seeds, dtype=np.int64),
    }
    if native_size is not None:
        outputs["NATIVE_SIZE"] = np.array(native_size, dtype=np.int32)
    if unknown_words is not None:
        outputs["UNKNOWN_WORDS"] = np.array([" ".join(unknown_words).encode()], dtype=np.object_)
    return pb_utils.InferenceResponse(
        output_tensors=[
            pb_utils.Tensor(name, np.ascontiguousarray(value[np.newaxis]) if batched else value)
            for name, value in outputs.items()
        ]
    )


def _failure_response(exc: Exception):
    """A bad request is the caller's to fix; anything else is ours, and must never take the model down."""
    if isinstance(exc, InvalidRequest):
        return _error_response(str(exc), pb_utils.TritonError.INVALID_ARG)
    pb_utils.Logger.log_error(f"txt2img: generation failed: {exc!r}")
    return _error_response(f"generation failed: {exc}", pb_utils.TritonError.INTERNAL)


def _error_response(message: str, code):
    return pb_utils.InferenceResponse(error=pb_utils.TritonError(message, code))
