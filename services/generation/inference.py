"""Clients of Triton's models. `TritonTxt2Img`: the `txt2img` model, one gRPC stream per generation,
progress first, then images. `TritonImageModel`: the image actions' one-shot models (`upscale`, ...),
one image in, one image (or, for `describe`, text) out, unbatched; `ImageAction`: what an action
declares and how it calls its model (the actions themselves are services/generation/actions,
handed to the worker by wiring).

Errors come in two kinds the worker treats differently: `InferenceRejected` (this request can never
succeed: don't retry) and `InferenceUnavailable` (Triton or the model is down, slow or restarting:
retry later).

The model's config decides the tensor layout: with dynamic batching on (max_batch_size > 0) every
input and output carries a leading batch dimension of 1. The client reads max_batch_size from Triton
once, and again if Triton refuses a request's shapes (a redeploy switched batching on or off).
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import grpc
import numpy as np
import tritonclient.grpc as grpcclient
import tritonclient.grpc.aio as grpcclient_aio
from tritonclient.utils import InferenceServerException

T = TypeVar("T")
DEFAULT_TIMEOUT_S = 120.0
READY_TIMEOUT_S = 5.0

# Per-request errors that Triton itself sends inside the stream when the model cannot take requests
# (loading, unloaded, crashed stub); every other per-request error is about the request.
_UNAVAILABLE_MARKERS = (
    "unknown model",
    "no available versions",
    "is not ready",
    "not healthy",
    "unavailable",
    "server is shutting down",
)
_REQUEST_ERROR_CODES = (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.OUT_OF_RANGE)
# Triton's refusal of tensors shaped for the other layout (batch dimension or not); our own inputs
# are otherwise always of the shapes the config names.
_LAYOUT_MISMATCH = "unexpected shape for input"


class InferenceError(Exception):
    """Base of the errors `TritonTxt2Img` raises."""


class InferenceRejected(InferenceError):
    """The model refused this request (bad input); sending it again gives the same answer."""


class InferenceUnavailable(InferenceError):
    """Triton or the model could not be reached or did not finish in time; retrying may succeed."""


@dataclass(frozen=True, kw_only=True)
class Txt2ImgRequest:
    prompt: str
    negative_prompt: str = ""
    seed: int
    num_images: int = 4
    # 0: the model's pipeline chooses (sent as 0, so requests with and without steps still batch).
    steps: int = 0
    # None: the model's pipeline chooses.
    guidance: float | None = None
    width: int | None = None
    height: int | None = None
    preview_every: int | None = None  # 0: no previews
    # Image-to-image (remix): the source pixels, uint8 [h, w, 3], and how far to move away from them
    # (0 < strength <= 1; None: the model's default, 0.6). Both None for text-to-image.
    init_image: np.ndarray | None = None
    strength: float | None = None
    # Inpainting (fill, extend): uint8 [h, w] of init_image's size, nonzero = draw anew; no strength.
    mask: np.ndarray | None = None
    # A custom model's style (safetensors bytes, services/generation/custom_models.py) and how
    # strongly it applies (None: the model's default).
    style_weights: bytes | None = None
    style_scale: float | None = None


@dataclass(frozen=True)
class Progress:
    step: int
    total: int
    previews: list[np.ndarray]  # uint8 [h, w, 3] each, at most 32 px a side


@dataclass(frozen=True)
class Txt2ImgResult:
    images: list[np.ndarray]  # uint8 [height, width, 3] each
    seeds: list[int]  # seeds[i] regenerates images[i]
    native_size: tuple[int, int]  # (width, height) the model generated at, before any resize
    steps: int  # the denoising steps the model ran (its default when the request left them at 0)
    # The prompt's words the model said it cannot draw (the built-in model; a mounted one says none).
    unknown_words: tuple[str, ...] = ()


OnProgress = Callable[[Progress], Awaitable[None]]


class TritonStreamingModel:
    """One Triton model over gRPC: whether it is ready, its tensor layout (read once), and the
    connection, created on first use. TritonTxt2Img and the custom models' trainer stream from it."""

    def __init__(self, url: str, model_name: str, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        """url: host:port of Triton's gRPC endpoint. timeout_s bounds one whole stream."""
        self._url = url
        self._model_name = model_name
        self._timeout_s = timeout_s
        self._client: grpcclient_aio.InferenceServerClient | None = None
        self._batched: bool | None = None  # the model's tensors have a batch dimension; None: not read yet

    async def ready(self) -> bool:
        """True when Triton is up and the model is loaded and ready to serve."""
        try:
            return await self._connection().is_model_ready(self._model_name, client_timeout=READY_TIMEOUT_S)
        except (InferenceServerException, grpc.RpcError):
            return False

    async def close(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            await client.close()

    async def _stream(
        self,
        encode: Callable[[bool], list[grpcclient.InferInput]],
        answer: Callable[[_Outputs], Awaitable[T | None]],
        metadata: dict[str, str],
        final: str,
    ) -> T:
        """One request to the decoupled model, its responses handed to `answer` until it returns the
        final result. encode(batched): the inputs; final: what the last response brings, in words."""
        final_received = asyncio.Event()

        async def requests():
            yield {"model_name": self._model_name, "inputs": inputs}
            # Hold the request side open until the final response, so the stream stays up for as
            # long as the decoupled model keeps sending.
            await final_received.wait()

        responses = None
        try:
            batched = await self._batch_dimension()
            inputs = encode(batched)
            responses = self._connection().stream_infer(requests(), stream_timeout=self._timeout_s, headers=metadata)
            async for result, error in responses:
                if error is not None:
                    raise _classify_model_error(error)
                done = await answer(_Outputs(result, batched))
                if done is not None:
                    return done
            raise InferenceUnavailable(f"the stream from Triton ended before {final}")
        except grpc.RpcError as error:
            raise _classify_rpc_error(error) from error
        except InferenceServerException as error:
            raise InferenceUnavailable(f"Triton at {self._url}: {error}") from error
        finally:
            final_received.set()
            if responses is not None:
                responses.cancel()  # stops the model's work when we leave early (error, cancellation)

    async def _batch_dimension(self) -> bool:
        if self._batched is None:
            response = await self._connection().get_model_config(self._model_name, client_timeout=READY_TIMEOUT_S)
            self._batched = response.config.max_batch_size > 0
        return self._batched

    def _connection(self) -> grpcclient_aio.InferenceServerClient:
        # Created on first use so that the channel binds to the running event loop.
        if self._client is None:
            self._client = grpcclient_aio.InferenceServerClient(self._url)
        return self._client


class TritonTxt2Img(TritonStreamingModel):
    def __init__(self, url: str, model_name: str = "txt2img", timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        """url: host:port of Triton's gRPC endpoint. timeout_s bounds one whole generation."""
        super().__init__(url, model_name, timeout_s)

    async def generate(
        self,
        request: Txt2ImgRequest,
        on_progress: OnProgress,
        headers: dict[str, str] | None = None,
    ) -> Txt2ImgResult:
        """headers: e.g. W3C `traceparent`, sent as gRPC metadata so Triton's trace can join ours."""
        metadata = {key.lower(): value for key, value in (headers or {}).items()}  # gRPC wants lowercase
        try:
            return await self._generate(request, on_progress, metadata)
        except InferenceRejected as error:
            if self._batched is None or _LAYOUT_MISMATCH not in str(error):
                raise
        self._batched = None  # the model's config changed since we read it: read it again, and retry once
        return await self._generate(request, on_progress, metadata)

    async def _generate(
        self, request: Txt2ImgRequest, on_progress: OnProgress, metadata: dict[str, str]
    ) -> Txt2ImgResult:
        async def answer(outputs: _Outputs) -> Txt2ImgResult | None:
            if outputs["KIND"][0].decode() == "final":
                return _decode_final(outputs)
            await on_progress(_decode_progress(outputs))
            return None

        return await self._stream(lambda batched: _encode(request, batched), answer, metadata, "the final images")

    async def __aenter__(self) -> TritonTxt2Img:
        return self

    async def __aexit__(self, *exc_info) -> None:
        await self.close()


def _encode(request: Txt2ImgRequest, batched: bool = False) -> list[grpcclient.InferInput]:
    """batched: give every tensor the leading batch dimension (of 1) a batching model config adds."""

    def _tensor(name: str, datatype: str, values: np.ndarray) -> grpcclient.InferInput:
        return _input_tensor(name, datatype, values[np.newaxis] if batched else values)

    try:
        inputs = [
            _tensor("PROMPT", "BYTES", np.array([request.prompt.encode("utf-8")], dtype=np.object_)),
            _tensor("SEED", "INT64", np.array([request.seed], dtype=np.int64)),
            _tensor("NUM_IMAGES", "INT32", np.array([request.num_images], dtype=np.int32)),
            # Sent even when empty: Triton's dynamic batcher batches only requests with the same inputs.
            _tensor("NEGATIVE_PROMPT", "BYTES", np.array([request.negative_prompt.encode("utf-8")], dtype=np.object_)),
        ]
        optional_ints = (
            ("STEPS", request.steps or 0),
            ("WIDTH", request.width),
            ("HEIGHT", request.height),
            ("PREVIEW_EVERY", request.preview_every),
        )
        for name, value in optional_ints:
            if value is not None:
                inputs.append(_tensor(name, "INT32", np.array([value], dtype=np.int32)))
        if request.guidance is not None:
            inputs.append(_tensor("GUIDANCE", "FP32", np.array([request.guidance], dtype=np.float32)))
        if request.init_image is not None:
            image = request.init_image
            if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
                raise ValueError(f"init_image must be uint8 [height, width, 3], got {image.dtype} {image.shape}")
            inputs.append(_tensor("INIT_IMAGE", "UINT8", np.ascontiguousarray(image)))
        if request.strength is not None:
            inputs.append(_tensor("STRENGTH", "FP32", np.array([request.strength], dtype=np.float32)))
        if request.mask is not None:
            if request.mask.dtype != np.uint8 or request.mask.ndim != 2:
                raise ValueError(f"mask must be uint8 [height, width], got {request.mask.dtype} {request.mask.shape}")
            inputs.append(_tensor("MASK", "UINT8", np.ascontiguousarray(request.mask)))
        if request.style_weights is not None:
            inputs.append(_tensor("STYLE_WEIGHTS", "BYTES", np.array([request.style_weights], dtype=np.object_)))
        if request.style_scale is not None:
            inputs.append(_tensor("STYLE_SCALE", "FP32", np.array([request.style_scale], dtype=np.float32)))
    except (OverflowError, ValueError, UnicodeError) as error:
        raise InferenceRejected(f"request cannot be encoded: {error}") from error
    return inputs


def _input_tensor(name: str, datatype: str, values: np.ndarray) -> grpcclient.InferInput:
    tensor = grpcclient.InferInput(name, list(values.shape), datatype)
    tensor.set_data_from_numpy(np.ascontiguousarray(values))
    return tensor


class _Outputs:
    """A response's output arrays, without the batch dimension when the model config has one."""

    def __init__(self, result, batched: bool) -> None:
        self._result = result
        self._batched = batched

    def __getitem__(self, name: str) -> np.ndarray:
        array = self._result.as_numpy(name)
        return array[0] if self._batched else array

    def get(self, name: str) -> np.ndarray | None:
        """An output a model of an older config does not send: None."""
        array = self._result.as_numpy(name)
        if array is None:
            return None
        return array[0] if self._batched else array


def _decode_progress(outputs: _Outputs) -> Progress:
    return Progress(
        step=int(outputs["STEP"][0]),
        total=int(outputs["TOTAL"][0]),
        previews=list(outputs["IMAGES"]),
    )


def _decode_final(outputs: _Outputs) -> Txt2ImgResult:
    width, height = (int(v) for v in outputs["NATIVE_SIZE"])
    return Txt2ImgResult(
        images=list(outputs["IMAGES"]),
        seeds=[int(s) for s in outputs["SEEDS"]],
        native_size=(width, height),
        steps=int(outputs["TOTAL"][0]),
        unknown_words=_words(outputs.get("UNKNOWN_WORDS")),
    )


def _words(values: np.ndarray | None) -> tuple[str, ...]:
    if values is None or not len(values):
        return ()
    return tuple(values[0].decode("utf-8", errors="replace").split())


def _classify_model_error(error: InferenceServerException) -> InferenceError:
    message = error.message()
    if any(marker in message.lower() for marker in _UNAVAILABLE_MARKERS):
        return InferenceUnavailable(message)
    return InferenceRejected(message)


def _classify_rpc_error(error: grpc.RpcError) -> InferenceError:
    code, details = error.code(), error.details()
    if code in _REQUEST_ERROR_CODES:
        return InferenceRejected(details or str(code))
    return InferenceUnavailable(f"Triton call failed ({code}): {details}")


# Triton's statuses for a model or server that cannot answer now; any other refusal is about the
# request (INVALID_ARG from the model, a shape it does not take).
_UNAVAILABLE_STATUSES = ("UNAVAILABLE", "DEADLINE_EXCEEDED", "CANCELLED", "RESOURCE_EXHAUSTED")


@dataclass(frozen=True)
class Description:
    """An action's answer in words instead of pixels: prompt suggestions, best first."""

    suggestions: tuple[str, ...]


ActionAnswer = np.ndarray | Description


class TritonImageModel:
    def __init__(self, url: str, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        """url: host:port of Triton's gRPC endpoint; timeout_s bounds one request."""
        self._url = url
        self._timeout_s = timeout_s
        self._client: grpcclient_aio.InferenceServerClient | None = None

    async def infer(self, model_name: str, image: np.ndarray, headers: dict[str, str] | None = None) -> np.ndarray:
        """IMAGE uint8 [h, w, 3] in, IMAGE uint8 [h', w', 3] out. headers: e.g. W3C traceparent."""
        result = await self._call(model_name, image, headers)
        output = result.as_numpy("IMAGE")
        if output is None or output.dtype != np.uint8 or output.ndim != 3:
            raise InferenceRejected(f"model {model_name} answered without a uint8 IMAGE")
        return output

    async def suggest(
        self, model_name: str, image: np.ndarray, headers: dict[str, str] | None = None
    ) -> tuple[str, ...]:
        """IMAGE uint8 [h, w, 3] in, SUGGESTIONS (UTF-8 strings, best first) out."""
        result = await self._call(model_name, image, headers)
        output = result.as_numpy("SUGGESTIONS")
        if output is None or output.ndim != 1:
            raise InferenceRejected(f"model {model_name} answered without SUGGESTIONS")
        return tuple(
            (value.decode("utf-8", errors="replace") if isinstance(value, bytes) else str(value)) for value in output
        )

    async def _call(self, model_name: str, image: np.ndarray, headers: dict[str, str] | None):
        if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
            raise InferenceRejected(f"IMAGE must be uint8 [height, width, 3], got {image.dtype} {list(image.shape)}")
        tensor = grpcclient.InferInput("IMAGE", list(image.shape), "UINT8")
        tensor.set_data_from_numpy(np.ascontiguousarray(image))
        metadata = {key.lower(): value for key, value in (headers or {}).items()}
        try:
            return await self._connection().infer(
                model_name, [tensor], client_timeout=self._timeout_s, headers=metadata
            )
        except InferenceServerException as error:
            raise _classify_image_model_error(error) from error

    async def ready(self, model_name: str) -> bool:
        try:
            return await self._connection().is_model_ready(model_name, client_timeout=READY_TIMEOUT_S)
        except InferenceServerException:
            return False

    async def close(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            await client.close()

    def _connection(self) -> grpcclient_aio.InferenceServerClient:
        # Created on first use so that the channel binds to the running event loop.
        if self._client is None:
            self._client = grpcclient_aio.InferenceServerClient(self._url)
        return self._client


def _classify_image_model_error(error: InferenceServerException) -> InferenceError:
    status = error.status() or ""
    message = error.message() or str(error)
    if any(code in status for code in _UNAVAILABLE_STATUSES) or any(
        marker in message.lower() for marker in _UNAVAILABLE_MARKERS
    ):
        return InferenceUnavailable(f"Triton ({status}): {message}")
    return InferenceRejected(message)


@dataclass(frozen=True)
class ActionJob:
    """What an action's job has to work with when it runs: the source's pixels, the job's prompt and
    seed, its options (as `ImageAction.options_of` made them, stored with the job), the Triton
    clients, and where to report progress."""

    source: np.ndarray
    prompt: str
    seed: int
    options: Mapping[str, Any]
    headers: dict[str, str]
    image_models: TritonImageModel
    txt2img: TritonTxt2Img
    on_progress: OnProgress


class ImageAction(ABC):
    """An image action: source pixels in, result pixels (or a Description) out, through one Triton
    model (or, for an action a model round trip adds nothing to, in the worker)."""

    # The job kind, stored in the generation's params and priced by name in billing's catalogue.
    kind: str
    # The billing entitlement a plan needs for it; None: every plan has it.
    entitlement: str | None
    # The Triton model it calls ("" for none: it runs in the worker).
    model_name: str
    # A failure when its source is gone (deleted, or hidden from the owner) by the time the job
    # starts: the same words whichever, so that a failure reveals nothing.
    gone_message: str

    @abstractmethod
    def result_size(self, width: int, height: int) -> tuple[int, int]:
        """The result's (width, height) for a source of this size; raises requests.InvalidRequest
        when the source cannot go through this action (too large, ...), saying why."""

    @abstractmethod
    async def run(self, model: TritonImageModel, source: np.ndarray, headers: dict[str, str]) -> ActionAnswer:
        """The result, uint8 [height, width, 3] (or 4: RGBA), from the source's pixels (uint8
        [h, w, 3]), or a Description of them."""

    # An action that takes more than its source (a prompt, a mask, a size) overrides these.
    def options_of(self, params: Any) -> dict[str, Any]:
        """The action's own options from the submitted GenerationParams, checked as far as they can be
        without the source (requests.InvalidRequest otherwise); JSON-storable, stored with the job."""
        return {}

    def result_size_with(self, width: int, height: int, options: Mapping[str, Any]) -> tuple[int, int]:
        """As `result_size`, for these options (checked against the source's size here)."""
        return self.result_size(width, height)

    def prompt_of(self, options: Mapping[str, Any]) -> str:
        """The job's prompt; "" keeps the source's."""
        return ""

    async def perform(self, job: ActionJob) -> ActionAnswer:
        """The result of the job; by default `run` on the source."""
        return await self.run(job.image_models, job.source, job.headers)


# The same words whether a custom model was deleted or is someone else's: a failure reveals nothing.
CUSTOM_MODEL_GONE_MESSAGE = "The custom model is no longer available."


class StyleModelGone(Exception):
    """A custom model (or a training image) is not the job owner's to use any more: the job fails
    with this message, the same words whichever it was."""


class StyleModels(Protocol):
    """Custom models as the worker uses them (services/generation/custom_model_training.py, handed
    over by wiring): each read authorises the model for the job's owner again."""

    async def weights(self, owner_id: str, model_id: str) -> bytes:
        """A trained model's weights for a generation; StyleModelGone otherwise."""
        ...

    async def train(
        self, owner_id: str, model_id: str, steps: int, seed: int, on_progress: OnProgress, headers: dict[str, str]
    ) -> str:
        """Trains the model on its images and stores the weights; their object key."""
        ...

    async def ready(self) -> bool: ...

    async def keep_weights(self, conn: Any, model_id: str, weights_key: str) -> bool:
        """In the transaction that finishes the job: the model is ready; False when it was
        deleted meanwhile (discard the weights then)."""
        ...

    async def discard(self, weights_key: str) -> None: ...
