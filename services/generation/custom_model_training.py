"""The worker's side of custom models (inference.StyleModels, handed to the worker by wiring): the
`style_train` Triton model (decoupled: progress responses, then one with the safetensors WEIGHTS),
the training set a job reads, and a model's weights for a generation. Every read authorises again
at job start, as a style reference does: a model deleted or one the submitter may no longer use
(not theirs, and not shared with a team they are still a member of, as the visibility authority
answers now), or a picked creation the owner can no longer see, is gone (StyleModelGone, the job
fails, credits refunded). Only its owner trains it."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from minio.error import S3Error
from psycopg_pool import AsyncConnectionPool

from glue.storage import is_missing_object
from services.generation import custom_models_repository as models_repository
from services.generation.clients import VisibilityClient
from services.generation.custom_model_use import ModelUse
from services.generation.custom_models import ObjectStore
from services.generation.custom_models_repository import CustomModelRecord
from services.generation.inference import (
    CUSTOM_MODEL_GONE_MESSAGE,
    DEFAULT_TIMEOUT_S,
    OnProgress,
    Progress,
    StyleModelGone,
    TritonStreamingModel,
    _input_tensor,
    _Outputs,
)

STYLE_TRAIN_MODEL = "style_train"
TRAINING_IMAGE_GONE_MESSAGE = "A training image is no longer available."


@dataclass(frozen=True)
class TrainingSet:
    model: CustomModelRecord
    images: list[bytes]
    captions: list[str]


class TritonStyleTrainer(TritonStreamingModel):
    def __init__(self, url: str, timeout_s: float = DEFAULT_TIMEOUT_S, model_name: str = STYLE_TRAIN_MODEL) -> None:
        super().__init__(url, model_name, timeout_s)

    async def train(
        self,
        images: Sequence[bytes],
        captions: Sequence[str],
        steps: int,
        seed: int,
        on_progress: OnProgress,
        headers: dict[str, str] | None = None,
    ) -> bytes:
        """The trained style's safetensors bytes; InferenceRejected naming the bad image, or
        InferenceUnavailable (retry later)."""
        metadata = {key.lower(): value for key, value in (headers or {}).items()}

        async def answer(outputs: _Outputs) -> bytes | None:
            if outputs["KIND"][0].decode() == "weights":
                return bytes(outputs["WEIGHTS"][0])
            await on_progress(Progress(int(outputs["STEP"][0]), int(outputs["TOTAL"][0]), []))
            return None

        return await self._stream(
            lambda batched: _inputs(images, captions, steps, seed, batched), answer, metadata, "the weights"
        )


def _inputs(images: Sequence[bytes], captions: Sequence[str], steps: int, seed: int, batched: bool) -> list:
    def tensor(name: str, datatype: str, values: np.ndarray):
        return _input_tensor(name, datatype, values[np.newaxis] if batched else values)

    inputs = [
        tensor("IMAGES", "BYTES", np.array(list(images), dtype=np.object_)),
        tensor("CAPTIONS", "BYTES", np.array([c.encode("utf-8") for c in captions], dtype=np.object_)),
        tensor("SEED", "INT64", np.array([seed], dtype=np.int64)),
    ]
    if steps:
        inputs.append(tensor("STEPS", "INT32", np.array([steps], dtype=np.int32)))
    return inputs


class StyleTraining:
    """inference.StyleModels for the worker: custom models read from this service's tables and the
    object store, trained by `style_train`."""

    def __init__(
        self,
        pool: AsyncConnectionPool,
        store: ObjectStore,
        visibility: VisibilityClient,
        trainer: TritonStyleTrainer,
        use: ModelUse,
    ) -> None:
        self._pool = pool
        self._store = store
        self._visibility = visibility
        self._trainer = trainer
        self._use = use

    async def weights(self, owner_id: str, model_id: str) -> bytes:
        """The weights of a model the generation's owner may use now (theirs or their team's)."""
        try:
            parsed = uuid.UUID(model_id)
        except ValueError as error:
            raise StyleModelGone(CUSTOM_MODEL_GONE_MESSAGE) from error
        model = await self._use.usable(owner_id, parsed)
        if model is None or not model.weights_key:
            raise StyleModelGone(CUSTOM_MODEL_GONE_MESSAGE)
        return await self._get(model.weights_key, CUSTOM_MODEL_GONE_MESSAGE)

    async def train(
        self, owner_id: str, model_id: str, steps: int, seed: int, on_progress: OnProgress, headers: dict[str, str]
    ) -> str:
        training = await self.training_set(owner_id, model_id)
        weights = await self._trainer.train(training.images, training.captions, steps, seed, on_progress, headers)
        # The same key on a redelivery: a retried training overwrites its own weights.
        key = f"{training.model.storage_prefix}/weights.safetensors"
        await self._store.put(key, weights, "application/octet-stream")
        return key

    async def ready(self) -> bool:
        return await self._trainer.ready()

    async def keep_weights(self, conn: Any, model_id: str, weights_key: str) -> bool:
        return await models_repository.set_weights(conn, uuid.UUID(model_id), weights_key)

    async def discard(self, weights_key: str) -> None:
        await self._store.delete(weights_key)

    async def training_set(self, owner_id: str, model_id: str) -> TrainingSet:
        """The model's training images and captions; a picked creation is authorised again
        (deleted or hidden from its owner since: StyleModelGone)."""
        model = await self._owners_model(owner_id, model_id, with_images=True)
        images, captions = [], []
        for image in model.images:
            if image.source_image_id is not None and not await self._visibility.may_see(
                owner_id, str(image.source_image_id)
            ):
                raise StyleModelGone(TRAINING_IMAGE_GONE_MESSAGE)
            images.append(await self._get(image.object_key, TRAINING_IMAGE_GONE_MESSAGE))
            captions.append(image.caption)
        return TrainingSet(model, images, captions)

    async def _owners_model(self, owner_id: str, model_id: str, *, with_images: bool = False) -> CustomModelRecord:
        """The model if it exists, is not being deleted, and is the owner's; else StyleModelGone."""
        try:
            parsed = uuid.UUID(model_id)
        except ValueError as error:
            raise StyleModelGone(CUSTOM_MODEL_GONE_MESSAGE) from error
        async with self._pool.connection() as conn:
            model = await models_repository.get_model(conn, parsed, with_images=with_images)
        if model is None or model.owner_id != owner_id:
            raise StyleModelGone(CUSTOM_MODEL_GONE_MESSAGE)
        return model

    async def _get(self, key: str, gone: str) -> bytes:
        try:
            return await self._store.get(key)
        except S3Error as error:
            if is_missing_object(error):  # deleted between the row read and the get
                raise StyleModelGone(gone) from error
            raise  # the store is unwell: redelivered later
