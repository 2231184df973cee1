"""The generation worker: GenerationRequested → Triton (streaming previews) → PNGs in the private
bucket → images rows + ImagesReady in one transaction.

A remix (source_image_id) sends the source's stored pixels as Triton's INIT_IMAGE with its
STRENGTH; a source deleted or made private since the remix was accepted fails the generation
(credits refunded).

An image action (a job kind of services/generation/actions: upscale, describe, ...) is dispatched
to its module, which calls its own Triton model on the source's pixels (describe answers words,
stored with the job, and makes no image); the source is authorised again
when the job starts (deleted or no longer the owner's to see: failed, credits refunded) and the
result is never more visible than the source is then (a derivative of a private image is private).

Exactly once: a redelivered event for a finished generation is acknowledged and ignored; a
generation whose worker died mid-way is generated again under the same object keys, and only
the transaction that moves it to a finished state (row locked) inserts images and the event.

Triton down or its model not ready is an outage, not the generation's fault: the generation is held
(its message kept by the consumer's heartbeats, so the worker fetches nothing more meanwhile) until
Triton is ready again, and fails only once the outage has lasted `outage_limit_s`.
"""

import asyncio
import dataclasses
import io
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Protocol, TypeVar

import numpy as np
from minio.error import S3Error
from nats.aio.client import Client as NATS
from opentelemetry import trace
from PIL import Image
from prometheus_client import Counter, Histogram
from psycopg_pool import AsyncConnectionPool
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from atelier.generation.v1 import events_pb2
from contracts.common import PRIVATE, PUBLIC, SCOPE_TO_PROTO
from contracts.generation import GENERATION_FAILED, IMAGES_READY, progress_subject
from glue.consumer import Delivery, PoisonMessage
from glue.events import enqueue_event
from glue.telemetry import inject_headers
from imagemodel import style
from services.generation import repository
from services.generation.clients import DependencyUnavailable, VisibilityClient
from services.generation.inference import (
    CUSTOM_MODEL_GONE_MESSAGE,
    ActionAnswer,
    ActionJob,
    Description,
    ImageAction,
    InferenceRejected,
    InferenceUnavailable,
    Progress,
    StyleModelGone,
    StyleModels,
    TritonImageModel,
    TritonTxt2Img,
    Txt2ImgRequest,
    Txt2ImgResult,
)
from services.generation.records import GenerationRecord, ImageRecord
from services.generation.requests import ASPECT_SIZES, GENERATE, TRAIN_STYLE

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)

# The worker's durable consumer of GenerationRequested (this service's own name).
WORKER_DURABLE = "generation-worker"

FINISHED = Counter("atelier_generations_finished_total", "Generations finished, by outcome", ["status"])
# Stable Diffusion on a busy GPU takes up to ~2 minutes end to end; the buckets reach past that so
# a slow tail is measured, not lumped into +Inf.
LATENCY_BUCKETS_S = (0.5, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 120, 180, 300, 600)
END_TO_END = Histogram(
    "atelier_generation_end_to_end_seconds", "From acceptance to images stored and announced", buckets=LATENCY_BUCKETS_S
)
QUEUE_WAIT = Histogram(
    "atelier_generation_queue_wait_seconds",
    "From acceptance to a worker starting the generation (first delivery)",
    buckets=LATENCY_BUCKETS_S,
)
INFERENCE = Histogram(
    "atelier_generation_inference_seconds", "Triton txt2img call", buckets=(0.25, *LATENCY_BUCKETS_S[:-2])
)

PREVIEW_EVERY = 5
# Image ids derive from the generation's secret storage prefix: a redelivered generation gets the
# same ids (its registration with the authority is idempotent) and nobody can derive them.
IMAGE_ID_NAMESPACE = uuid.UUID("6f1c7c9e-2a4b-4f0e-9d51-7b1e0c0a7e11")


def image_id_for(record: GenerationRecord, index: int) -> uuid.UUID:
    return uuid.uuid5(IMAGE_ID_NAMESPACE, f"{record.storage_prefix}/{index}")


UNAVAILABLE_MESSAGE = "The image model is unavailable right now. Please try again in a minute."
# Deleted or made private by its owner since the remix was accepted: the same words for both, so
# the failure reveals nothing about someone else's image.
SOURCE_DELETED_MESSAGE = "The image you remixed is no longer available."
STYLE_REFERENCE_GONE_MESSAGE = "The style reference image is no longer available."
# glue.storage.is_missing_object says the same; importing it would put the store module (and its
# settings) on a generation's path for one tuple.
_MISSING_OBJECT_CODES = ("NoSuchKey", "NoSuchObject")


T = TypeVar("T")


class SourceImageGone(Exception):
    """A remix's source image was deleted, or hidden from the remixer, after it was accepted."""


def encode_png(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def model_request(event: events_pb2.GenerationRequested) -> Txt2ImgRequest:
    """What Triton is asked for, read from the event alone (its params as accepted). Zeros stay zeros
    where they mean "the model's default". A remix's init image is added once its source is loaded."""
    params = event.params
    size = ASPECT_SIZES.get(params.aspect_ratio)
    if size is None:
        raise PoisonMessage(f"aspect ratio {params.aspect_ratio!r} is not one this service accepts")
    return Txt2ImgRequest(
        prompt=event.effective_prompt or params.prompt,
        negative_prompt=params.negative_prompt,
        seed=event.seed,
        num_images=params.num_images,
        steps=params.steps,
        guidance=params.guidance or None,
        width=size[0],
        height=size[1],
        preview_every=PREVIEW_EVERY,
    )


def decode_png(data: bytes) -> np.ndarray:
    """Stored image bytes -> uint8 [height, width, 3] RGB."""
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("RGB"), dtype=np.uint8)


class ImageStore(Protocol):
    """The object store as the worker uses it (glue.storage.ObjectStore is one)."""

    async def get(self, key: str) -> bytes: ...

    async def put(self, key: str, data: bytes, content_type: str) -> None: ...

    async def delete(self, key: str) -> None: ...


class GenerationWorker:
    def __init__(
        self,
        pool: AsyncConnectionPool,
        nc: NATS,
        store: ImageStore,
        model: TritonTxt2Img,
        visibility: VisibilityClient,
        image_models: TritonImageModel | None = None,
        actions: Mapping[str, ImageAction] | None = None,
        inference_attempts: int = 4,
        retry_base_s: float = 1.0,
        outage_limit_s: float = 600.0,
        ready_poll_s: float = 1.0,
        styles: StyleModels | None = None,
    ):
        self._pool = pool
        self._nc = nc
        self._store = store
        self._model = model
        self._visibility = visibility
        self._image_models = image_models
        # The image actions this worker runs, by job kind (services/generation/actions).
        self._actions = actions or {}
        self._inference_attempts = inference_attempts
        self._retry_base_s = retry_base_s
        self._outage_limit_s = outage_limit_s
        self._ready_poll_s = ready_poll_s
        # Custom models: their training jobs, and their weights for a generation.
        self._styles = styles
        # When Triton was first found unavailable in the outage going on now (shared by all the
        # generations this worker holds); None while it answers.
        self._outage_began: float | None = None

    async def handle(self, event: events_pb2.GenerationRequested, delivery: Delivery) -> None:
        try:
            generation_id = uuid.UUID(event.generation_id)
        except ValueError as error:
            raise PoisonMessage(f"generation id {event.generation_id!r} is not a UUID") from error
        async with self._pool.connection() as conn:
            record = await repository.get_generation(conn, generation_id)
        if record is None:
            raise PoisonMessage(f"generation {generation_id} does not exist")
        if record.finished:
            log.info("duplicate delivery of a finished generation", extra={"generation_id": str(generation_id)})
            return
        if record.kind == TRAIN_STYLE:
            await self._train_style(record, delivery)
            return
        if record.kind != GENERATE:
            action = self._actions.get(record.kind)
            if action is None:  # accepted by a newer build than this worker: fails, credit refunded
                await self._fail(record, f"This worker does not run {record.kind!r} jobs.")
                return
            await self._run_action(record, action, delivery)
            return
        request = model_request(event)
        if delivery.attempt == 1:
            QUEUE_WAIT.observe((datetime.now(UTC) - record.created_at).total_seconds())
        async with self._pool.connection() as conn:
            await repository.mark_running(conn, generation_id, record.progress_total)

        try:
            init_image = await self._load_source(record)
        except SourceImageGone:
            await self._fail(record, SOURCE_DELETED_MESSAGE)
            return
        try:
            reference = await self._load_image(record, record.params.get("style_image_id"))
        except SourceImageGone:
            await self._fail(record, STYLE_REFERENCE_GONE_MESSAGE)
            return
        if model_id := record.params.get("model_id"):
            try:
                weights = await self._style_models().weights(record.owner_id, model_id)
            except StyleModelGone as gone:
                await self._fail(record, str(gone))
                return
            request = dataclasses.replace(
                request, style_weights=weights, style_scale=record.params.get("model_scale") or None
            )
        if init_image is not None:
            request = dataclasses.replace(request, init_image=init_image, strength=event.params.strength or None)
        style_strength = float(record.params.get("style_strength") or 0.0)
        if reference is not None and init_image is None:
            # The reference's composition: the generation starts from it, noised (imagemodel/style.py).
            request = dataclasses.replace(
                request, init_image=reference, strength=style.composition_strength(style_strength)
            )
        result = await self._answer_or_fail(
            record, lambda: self._infer(record, request, delivery), self._model.ready, "make this image"
        )
        if result is None:
            return
        if reference is not None:
            # The reference's palette, at the style strength.
            styled = await asyncio.to_thread(style.transfer_palette, np.stack(result.images), reference, style_strength)
            result = dataclasses.replace(result, images=list(styled))
        images = await self._store_images(record, result)
        await self._register(record, images, delivery)
        await self._complete(record, images, result.steps, result.unknown_words)

    async def _load_source(self, record: GenerationRecord) -> np.ndarray | None:
        """A remix's source pixels (None for a plain generation)."""
        return await self._load_image(record, str(record.source_image_id) if record.source_image_id else None)

    async def _load_image(self, record: GenerationRecord, image_id: str | None) -> np.ndarray | None:
        """The pixels of an image the job reads (a remix source, a style reference; None for none).
        The gateway authorised the owner to see it when the job was accepted; it is authorised again
        now, because its owner may have made it private or deleted it in between (P1: authority at
        read time)."""
        if not image_id:
            return None
        if not await self._visibility.may_see(record.owner_id, image_id):
            raise SourceImageGone()
        async with self._pool.connection() as conn:
            source = await repository.get_image(conn, uuid.UUID(image_id))
        if source is None:
            raise SourceImageGone()
        try:
            with tracer.start_as_current_span("storage get", kind=trace.SpanKind.CLIENT):
                png = await self._store.get(source.object_key)
        except S3Error as error:
            if error.code in _MISSING_OBJECT_CODES:  # deleted between the row read and the get
                raise SourceImageGone() from error
            raise  # the store is unwell: redelivered later
        return await asyncio.to_thread(decode_png, png)

    async def _run_action(self, record: GenerationRecord, action: ImageAction, delivery: Delivery) -> None:
        if delivery.attempt == 1:
            QUEUE_WAIT.observe((datetime.now(UTC) - record.created_at).total_seconds())
        async with self._pool.connection() as conn:
            await repository.mark_running(conn, record.id, 1)
        try:
            source = await self._load_action_source(record)
        except SourceImageGone:
            await self._fail(record, action.gone_message)
            return
        record = await self._no_more_visible_than_source(record)
        await self._publish_progress(record, Progress(step=0, total=1, previews=[]))
        await delivery.still_working()
        answer = await self._answer_or_fail(
            record,
            lambda: self._run_model(record, action, source, delivery),
            lambda: self._action_model().ready(action.model_name),
            f"{action.kind} this image",
        )
        if answer is None:
            return
        if isinstance(answer, Description):
            await self._complete_description(record, answer)
            return
        pixels = answer
        height, width = pixels.shape[:2]
        result = Txt2ImgResult(images=[pixels], seeds=[record.seed], native_size=(width, height), steps=1)
        images = await self._store_images(record, result)
        await self._register(record, images, delivery)
        await self._complete(record, images, 1)

    def _style_models(self) -> StyleModels:
        if self._styles is None:
            raise PoisonMessage("this worker was started without custom models")
        return self._styles

    async def _train_style(self, record: GenerationRecord, delivery: Delivery) -> None:
        """A custom model's training: its images (authorised again now) through `style_train`, the
        weights stored under the model's prefix, and the model marked ready in the transaction
        that finishes the job (a model deleted meanwhile fails it: credits refunded)."""
        styles = self._style_models()
        async with self._pool.connection() as conn:
            await repository.mark_running(conn, record.id, record.progress_total)
        model_id = str((record.params.get("options") or {}).get("model_id", ""))
        await self._publish_progress(record, Progress(step=0, total=record.progress_total, previews=[]))

        async def on_progress(progress: Progress) -> None:
            await self._publish_progress(record, progress)
            await delivery.still_working()

        async def train() -> str:
            async for attempt in self._retrying(InferenceUnavailable, delivery):
                with attempt:
                    with tracer.start_as_current_span("triton style_train", kind=trace.SpanKind.CLIENT) as span:
                        span.set_attribute("atelier.generation_id", str(record.id))
                        steps = int(record.params.get("steps") or 0)
                        key = await styles.train(
                            record.owner_id, model_id, steps, record.seed, on_progress, inject_headers()
                        )
            return key

        try:
            weights_key = await self._answer_or_fail(record, train, styles.ready, "learn this style")
        except StyleModelGone as gone:
            await self._fail(record, str(gone))
            return
        if weights_key is not None:
            await self._complete_training(record, styles, model_id, weights_key)

    async def _complete_training(
        self, record: GenerationRecord, styles: StyleModels, model_id: str, weights_key: str
    ) -> None:
        """ImagesReady (with no images) commits the charge, as for a describe job."""
        async with self._pool.connection() as conn, conn.transaction():
            current = await repository.get_generation(conn, record.id, for_update=True)
            if current is None or current.finished:
                return
            kept = await styles.keep_weights(conn, model_id, weights_key)
            if kept:
                await repository.record_progress(conn, record.id, current.progress_total, current.progress_total)
                await repository.mark_finished(conn, record.id, "succeeded")
                await enqueue_event(conn, IMAGES_READY, images_ready(record, []))
        if not kept:  # deleted while it trained
            await styles.discard(weights_key)
            await self._fail(record, CUSTOM_MODEL_GONE_MESSAGE)
            return
        await self._announce_finished(record)
        FINISHED.labels("succeeded").inc()
        log.info("custom model trained", extra={"generation_id": str(record.id)})

    def _action_model(self) -> TritonImageModel:
        if self._image_models is None:
            raise PoisonMessage("this worker was started without image action models")
        return self._image_models

    async def _load_action_source(self, record: GenerationRecord) -> np.ndarray:
        """The source's pixels, if it still exists and its owner (the submission checked it is the
        job's) may see it now; else SourceImageGone."""
        pixels = await self._load_source(record)
        if pixels is None:
            raise PoisonMessage(f"image action {record.id} names no source image")
        return pixels

    async def _no_more_visible_than_source(self, record: GenerationRecord) -> GenerationRecord:
        """The result is private unless its source is public now (asked of the authority as an
        anonymous viewer would be; fail closed): a source made private since the job was accepted
        makes a private result."""
        if record.initial_visibility == PRIVATE:
            return record
        if await self._visibility.may_see("", str(record.source_image_id)):
            return record
        async with self._pool.connection() as conn:
            await repository.set_initial_visibility(conn, record.id, PRIVATE)
        return dataclasses.replace(record, initial_visibility=PRIVATE)

    async def _complete_description(self, record: GenerationRecord, description: Description) -> None:
        """A describe job: its suggestions stored with it, no image. ImagesReady (with no images)
        still announces it, so that billing commits its charge as for any finished job."""
        if not description.suggestions:
            await self._fail(record, "The model could not describe this image.")
            return
        await self._complete(record, [], 1, suggestions=description.suggestions)

    async def _run_model(
        self, record: GenerationRecord, action: ImageAction, source: np.ndarray, delivery: Delivery
    ) -> ActionAnswer:
        async def on_progress(progress: Progress) -> None:
            await self._publish_progress(record, progress)
            await delivery.still_working()

        async for attempt in self._retrying(InferenceUnavailable, delivery):
            with attempt:
                started = time.monotonic()
                with tracer.start_as_current_span(f"triton {action.model_name}", kind=trace.SpanKind.CLIENT) as span:
                    span.set_attribute("atelier.generation_id", str(record.id))
                    job = ActionJob(
                        source=source,
                        prompt=record.effective_prompt or record.prompt,
                        seed=record.seed,
                        options=record.params.get("options") or {},
                        headers=inject_headers(),
                        image_models=self._action_model(),
                        txt2img=self._model,
                        on_progress=on_progress,
                    )
                    answer = await action.perform(job)
                INFERENCE.observe(time.monotonic() - started)
        return answer

    async def _answer_or_fail(
        self,
        record: GenerationRecord,
        call: Callable[[], Awaitable[T]],
        ready: Callable[[], Awaitable[bool]],
        could_not: str,
    ) -> T | None:
        """The model's answer through retries and outages; None once the job has failed with words
        for its owner ("The model could not <could_not>: ..."; Triton gone past the outage limit)."""
        try:
            return await self._through_outages(record, call, ready)
        except InferenceRejected as error:
            await self._fail(record, f"The model could not {could_not}: {error}")
        except InferenceUnavailable as error:
            log.error(
                "inference unavailable past the outage limit; giving up",
                extra={"generation_id": str(record.id), "error": str(error)},
            )
            await self._fail(record, UNAVAILABLE_MESSAGE)
        return None

    async def _through_outages(
        self, record: GenerationRecord, call: Callable[[], Awaitable[T]], ready: Callable[[], Awaitable[bool]]
    ) -> T:
        """call() until it answers; while Triton is unavailable the job is held (ready() polled)
        until the outage has lasted the outage limit."""
        while True:
            try:
                result = await call()
            except InferenceUnavailable:
                now = time.monotonic()
                if self._outage_began is None:
                    self._outage_began = now
                if now - self._outage_began >= self._outage_limit_s:
                    raise
                await self._until_model_ready(record, ready)
                continue
            self._outage_began = None
            return result

    async def _until_model_ready(self, record: GenerationRecord, ready: Callable[[], Awaitable[bool]]) -> None:
        """Returns once Triton says the model is ready, or once the outage limit has passed."""
        log.warning(
            "triton unavailable; holding the generation until it is back", extra={"generation_id": str(record.id)}
        )
        while self._outage_began is not None and time.monotonic() - self._outage_began < self._outage_limit_s:
            if await ready():
                log.info("triton ready again; resuming", extra={"generation_id": str(record.id)})
                return
            await asyncio.sleep(self._ready_poll_s)

    async def _infer(self, record: GenerationRecord, request: Txt2ImgRequest, delivery: Delivery) -> Txt2ImgResult:
        async def on_progress(progress: Progress) -> None:
            await self._publish_progress(record, progress)
            await delivery.still_working()

        async def before_retry(state) -> None:
            log.warning(
                "triton unavailable; retrying", extra={"generation_id": str(record.id), "attempt": state.attempt_number}
            )
            await delivery.still_working()

        retrying = AsyncRetrying(
            retry=retry_if_exception_type(InferenceUnavailable),
            stop=stop_after_attempt(self._inference_attempts),
            wait=wait_exponential(multiplier=self._retry_base_s, max=8 * self._retry_base_s),
            before_sleep=before_retry,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                started = time.monotonic()
                with tracer.start_as_current_span("triton txt2img", kind=trace.SpanKind.CLIENT) as span:
                    span.set_attribute("atelier.generation_id", str(record.id))
                    result = await self._model.generate(request, on_progress, headers=inject_headers())
                INFERENCE.observe(time.monotonic() - started)
        return result

    async def _publish_progress(self, record: GenerationRecord, progress: Progress) -> None:
        previews = await asyncio.to_thread(lambda: [encode_png(p) for p in progress.previews])
        message = events_pb2.GenerationProgress(
            generation_id=str(record.id),
            owner_id=record.owner_id,
            step=progress.step,
            total=progress.total,
            previews_png=previews,
        )
        await self._nc.publish(progress_subject(str(record.id)), message.SerializeToString(), headers=inject_headers())
        async with self._pool.connection() as conn:
            await repository.record_progress(conn, record.id, progress.step, progress.total)

    def _retrying(self, error: type[Exception], delivery: Delivery) -> AsyncRetrying:
        """Attempts while `error` is raised, with exponential back-off, heartbeats while waiting."""
        return AsyncRetrying(
            retry=retry_if_exception_type(error),
            stop=stop_after_attempt(self._inference_attempts),
            wait=wait_exponential(multiplier=self._retry_base_s, max=8 * self._retry_base_s),
            before_sleep=lambda _: delivery.still_working(),
            reraise=True,
        )

    async def _register(self, record: GenerationRecord, images: list[ImageRecord], delivery: Delivery) -> None:
        """The authority must know the images before the owner can see the generation succeed,
        so that a toggle made the moment they appear always works."""
        async for attempt in self._retrying(DependencyUnavailable, delivery):
            with attempt:
                await self._visibility.register(
                    record.owner_id,
                    str(record.id),
                    [str(i.id) for i in images],
                    record.initial_visibility,
                    record.privacy_entitled,
                    record.team_id,
                )

    async def _announce_finished(self, record: GenerationRecord) -> None:
        notice = events_pb2.GenerationProgress(generation_id=str(record.id), owner_id=record.owner_id, finished=True)
        await self._nc.publish(progress_subject(str(record.id)), notice.SerializeToString(), headers=inject_headers())

    async def _store_images(self, record: GenerationRecord, result: Txt2ImgResult) -> list[ImageRecord]:
        native_width, native_height = result.native_size
        images = []
        for index, (pixels, seed) in enumerate(zip(result.images, result.seeds, strict=True)):
            key = f"{record.storage_prefix}/{index}.png"
            png = await asyncio.to_thread(encode_png, pixels)
            with tracer.start_as_current_span("storage put", kind=trace.SpanKind.CLIENT) as span:
                span.set_attribute("atelier.object_bytes", len(png))
                await self._store.put(key, png, "image/png")
            images.append(
                ImageRecord(
                    id=image_id_for(record, index),
                    generation_id=record.id,
                    owner_id=record.owner_id,
                    idx=index,
                    seed=int(seed),
                    width=int(pixels.shape[1]),
                    height=int(pixels.shape[0]),
                    native_width=int(native_width),
                    native_height=int(native_height),
                    object_key=key,
                    content_type="image/png",
                    created_at=datetime.now(UTC),
                )
            )
        return images

    async def _complete(
        self,
        record: GenerationRecord,
        images: list[ImageRecord],
        steps: int,
        unknown_words: Sequence[str] = (),
        suggestions: Sequence[str] = (),
    ) -> None:
        """steps: what the model ran, which is the progress total even when no progress report came
        before the images (the model's default steps, a short remix). suggestions: a describe job's."""
        async with self._pool.connection() as conn, conn.transaction():
            current = await repository.get_generation(conn, record.id, for_update=True)
            if current is None or current.finished:
                return
            await repository.insert_images(conn, images)
            await repository.record_progress(conn, record.id, steps, steps)
            await repository.mark_finished(conn, record.id, "succeeded")
            await repository.record_unknown_prompt_words(conn, record.id, unknown_words)
            if suggestions:
                await repository.record_suggestions(conn, record.id, suggestions)
            await enqueue_event(conn, IMAGES_READY, images_ready(record, images))
        await self._announce_finished(record)
        FINISHED.labels("succeeded").inc()
        END_TO_END.observe((datetime.now(UTC) - record.created_at).total_seconds())
        log.info("generation succeeded", extra={"generation_id": str(record.id), "images": len(images)})

    async def _fail(self, record: GenerationRecord, reason: str) -> None:
        async with self._pool.connection() as conn, conn.transaction():
            current = await repository.get_generation(conn, record.id, for_update=True)
            if current is None or current.finished:
                return
            await repository.mark_finished(conn, record.id, "failed", reason)
            await enqueue_event(
                conn,
                GENERATION_FAILED,
                events_pb2.GenerationFailed(
                    generation_id=str(record.id), owner_id=record.owner_id, reason=reason, api_key_id=record.api_key_id
                ),
            )
        await self._announce_finished(record)
        FINISHED.labels("failed").inc()
        log.warning("generation failed", extra={"generation_id": str(record.id), "reason": reason})


# ImagesReady, the event of a finished generation, carries as much of it as its consumers may know.
# A private image is seen by its owner and nobody else, internal consumers included (ARCHITECTURE.md
# §3): the prompt, the seeds and the lineage travel only for images public when ready. A consumer
# learns them for an image made public later from BatchGetImages, which answers them only while the
# image is public.
def images_ready(record: GenerationRecord, images: list[ImageRecord]) -> events_pb2.ImagesReady:
    public = record.initial_visibility == PUBLIC
    return events_pb2.ImagesReady(
        generation_id=str(record.id),
        owner_id=record.owner_id,
        images=[
            events_pb2.ReadyImage(
                image_id=str(image.id),
                object_key=image.object_key,
                seed=image.seed if public else 0,
                width=image.width,
                height=image.height,
            )
            for image in images
        ],
        prompt=record.prompt if public else "",
        visibility=SCOPE_TO_PROTO[record.initial_visibility],
        visibility_version=1,
        source_image_id=str(record.source_image_id) if public and record.source_image_id else "",
        api_key_id=record.api_key_id,
    )
